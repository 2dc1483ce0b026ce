// The layers: each constructor registers its tensors under torch.nn's names and
// initialises them as torch.nn does; forward calls the differentiable ops.
#include "nn/layers.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/ops.h"
#include "nn/init.h"

namespace nanossl::nn {
namespace {

void check_positive(const char* layer, const char* what, std::int64_t value) {
  if (value <= 0) {
    throw std::invalid_argument(std::string("[") + layer + "] " + what + " must be positive, got " +
                                std::to_string(value));
  }
}

}  // namespace

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel,
               Conv2dOptions options, bool with_bias)
    : in_channels(in_channels), out_channels(out_channels), kernel(kernel), options(options) {
  check_positive("Conv2d", "in_channels", in_channels);
  check_positive("Conv2d", "out_channels", out_channels);
  check_positive("Conv2d", "kernel", kernel);
  weight = register_parameter("weight", Tensor::empty({out_channels, in_channels, kernel, kernel}));
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (with_bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(init::fans(weight).first));
    bias = register_parameter("bias", Tensor::empty({out_channels}));
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, options); }

Linear::Linear(std::int64_t in_features, std::int64_t out_features, bool with_bias)
    : in_features(in_features), out_features(out_features) {
  check_positive("Linear", "in_features", in_features);
  check_positive("Linear", "out_features", out_features);
  weight = register_parameter("weight", Tensor::empty({out_features, in_features}));
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (with_bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    bias = register_parameter("bias", Tensor::empty({out_features}));
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

BatchNorm::BatchNorm(const char* name, std::size_t input_dims, std::int64_t num_features,
                     double momentum, double eps, bool learn_bias)
    : num_features(num_features), momentum(momentum), eps(eps), name_(name), input_dims_(input_dims) {
  check_positive(name, "num_features", num_features);
  if (!(momentum >= 0.0 && momentum <= 1.0)) {
    throw std::invalid_argument(std::string("[") + name + "] momentum must be in [0, 1], got " +
                                std::to_string(momentum));
  }
  if (!(eps > 0.0)) throw std::invalid_argument(std::string("[") + name + "] eps must be positive, got " + std::to_string(eps));
  weight = register_parameter("weight", Tensor::ones({num_features}));
  if (learn_bias) bias = register_parameter("bias", Tensor::zeros({num_features}));
  running_mean = register_buffer("running_mean", Tensor::zeros({num_features}));
  running_var = register_buffer("running_var", Tensor::ones({num_features}));
  num_batches_tracked = register_buffer("num_batches_tracked", Tensor::zeros({}, DType::i64));
}

Tensor BatchNorm::forward(const Tensor& x) {
  if (!x.defined() || x.ndim() != input_dims_) {
    throw std::invalid_argument(std::string("[") + name_ + "] expects a " + std::to_string(input_dims_) +
                                "-D input " + (input_dims_ == 2 ? "(N,C)" : "(N,C,H,W)") + ", got " +
                                (x.defined() ? shape_str(x.shape()) : std::string("undefined")));
  }
  Tensor y = batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps);
  if (is_training()) num_batches_tracked.fill_(static_cast<double>(++batches_tracked_));
  return y;
}

void BatchNorm::on_state_loaded() {
  batches_tracked_ = static_cast<std::int64_t>(num_batches_tracked.item());
}

Tensor ReLU::forward(const Tensor& x) { return relu(x); }

Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, kernel, stride, padding); }

AdaptiveAvgPool2d::AdaptiveAvgPool2d(std::int64_t output_size) {
  if (output_size != 1) {
    throw std::invalid_argument("[AdaptiveAvgPool2d] only output size 1 is supported, got " +
                                std::to_string(output_size));
  }
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) { return global_avg_pool2d(x); }

Tensor Flatten::forward(const Tensor& x) { return flatten(x, 1); }

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& module : modules) push_back(module);
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  if (!module) throw std::invalid_argument("[Sequential] cannot add a null module");
  register_module(std::to_string(size()), std::move(module));
}

const std::shared_ptr<Module>& Sequential::operator[](std::size_t index) const {
  if (index >= size()) {
    throw std::out_of_range("[Sequential] index " + std::to_string(index) + " out of range for " +
                            std::to_string(size()) + " modules");
  }
  return children()[index].second;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor out = x;
  for (const auto& entry : children()) out = entry.second->forward(out);
  return out;
}

}  // namespace nanossl::nn
