// Weight initialisers, as torch.nn.init: they overwrite a tensor in place with
// draws from the global Philox generator (tensor/random.h), so a seed fixes a model.
#pragma once
#include <cstdint>
#include <utility>

#include "tensor/tensor.h"

namespace nanossl::nn::init {

enum class FanMode { fan_in, fan_out };

// (fan_in, fan_out) of a weight: (in, out) for a (out, in) Linear weight, and
// (C*R*S, K*R*S) for a (K, C, R, S) convolution weight. Needs 2 or more dims.
std::pair<std::int64_t, std::int64_t> fans(const Tensor& weight);

// U(lo, hi) and N(mean, std^2), in place.
void uniform_(Tensor& t, double lo, double hi);
void normal_(Tensor& t, double mean, double std);

// He initialisation for a (leaky) ReLU with negative slope `a` (0 = ReLU), gain
// sqrt(2 / (1 + a^2)): normal with std gain/sqrt(fan), or uniform with bound
// gain*sqrt(3/fan). kaiming_uniform_(w, sqrt(5)) is PyTorch's default Linear/Conv
// weight init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void kaiming_normal_(Tensor& t, double a = 0.0, FanMode mode = FanMode::fan_in);
void kaiming_uniform_(Tensor& t, double a = 0.0, FanMode mode = FanMode::fan_in);

}  // namespace nanossl::nn::init
