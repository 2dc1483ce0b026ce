// Initialisers: draw on the CPU in double from the global generator, scale on the
// host, copy into the tensor (whatever its device and dtype), so a seed gives the
// same weights on every device.
#include "nn/init.h"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace nanossl::nn::init {
namespace {

void check_floating(const char* op, const Tensor& t) {
  if (!t.defined()) throw std::invalid_argument(std::string("[") + op + "] undefined tensor");
  if (!is_floating(t.dtype())) {
    throw std::invalid_argument(std::string("[") + op + "] needs a floating tensor, got " + t.describe());
  }
}

// Draws numel values (uniform [0,1) or standard normal), maps each through f, and
// writes them into t.
template <class F>
void fill_from_draws(Tensor& t, bool normal, F f) {
  Tensor draws = normal ? Tensor::randn(t.shape(), DType::f64) : Tensor::rand(t.shape(), DType::f64);
  double* values = draws.data<double>();
  for (std::int64_t i = 0; i < draws.numel(); ++i) values[i] = f(values[i]);
  t.copy_(draws);
}

double fan_for(const char* op, const Tensor& t, FanMode mode) {
  check_floating(op, t);
  const auto [fan_in, fan_out] = fans(t);
  const std::int64_t fan = mode == FanMode::fan_in ? fan_in : fan_out;
  if (fan <= 0) throw std::invalid_argument(std::string("[") + op + "] zero fan for " + t.describe());
  return static_cast<double>(fan);
}

}  // namespace

std::pair<std::int64_t, std::int64_t> fans(const Tensor& weight) {
  if (!weight.defined() || weight.ndim() < 2) {
    throw std::invalid_argument("[init] fan in/out needs a weight with 2 or more dims, got " +
                                (weight.defined() ? weight.describe() : std::string("undefined")));
  }
  std::int64_t receptive = 1;
  for (std::size_t d = 2; d < weight.ndim(); ++d) receptive *= weight.size(static_cast<std::int64_t>(d));
  return {weight.size(1) * receptive, weight.size(0) * receptive};
}

void uniform_(Tensor& t, double lo, double hi) {
  check_floating("uniform_", t);
  if (!(lo <= hi)) throw std::invalid_argument("[uniform_] needs lo <= hi, got " + std::to_string(lo) + ", " + std::to_string(hi));
  fill_from_draws(t, false, [lo, hi](double u) { return lo + (hi - lo) * u; });
}

void normal_(Tensor& t, double mean, double std) {
  check_floating("normal_", t);
  if (!(std >= 0.0)) throw std::invalid_argument("[normal_] needs std >= 0, got " + std::to_string(std));
  fill_from_draws(t, true, [mean, std](double z) { return mean + std * z; });
}

void kaiming_normal_(Tensor& t, double a, FanMode mode) {
  const double fan = fan_for("kaiming_normal_", t, mode);
  normal_(t, 0.0, std::sqrt(2.0 / (1.0 + a * a)) / std::sqrt(fan));
}

void kaiming_uniform_(Tensor& t, double a, FanMode mode) {
  const double fan = fan_for("kaiming_uniform_", t, mode);
  const double bound = std::sqrt(2.0 / (1.0 + a * a)) * std::sqrt(3.0 / fan);
  uniform_(t, -bound, bound);
}

}  // namespace nanossl::nn::init
