// gradcheck: analytic gradients from one backward pass against central
// differences, element by element, in double precision (see gradcheck.h).
#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "base/philox.h"

namespace nanossl {
namespace {

// Fixed random weights in [-1, 1) that turn any output into a scalar.
Tensor output_weights(const Shape& shape, std::uint64_t seed) {
  Tensor w = Tensor::empty(shape, DType::f64);
  double* data = w.data<double>();
  for (std::int64_t i = 0; i < w.numel(); ++i) {
    data[i] = 2.0 * philox_uniform_at(seed, 7, 0, static_cast<std::uint64_t>(i)) - 1.0;
  }
  return w;
}

double weighted_sum(const Tensor& out, const Tensor& weights) {
  const double* o = out.data<double>();
  const double* w = weights.data<double>();
  double total = 0.0;
  for (std::int64_t i = 0; i < out.numel(); ++i) total += o[i] * w[i];
  return total;
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  // Work on private copies so the caller's tensors and gradients are untouched.
  std::vector<Tensor> leaves;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& in = inputs[i];
    if (!in.defined()) {
      leaves.push_back(Tensor());
      continue;
    }
    if (!in.device().is_cpu() || (is_floating(in.dtype()) && in.dtype() != DType::f64)) {
      throw std::invalid_argument("[gradcheck] input " + std::to_string(i) +
                                  " must be a CPU f64 tensor (or integer data), got " + in.describe());
    }
    Tensor copy = in.clone();
    if (in.requires_grad()) copy.set_requires_grad(true);
    leaves.push_back(copy);
  }

  Tensor out = fn(leaves);
  if (!out.defined() || out.dtype() != DType::f64 || !out.device().is_cpu()) {
    throw std::invalid_argument("[gradcheck] the function must return a CPU f64 tensor");
  }
  const Tensor weights = output_weights(out.shape(), options.seed);
  if (out.requires_grad()) backward(out, weights);

  auto evaluate = [&]() {
    NoGradGuard no_grad;
    return weighted_sum(fn(leaves), weights);
  };
  const double f0 = evaluate();

  GradcheckResult result;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (!leaves[i].defined() || !leaves[i].requires_grad()) continue;
    double* x = leaves[i].data<double>();
    const Tensor grad = leaves[i].grad();
    const double* analytic = grad.defined() ? grad.data<double>() : nullptr;
    for (std::int64_t j = 0; j < leaves[i].numel(); ++j) {
      const double original = x[j];
      x[j] = original + options.eps;
      const double f_plus = evaluate();
      x[j] = original - options.eps;
      const double f_minus = evaluate();
      x[j] = original;

      const double numeric = (f_plus - f_minus) / (2.0 * options.eps);
      const double exact = analytic ? analytic[j] : 0.0;
      const double error = std::fabs(exact - numeric);
      if (error <= options.atol + options.rtol * std::fabs(numeric)) {
        ++result.checked;
        result.max_abs_error = std::max(result.max_abs_error, error);
        continue;
      }
      // A mismatch: is the function non-smooth here (one-sided slopes disagree)?
      const double right = (f_plus - f0) / options.eps, left = (f0 - f_minus) / options.eps;
      if (std::fabs(right - left) > options.atol + options.rtol * std::max(std::fabs(right), std::fabs(left))) {
        ++result.skipped;
        continue;
      }
      ++result.checked;
      result.max_abs_error = std::max(result.max_abs_error, error);
      if (result.ok) {
        std::ostringstream msg;
        msg << "input " << i << " element " << j << ": analytic " << exact << ", numeric " << numeric
            << " (|diff| " << error << ")";
        result.message = msg.str();
      }
      result.ok = false;
    }
  }
  if (result.checked == 0 && result.ok) {
    result.ok = false;
    result.message = "no input element was checked (none requires grad, or all were skipped)";
  }
  return result;
}

}  // namespace nanossl
