// Training-step throughput of a ResNet-18 (CIFAR stem) on 32x32 RGB images: forward,
// cross-entropy, backward and a plain SGD update, written functionally with the
// public ops (the model is this benchmark's own). bench/gpu/torch_train.py runs the
// same model and step in PyTorch; bench/gpu/run.sh compares the two.
//
//   bench_gpu_train [--device cuda|cpu] [--batch N] [--warmup N] [--steps N] [--lr X] [--tf32]
//
// The last line is machine-readable: "RESULT nanossl images_per_s=... ms_per_step=... peak_mib=...".
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "cuda/blas.h"
#include "cuda/runtime.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace {

using nanossl::Device;
using nanossl::DType;
using nanossl::Tensor;

struct Options {
  Device device = Device::cuda();
  std::int64_t batch = -1;  // default depends on the device
  int warmup = -1;
  int steps = -1;
  double lr = 0.05;
  bool tf32 = false;
};

// A bias-free convolution followed by batch norm (affine, with running buffers).
struct ConvBn {
  Tensor weight;                      // (K, C, R, R)
  Tensor gamma, beta;                 // (K), trained
  Tensor running_mean, running_var;   // (K), buffers
  std::int64_t stride = 1, padding = 0;
};

struct BasicBlock {
  ConvBn conv1, conv2;
  bool has_downsample = false;
  ConvBn downsample;  // 1x1 stride-2 projection where shape changes
};

struct ResNet18 {
  ConvBn stem;
  std::vector<BasicBlock> blocks;
  Tensor fc_weight, fc_bias;  // (10, 512), (10)
  std::vector<Tensor> parameters;
};

Tensor parameter(Tensor value, std::vector<Tensor>& parameters) {
  value.set_requires_grad(true);
  parameters.push_back(value);
  return value;
}

// Kaiming-normal weights (std = sqrt(2 / fan_in)), drawn on the CPU and moved.
ConvBn make_conv_bn(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride,
                    Device device, std::vector<Tensor>& parameters) {
  ConvBn layer;
  const double std_dev = std::sqrt(2.0 / static_cast<double>(in * kernel * kernel));
  layer.weight = parameter(Tensor::randn({out, in, kernel, kernel}).mul_(std_dev).to(device), parameters);
  layer.gamma = parameter(Tensor::ones({out}, DType::f32, device), parameters);
  layer.beta = parameter(Tensor::zeros({out}, DType::f32, device), parameters);
  layer.running_mean = Tensor::zeros({out}, DType::f32, device);
  layer.running_var = Tensor::ones({out}, DType::f32, device);
  layer.stride = stride;
  layer.padding = kernel / 2;
  return layer;
}

ResNet18 make_resnet18(Device device) {
  ResNet18 model;
  model.stem = make_conv_bn(3, 64, 3, 1, device, model.parameters);
  std::int64_t in = 64;
  const std::int64_t widths[4] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage) {
    for (int index = 0; index < 2; ++index) {
      const std::int64_t out = widths[stage];
      const std::int64_t stride = (stage > 0 && index == 0) ? 2 : 1;
      BasicBlock block;
      block.conv1 = make_conv_bn(in, out, 3, stride, device, model.parameters);
      block.conv2 = make_conv_bn(out, out, 3, 1, device, model.parameters);
      block.has_downsample = stride != 1 || in != out;
      if (block.has_downsample) block.downsample = make_conv_bn(in, out, 1, stride, device, model.parameters);
      model.blocks.push_back(block);
      in = out;
    }
  }
  model.fc_weight = parameter(Tensor::randn({10, 512}).mul_(std::sqrt(1.0 / 512)).to(device), model.parameters);
  model.fc_bias = parameter(Tensor::zeros({10}, DType::f32, device), model.parameters);
  return model;
}

// Training mode: batch statistics, running buffers updated in place.
Tensor conv_bn(const ConvBn& layer, const Tensor& x) {
  Tensor y = nanossl::conv2d(x, layer.weight, Tensor(), {layer.stride, layer.padding, 1});
  return nanossl::batch_norm(y, layer.gamma, layer.beta, layer.running_mean, layer.running_var,
                             /*training=*/true);
}

// x (N,3,32,32) -> logits (N,10)
Tensor forward(const ResNet18& model, const Tensor& x) {
  Tensor h = nanossl::relu(conv_bn(model.stem, x));
  for (const BasicBlock& block : model.blocks) {
    Tensor out = nanossl::relu(conv_bn(block.conv1, h));
    out = conv_bn(block.conv2, out);
    Tensor identity = block.has_downsample ? conv_bn(block.downsample, h) : h;
    h = nanossl::relu(nanossl::add(out, identity));
  }
  Tensor pooled = nanossl::flatten(nanossl::global_avg_pool2d(h), 1);  // (N,512)
  return nanossl::linear(pooled, model.fc_weight, model.fc_bias);
}

// One step: forward, loss, backward, p -= lr * grad. Returns the loss tensor.
Tensor train_step(const ResNet18& model, const Tensor& images, const Tensor& labels, double lr) {
  Tensor loss = nanossl::cross_entropy(forward(model, images), labels);
  nanossl::backward(loss);
  nanossl::NoGradGuard no_grad;
  for (Tensor p : model.parameters) {
    Tensor grad = p.grad();
    if (grad.defined()) p.add_(grad, -lr);
    p.zero_grad();
  }
  return loss;
}

void synchronize(Device device) {
  if (device.is_cuda()) nanossl::cuda::synchronize();
}

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--device" && has_value) options.device = Device::parse(argv[++i]);
    else if (arg == "--batch" && has_value) options.batch = std::atoll(argv[++i]);
    else if (arg == "--warmup" && has_value) options.warmup = std::atoi(argv[++i]);
    else if (arg == "--steps" && has_value) options.steps = std::atoi(argv[++i]);
    else if (arg == "--lr" && has_value) options.lr = std::atof(argv[++i]);
    else if (arg == "--tf32") options.tf32 = true;
    else return false;
  }
  const bool gpu = options.device.is_cuda();
  if (options.batch < 0) options.batch = gpu ? 256 : 8;
  if (options.warmup < 0) options.warmup = gpu ? 5 : 1;
  if (options.steps < 0) options.steps = gpu ? 20 : 2;
  return options.batch > 0 && options.warmup >= 0 && options.steps > 0;
}

int run(const Options& options) {
  const Device device = options.device;
  if (device.is_cuda()) {
    nanossl::cuda::require_device(device.index);
    nanossl::cuda::set_allow_tf32(options.tf32);
  }
  nanossl::manual_seed(0);
  ResNet18 model = make_resnet18(device);
  Tensor images = Tensor::randn({options.batch, 3, 32, 32}, DType::f32, device);
  std::vector<std::int64_t> label_values(static_cast<std::size_t>(options.batch));
  for (std::size_t i = 0; i < label_values.size(); ++i) label_values[i] = static_cast<std::int64_t>((i * 7 + 3) % 10);
  Tensor labels = Tensor::from_vector(label_values, {options.batch}, device);

  std::int64_t parameter_count = 0;
  for (const Tensor& p : model.parameters) parameter_count += p.numel();
  std::printf("nanossl ResNet-18 (CIFAR stem, %lld parameters) training step: batch %lld, device %s, tf32 %s\n",
              static_cast<long long>(parameter_count), static_cast<long long>(options.batch),
              device.str().c_str(), options.tf32 ? "on" : "off");

  double first_loss = 0;
  for (int step = 0; step < options.warmup; ++step) {
    Tensor loss = train_step(model, images, labels, options.lr);
    if (step == 0) first_loss = loss.item();
  }
  synchronize(device);
  if (device.is_cuda()) nanossl::cuda::reset_peak_bytes();

  const auto start = std::chrono::steady_clock::now();
  Tensor loss;
  for (int step = 0; step < options.steps; ++step) loss = train_step(model, images, labels, options.lr);
  synchronize(device);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double last_loss = loss.item();

  const double ms_per_step = 1e3 * seconds / options.steps;
  const double images_per_s = static_cast<double>(options.batch) * options.steps / seconds;
  const double peak_mib = device.is_cuda() ? nanossl::cuda::peak_bytes_in_use() / 1048576.0 : 0.0;
  std::printf("warm-up %d steps, timed %d steps: %.2f ms/step, %.1f images/s; loss %.4f (first) -> %.4f (last)\n",
              options.warmup, options.steps, ms_per_step, images_per_s, first_loss, last_loss);
  if (device.is_cuda()) std::printf("peak device memory in use (timed steps): %.1f MiB\n", peak_mib);
  if (!std::isfinite(last_loss)) {
    std::fprintf(stderr, "error: the loss is not finite (%f)\n", last_loss);
    return 1;
  }
  std::printf("RESULT nanossl images_per_s=%.1f ms_per_step=%.3f peak_mib=%.1f\n", images_per_s, ms_per_step,
              peak_mib);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    if (!parse(argc, argv, options)) {
      std::fprintf(stderr,
                   "usage: bench_gpu_train [--device cuda|cpu] [--batch N] [--warmup N] [--steps N] "
                   "[--lr X] [--tf32]\n");
      return 2;
    }
    return run(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_gpu_train failed: %s\n", error.what());
    return 1;
  }
}
