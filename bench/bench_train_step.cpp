// Throughput of one full training step of the nn/ and ssl/ modules on the CPU (or
// GPU), ResNet with the CIFAR stem (any depth and base width) on random images:
//   --task supervised: forward, cross-entropy, backward, SGD Nesterov with weight
//                      decay, as `nanossl train` does it;
//   --task simclr:     two views of each image as one batch of 2N through encoder
//                      and projection head (2 layers, 128-d), NT-Xent (tau 0.5),
//                      backward, LARS, as `nanossl pretrain` does it;
//   --task moco:       MoCo v2's step (ssl/moco.h): the momentum update, queries
//                      with a graph and keys without one (2N each), symmetric
//                      InfoNCE against a queue of 4096, backward, enqueue, SGD;
//   --task byol:       BYOL's step (ssl/byol.h): the target update, online
//                      projections and predictions, target projections, the
//                      symmetric normalised MSE, backward, LARS.
// Images/s counts source images (a SimCLR image is two views). bench/peer_torch_train.py
// runs the supervised and SimCLR steps in PyTorch; bench/run_train.sh compares the
// two in one run (MoCo and BYOL have no peer: their figure is the ratio to SimCLR).
//
//   bench_train_step [--task supervised|simclr|moco|byol] [--device cpu|cuda] [--depth 18]
//                    [--width 16] [--channels 3] [--size 32] [--batch 128] [--warmup 3] [--steps 10]
//   --size: the image side (24: the quick preset's SimCLR views)
//   --gemm: force a GEMM micro-kernel, e.g. avx512_bf16 (cpu/gemm.h)
//
// Besides images/s it prints the step's GFLOP/s, from the FLOPs counted from the
// layer shapes (bench/flops.h; bench/run_train.sh sets it against the machine's
// peak, bench_peak), and the resident memory after the first and the last timed
// step, which must not grow.
//
// The last line is machine-readable:
//   "RESULT nanossl images_per_s=... ms_per_step=... gflop_per_image=... gflops=...
//    peak_rss_mib=... rss_growth_mib=...".
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include "autograd/ops.h"
#include "cpu/gemm.h"
#include "flops.h"
#include "machine.h"
#include "cpu/allocator.h"
#include "cpu/denormals.h"
#include "nn/optim.h"
#include "nn/resnet.h"
#include "ssl/byol.h"
#include "ssl/moco.h"
#include "ssl/simclr.h"
#include "tensor/random.h"

namespace {

using nanossl::Device;
using nanossl::Tensor;

struct Options {
  std::string task = "supervised";
  Device device = Device::cpu();
  int depth = 18;
  std::int64_t width = 16, channels = 3, batch = 128, size = 32;
  int warmup = 3, steps = 10;
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--task" && has_value) options.task = argv[++i];
    else if (arg == "--device" && has_value) options.device = Device::parse(argv[++i]);
    else if (arg == "--depth" && has_value) options.depth = std::atoi(argv[++i]);
    else if (arg == "--width" && has_value) options.width = std::atoll(argv[++i]);
    else if (arg == "--channels" && has_value) options.channels = std::atoll(argv[++i]);
    else if (arg == "--size" && has_value) options.size = std::atoll(argv[++i]);
    else if (arg == "--gemm" && has_value) nanossl::cpu::set_gemm_kernel(nanossl::cpu::gemm_kernel_named(argv[++i]));
    else if (arg == "--batch" && has_value) options.batch = std::atoll(argv[++i]);
    else if (arg == "--warmup" && has_value) options.warmup = std::atoi(argv[++i]);
    else if (arg == "--steps" && has_value) options.steps = std::atoi(argv[++i]);
    else return false;
  }
  return options.batch > 0 && options.steps > 0 && options.warmup >= 0 &&
         (options.task == "supervised" || options.task == "simclr" || options.task == "moco" ||
          options.task == "byol");
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: bench_train_step [--task supervised|simclr|moco|byol] [--device cpu|cuda] [--depth 18] [--width 16] [--channels 3] "
                 "[--size 32] [--gemm KERNEL] [--batch 128] [--warmup 3] [--steps 10]\n");
    return 2;
  }
  try {
    using namespace nanossl;
    cpu::set_flush_denormals(true);  // as the nanossl CLI does
    manual_seed(0);
    nn::ResNetConfig config;
    config.depth = options.depth;
    config.stem = nn::ResNetStem::cifar;
    config.width_multiplier = options.width;
    config.in_channels = options.channels;
    const Shape image_shape = {options.batch, options.channels, options.size, options.size};
    const Tensor images = Tensor::rand(image_shape).to(options.device);
    const Tensor images2 = Tensor::rand(image_shape).to(options.device);
    std::vector<std::int64_t> label_values(static_cast<std::size_t>(options.batch));
    for (std::size_t i = 0; i < label_values.size(); ++i) label_values[i] = static_cast<std::int64_t>(i % 10);
    const Tensor labels = Tensor::from_vector(label_values, {options.batch}).to(options.device);

    std::shared_ptr<nn::Module> model;
    nn::Module* target = nullptr;  // MoCo's and BYOL's EMA network: forward only
    std::unique_ptr<nn::Optimizer> optimizer;
    // The optimizer's parameters: the trainable ones (not the EMA network's).
    auto trainable = [](const nn::Module& m) {
      nn::NamedTensors named = m.named_parameters();
      std::erase_if(named, [](const auto& entry) { return !entry.second.requires_grad(); });
      return nn::optimizer_params(named, true);
    };
    nn::LarsOptions lars;
    lars.lr = 1.2;  // 0.075 * sqrt(256)
    lars.weight_decay = 1e-6;
    if (options.task == "supervised") {
      config.num_classes = 10;
      model = nn::make_resnet(config);
      nn::SgdOptions sgd;
      sgd.lr = 0.05;
      sgd.momentum = 0.9;
      sgd.nesterov = true;
      sgd.weight_decay = 5e-4;
      optimizer = std::make_unique<nn::Sgd>(nn::optimizer_params(model->named_parameters(), true), sgd);
    } else if (options.task == "simclr") {
      ssl::SimclrConfig simclr;
      simclr.encoder = config;
      model = std::make_shared<ssl::Simclr>(simclr);
      optimizer = std::make_unique<nn::Lars>(trainable(*model), lars);
    } else if (options.task == "moco") {
      ssl::MocoConfig moco;
      moco.encoder = config;
      auto built = std::make_shared<ssl::Moco>(moco);
      target = &built->momentum();
      model = built;
      nn::SgdOptions sgd;
      sgd.lr = 0.15;  // 0.3 * 128 / 256
      sgd.momentum = 0.9;
      sgd.weight_decay = 1e-4;
      optimizer = std::make_unique<nn::Sgd>(trainable(*model), sgd);
    } else {
      ssl::ByolConfig byol;
      byol.encoder = config;
      auto built = std::make_shared<ssl::Byol>(byol);
      target = &built->target();
      model = built;
      optimizer = std::make_unique<nn::Lars>(trainable(*model), lars);
    }
    model->to(options.device);

    double first_loss = 0.0, last_loss = 0.0;
    auto step = [&] {
      Tensor loss;
      if (options.task == "supervised") {
        loss = cross_entropy((*model)(images), labels);
        backward(loss);
      } else if (options.task == "simclr") {
        loss = ssl::contrastive_step(static_cast<ssl::Simclr&>(*model), images, images2, 0.5).loss;
        backward(loss);
      } else if (options.task == "moco") {
        auto& moco = static_cast<ssl::Moco&>(*model);
        const ssl::MocoStep moco_step = ssl::moco_step(moco, images, images2, 0.2, 0.99);
        loss = moco_step.loss;
        backward(loss);
        ssl::enqueue_keys(moco, moco_step);
      } else {
        loss = ssl::byol_step(static_cast<ssl::Byol&>(*model), images, images2, 0.99).loss;
        backward(loss);
      }
      optimizer->step();
      optimizer->zero_grad();
      return loss.item();  // synchronises with the device
    };
    for (int i = 0; i < options.warmup; ++i) first_loss = step();
    const auto start = std::chrono::steady_clock::now();
    double rss_first = 0.0;
    for (int i = 0; i < options.steps; ++i) {
      last_loss = step();
      if (i == 0) rss_first = nanossl::bench::resident_mib("VmRSS");
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double ms = 1e3 * seconds / options.steps, images_per_s = options.batch * options.steps / seconds;
    // A SimCLR image is two views through the whole network; MoCo and BYOL also
    // pass both views through their EMA network, forward only.
    const double views = options.task == "supervised" ? 1.0 : 2.0;
    const auto all = nanossl::bench::resnet_cifar_flops(*model, options.size);
    const auto ema = target ? nanossl::bench::resnet_cifar_flops(*target, options.size) : nanossl::bench::StepFlops{};
    const double gflop_per_image = views * (all.train - ema.train + ema.forward) / 1e9;
    const double gflops = gflop_per_image * images_per_s;
    std::printf("nanossl %s ResNet-%d CIFAR stem width %lld, %lldx%lldx%lld, batch %lld, %s: %.1f ms/step, %.1f images/s; "
                "loss %.4f -> %.4f\n",
                options.task.c_str(), options.depth, static_cast<long long>(options.width), static_cast<long long>(options.channels),
                static_cast<long long>(options.size), static_cast<long long>(options.size),
                static_cast<long long>(options.batch), options.device.str().c_str(), ms, images_per_s, first_loss,
                last_loss);
    std::printf("%.3f GFLOP per image (bench/flops.h), %.1f GFLOP/s on %s\n", gflop_per_image, gflops,
                nanossl::bench::cpu_description().c_str());
    // A step that allocates nothing new after warm-up keeps the resident set flat:
    // every buffer comes back from the caching allocator's free lists.
    const double rss_last = nanossl::bench::resident_mib("VmRSS"), rss_peak = nanossl::bench::resident_mib("VmHWM");
    std::printf("resident memory: %.1f MiB after timed step 1, %.1f MiB after step %d (%+.1f MiB), peak %.1f MiB; "
                "host allocator %.1f MiB in use, %.1f MiB cached\n",
                rss_first, rss_last, options.steps, rss_last - rss_first, rss_peak,
                cpu::host_bytes_in_use() / 1048576.0, cpu::host_bytes_cached() / 1048576.0);
    std::printf("RESULT nanossl images_per_s=%.2f ms_per_step=%.3f gflop_per_image=%.4f gflops=%.2f peak_rss_mib=%.1f "
                "rss_growth_mib=%.1f\n",
                images_per_s, ms, gflop_per_image, gflops, rss_peak, rss_last - rss_first);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_train_step: %s\n", error.what());
    return 1;
  }
}
