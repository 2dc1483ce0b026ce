// The layers ResNets are built from, each a Module whose parameter and buffer
// names match torch.nn's (weight, bias, running_mean, running_var,
// num_batches_tracked), with PyTorch's default initialisation.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>

#include "autograd/ops/conv.h"
#include "autograd/ops/pooling.h"
#include "nn/module.h"

namespace nanossl::nn {

// (N,C,H,W) -> (N,K,P,Q). weight (K,C,R,R), bias (K) when `bias`; both
// U(-1/sqrt(C*R*R), 1/sqrt(C*R*R)) as torch.nn.Conv2d.
class Conv2d : public Module {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel,
         Conv2dOptions options = {}, bool bias = true);
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;  // bias undefined without one
  std::int64_t in_channels, out_channels, kernel;
  Conv2dOptions options;
};

// x (N,in) -> (N,out). weight (out,in), bias (out), both U(-1/sqrt(in), 1/sqrt(in)).
class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;
  std::int64_t in_features, out_features;
};

// Batch normalisation with affine weight (1) and bias (0) and running statistics
// (buffers running_mean 0, running_var 1, num_batches_tracked an i64 scalar). In
// training mode it normalises with batch statistics and updates the running ones
// (running = (1-momentum)*running + momentum*batch) and counts the batch; in eval
// mode it uses the running statistics. `input_dims` is 2 for BatchNorm1d (N,C) and
// 4 for BatchNorm2d (N,C,H,W). With learn_bias false there is no "bias" parameter
// (bias stays undefined, i.e. beta = 0): the last BN of SimCLR v2's projection head.
class BatchNorm : public Module {
 public:
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias, running_mean, running_var, num_batches_tracked;  // bias may be undefined
  std::int64_t num_features;
  double momentum, eps;

 protected:
  BatchNorm(const char* name, std::size_t input_dims, std::int64_t num_features, double momentum,
            double eps, bool learn_bias);
  void on_state_loaded() override;

 private:
  const char* name_;
  std::size_t input_dims_;
  // Host copy of num_batches_tracked, so counting a batch on the GPU needs no sync.
  std::int64_t batches_tracked_ = 0;
};

class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(std::int64_t num_features, double momentum = 0.1, double eps = 1e-5,
                       bool learn_bias = true)
      : BatchNorm("BatchNorm1d", 2, num_features, momentum, eps, learn_bias) {}
};

class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(std::int64_t num_features, double momentum = 0.1, double eps = 1e-5,
                       bool learn_bias = true)
      : BatchNorm("BatchNorm2d", 4, num_features, momentum, eps, learn_bias) {}
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

class MaxPool2d : public Module {
 public:
  MaxPool2d(std::int64_t kernel, std::int64_t stride, std::int64_t padding = 0)
      : kernel(kernel), stride(stride), padding(padding) {}
  Tensor forward(const Tensor& x) override;

  std::int64_t kernel, stride, padding;
};

// (N,C,H,W) -> (N,C,1,1); only output size 1 is supported.
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(std::int64_t output_size = 1);
  Tensor forward(const Tensor& x) override;
};

// (N, ...) -> (N, rest), as torch.nn.Flatten().
class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
};

// Children named "0", "1", ... applied in order.
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
  void push_back(std::shared_ptr<Module> module);
  std::size_t size() const { return children().size(); }
  const std::shared_ptr<Module>& operator[](std::size_t index) const;
  Tensor forward(const Tensor& x) override;
};

}  // namespace nanossl::nn
