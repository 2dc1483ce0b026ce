// Fixed synthetic problems and a bare SGD step shared by the training tests
// (integration_training.cpp on the CPU, cuda_training.cpp on the GPU).
#pragma once
#include <cmath>
#include <vector>

#include "autograd/ops.h"
#include "base/philox.h"

namespace nanossl::testing {

inline Tensor param(const Shape& shape, double std, Device device = Device::cpu()) {
  Tensor p = mul_scalar(Tensor::randn(shape), std).to(device);
  p.set_requires_grad();
  return p;
}

inline void sgd_step(const std::vector<Tensor>& params, double lr) {
  NoGradGuard guard;
  for (Tensor p : params) {
    p.add_(p.grad(), -lr);
    p.zero_grad();
  }
}

// Two classes: points inside radius 1 vs. on a ring between 1.5 and 2.5.
inline void make_rings(Tensor& x, Tensor& y, std::int64_t n) {
  std::vector<float> points(static_cast<std::size_t>(2 * n));
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto u = static_cast<std::uint64_t>(i);
    const double angle = 6.283185307 * philox_uniform_at(99, 1, 0, u);
    const double t = philox_uniform_at(99, 2, 0, u);
    labels[i] = i % 2;
    const double radius = labels[i] == 0 ? t : 1.5 + t;
    points[2 * i] = static_cast<float>(radius * std::cos(angle));
    points[2 * i + 1] = static_cast<float>(radius * std::sin(angle));
  }
  x = Tensor::from_vector(points, {n, 2});
  y = Tensor::from_vector(labels, {n});
}

// 8x8 images: class 0 has a horizontal bar, class 1 a vertical one, plus noise.
inline void make_bars(Tensor& x, Tensor& y, std::int64_t n) {
  std::vector<float> pixels(static_cast<std::size_t>(n * 64));
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto u = static_cast<std::uint64_t>(i);
    labels[i] = i % 2;
    const int line = static_cast<int>(8 * philox_uniform_at(5, 1, 0, u));
    for (int r = 0; r < 8; ++r) {
      for (int c = 0; c < 8; ++c) {
        const bool on = labels[i] == 0 ? r == line : c == line;
        const double noise = 0.3 * (philox_uniform_at(5, 2, 0, u * 64 + r * 8 + c) - 0.5);
        pixels[i * 64 + r * 8 + c] = static_cast<float>((on ? 1.0 : 0.0) + noise);
      }
    }
  }
  x = Tensor::from_vector(pixels, {n, 1, 8, 8});
  y = Tensor::from_vector(labels, {n});
}


// A small conv net (conv-relu-pool, conv-BN-relu, global pool, linear) trained
// for `steps` SGD steps on the bars problem; returns the first and last loss.
inline std::pair<double, double> train_bars_conv_net(Device device, int steps) {
  Tensor x, y;
  make_bars(x, y, 64);
  x = x.to(device);
  y = y.to(device);
  Tensor c1 = param({8, 1, 3, 3}, std::sqrt(2.0 / 9), device), c1b = param({8}, 0.0, device);
  Tensor c2 = param({16, 8, 3, 3}, std::sqrt(2.0 / 72), device);
  Tensor gamma = Tensor::ones({16}, DType::f32, device), beta = Tensor::zeros({16}, DType::f32, device);
  gamma.set_requires_grad();
  beta.set_requires_grad();
  Tensor running_mean = Tensor::zeros({16}, DType::f32, device), running_var = Tensor::ones({16}, DType::f32, device);
  Tensor fc = param({2, 16}, 0.25, device), fcb = param({2}, 0.0, device);
  double first = 0, last = 0;
  for (int step = 0; step < steps; ++step) {
    Tensor h = max_pool2d(relu(conv2d(x, c1, c1b, {1, 1, 1})), 2, 2);
    h = relu(batch_norm(conv2d(h, c2, Tensor(), {1, 1, 1}), gamma, beta, running_mean, running_var, true));
    Tensor loss = cross_entropy(linear(flatten(global_avg_pool2d(h)), fc, fcb), y);
    if (step == 0) first = loss.item();
    last = loss.item();
    backward(loss);
    sgd_step({c1, c1b, c2, gamma, beta, fc, fcb}, 0.2);
  }
  return {first, last};
}

}  // namespace nanossl::testing
