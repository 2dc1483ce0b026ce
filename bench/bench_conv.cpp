// conv2d throughput through the public op API: forward alone, and forward plus
// backward (input and weight gradients), on the ResNet-18 CIFAR layer shapes at
// batch 128 (3x3, stride 1, padding 1), at 1 and 2 threads. The PyTorch peer runs
// the same workloads in bench/peer_torch.py; bench/run_cpu.sh puts them side by side.
//
//   bench_conv [--threads 1,2] [--layers layer1,...] [--batch 128] [--min-seconds S] [--tsv]
//
// FLOPs: forward 2*N*K*C*R*S*P*Q; forward + backward counts three times that
// (forward, input gradient, weight gradient), as PyTorch's profilers do.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "timing.h"

namespace {

using nanossl::bench::median_seconds;

using nanossl::Tensor;

struct Layer {
  std::string name;
  std::int64_t channels, side;
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

void print_row(bool tsv, const std::string& shape, int threads, double gflops) {
  if (tsv) std::printf("conv\t%s\t%d\t%.1f\t\t\n", shape.c_str(), threads, gflops);
  else std::printf("%-18s %7d %14.1f\n", shape.c_str(), threads, gflops);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts{1, 2};
  std::vector<std::string> wanted{"layer1", "layer2", "layer3", "layer4"};
  std::int64_t batch = 128;
  double min_seconds = 1.0;
  bool tsv = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--threads" && has_value) {
      thread_counts.clear();
      for (const std::string& t : split(argv[++i])) thread_counts.push_back(std::stoi(t));
    } else if (arg == "--layers" && has_value) wanted = split(argv[++i]);
    else if (arg == "--batch" && has_value) batch = std::atoll(argv[++i]);
    else if (arg == "--min-seconds" && has_value) min_seconds = std::atof(argv[++i]);
    else if (arg == "--tsv") tsv = true;
    else {
      std::fprintf(stderr, "usage: %s [--threads 1,2] [--layers layer1,...] [--batch 128] "
                           "[--min-seconds S] [--tsv]\n", argv[0]);
      return 2;
    }
  }

  const Layer layers[] = {{"layer1", 64, 32}, {"layer2", 128, 16}, {"layer3", 256, 8},
                          {"layer4", 512, 4}};
  if (tsv) std::printf("bench\tshape\tthreads\tnanossl_gflops\tpeer_gflops\tratio\n");
  else std::printf("# conv2d 3x3 stride 1 padding 1, batch %lld\n%-18s %7s %14s\n",
                   static_cast<long long>(batch), "shape", "threads", "nanossl GF/s");
  const nanossl::Conv2dOptions options{1, 1, 1};
  for (const Layer& layer : layers) {
    if (std::find(wanted.begin(), wanted.end(), layer.name) == wanted.end()) continue;
    const std::int64_t C = layer.channels, K = layer.channels, H = layer.side;
    Tensor x = Tensor::randn({batch, C, H, H});
    Tensor w = Tensor::randn({K, C, 3, 3});
    w.mul_(0.05);
    x.set_requires_grad();
    w.set_requires_grad();
    const Tensor dy = Tensor::randn({batch, K, H, H});
    const double forward_flops = 2.0 * batch * K * C * 9 * H * H;
    for (int threads : thread_counts) {
      omp_set_num_threads(threads);
      const double forward = median_seconds(
          [&] {
            nanossl::NoGradGuard no_grad;
            Tensor y = nanossl::conv2d(x, w, Tensor(), options);
          },
          min_seconds);
      print_row(tsv, layer.name + ".fwd", threads, forward_flops / forward * 1e-9);
      const double training = median_seconds(
          [&] {
            x.zero_grad();
            w.zero_grad();
            Tensor y = nanossl::conv2d(x, w, Tensor(), options);
            nanossl::backward(y, dy);
          },
          min_seconds);
      print_row(tsv, layer.name + ".fwdbwd", threads, 3 * forward_flops / training * 1e-9);
    }
  }
  return 0;
}
