// batch_norm and l2_normalize: shape checks, dispatch to the CPU kernels (cpu/norm.h)
// or the CUDA kernels (cuda/norm.h), and the graph nodes whose backward calls the
// dedicated backward kernels.
#include "autograd/ops/norm.h"

#include <memory>
#include <string>

#include "autograd/node.h"
#include "autograd/ops/dispatch.h"
#include "cpu/norm.h"
#include "cuda/norm.h"

namespace nanossl {
namespace {

// Checks that an optional per-channel tensor is undefined or a float (C) vector.
void check_channel_vector(const Tensor& t, const char* what, std::int64_t C, const Tensor& x) {
  if (!t.defined()) return;
  check_float("batch_norm", t, what);
  if (t.ndim() != 1 || t.size(0) != C) {
    op_error("batch_norm", std::string(what) + " has shape " + shape_str(t.shape()) +
                               ", expected " + std::to_string(C) + " (one per channel of input " +
                               shape_str(x.shape()) + ")");
  }
}

struct BatchNormBackward : autograd::Node {
  Tensor x, weight;               // saved detached; weight may be undefined
  Tensor save_mean, save_invstd;  // (C) f64, from the forward
  std::int64_t N = 0, C = 0, S = 0;
  bool training = true;
  const char* name() const override { return "batch_norm"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx, dweight, dbias;
    if (input_needs_grad(0)) dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    if (input_needs_grad(1)) dweight = Tensor::empty({C}, x.dtype(), x.device());
    if (input_needs_grad(2)) dbias = Tensor::empty({C}, x.dtype(), x.device());
    if (x.device().is_cpu()) {
      dispatch_float(name(), x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::batch_norm_backward<T>(g.data<T>(), x.data<T>(), data_or_null<T>(weight),
                                    save_mean.data<double>(), save_invstd.data<double>(),
                                    data_or_null<T>(dx), data_or_null<T>(dweight),
                                    data_or_null<T>(dbias), N, C, S, training);
      });
    } else {
      cuda::batch_norm_backward(x.dtype(), g.data_ptr(), x.data_ptr(), data_ptr_or_null(weight),
                                save_mean.data<double>(), save_invstd.data<double>(),
                                data_ptr_or_null(dx), data_ptr_or_null(dweight),
                                data_ptr_or_null(dbias), N, C, S, training);
    }
    return {dx, dweight, dbias};
  }
};

struct L2NormalizeBackward : autograd::Node {
  Tensor x;  // saved detached
  double eps = 0.0;
  const char* name() const override { return "l2_normalize"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    const std::int64_t N = x.size(0), D = x.size(1);
    if (x.device().is_cpu()) {
      dispatch_float(name(), x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::l2_normalize_backward<T>(g.data<T>(), x.data<T>(), dx.data<T>(), N, D, eps);
      });
    } else {
      cuda::l2_normalize_backward(x.dtype(), g.data_ptr(), x.data_ptr(), dx.data_ptr(), N, D, eps);
    }
    return {dx};
  }
};

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  double momentum, double eps) {
  const char* op = "batch_norm";
  check_float(op, x, "input");
  if (x.ndim() != 2 && x.ndim() != 4) {
    op_error(op, "expects an (N,C) or (N,C,H,W) input, got " + shape_str(x.shape()));
  }
  const std::int64_t N = x.size(0), C = x.size(1);
  const std::int64_t S = x.ndim() == 4 ? x.size(2) * x.size(3) : 1;
  check_channel_vector(weight, "weight", C, x);
  check_channel_vector(bias, "bias", C, x);
  check_channel_vector(running_mean, "running_mean", C, x);
  check_channel_vector(running_var, "running_var", C, x);
  check_same(op, {&x, &weight, &bias, &running_mean, &running_var});
  if (running_mean.defined() != running_var.defined()) {
    op_error(op, "running_mean and running_var must both be given or both be undefined");
  }
  if (!training && !running_mean.defined()) {
    op_error(op,
             "eval mode needs running_mean and running_var (input " + shape_str(x.shape()) + ")");
  }
  if (training && N * S <= 1) {
    op_error(op, "training needs more than 1 value per channel, got input " + shape_str(x.shape()));
  }
  if (eps <= 0.0) op_error(op, "eps must be positive, got " + std::to_string(eps));

  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  // The statistics the output was normalised with, kept in double for the backward.
  Tensor save_mean = Tensor::empty({C}, DType::f64, x.device());
  Tensor save_invstd = Tensor::empty({C}, DType::f64, x.device());
  double* mean_out = save_mean.data<double>();
  double* invstd_out = save_invstd.data<double>();
  if (x.device().is_cpu()) {
    dispatch_float(op, x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      if (training) {
        cpu::batch_norm_forward_train<T>(x.data<T>(), data_or_null<T>(weight),
                                         data_or_null<T>(bias), y.data<T>(), mean_out, invstd_out,
                                         data_or_null<T>(running_mean),
                                         data_or_null<T>(running_var), N, C, S, momentum, eps);
      } else {
        cpu::batch_norm_forward_eval<T>(x.data<T>(), data_or_null<T>(weight), data_or_null<T>(bias),
                                        running_mean.data<T>(), running_var.data<T>(), y.data<T>(),
                                        mean_out, invstd_out, N, C, S, eps);
      }
    });
  } else if (training) {
    cuda::batch_norm_forward_train(x.dtype(), x.data_ptr(), data_ptr_or_null(weight),
                                   data_ptr_or_null(bias), y.data_ptr(), mean_out, invstd_out,
                                   data_ptr_or_null(running_mean), data_ptr_or_null(running_var), N,
                                   C, S, momentum, eps);
  } else {
    cuda::batch_norm_forward_eval(x.dtype(), x.data_ptr(), data_ptr_or_null(weight),
                                  data_ptr_or_null(bias), running_mean.data_ptr(),
                                  running_var.data_ptr(), y.data_ptr(), mean_out, invstd_out, N, C,
                                  S, eps);
  }

  auto node = std::make_shared<BatchNormBackward>();
  if (autograd::attach(y, node, {x, weight, bias})) {
    node->x = x.detach();
    if (weight.defined()) node->weight = weight.detach();
    node->save_mean = save_mean;
    node->save_invstd = save_invstd;
    node->N = N, node->C = C, node->S = S;
    node->training = training;
  }
  return y;
}

Tensor l2_normalize(const Tensor& x, double eps) {
  const char* op = "l2_normalize";
  check_float(op, x, "input");
  if (x.ndim() != 2) op_error(op, "expects an (N,D) input, got " + shape_str(x.shape()));
  if (eps <= 0.0) op_error(op, "eps must be positive, got " + std::to_string(eps));
  const std::int64_t N = x.size(0), D = x.size(1);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device().is_cpu()) {
    dispatch_float(op, x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::l2_normalize_forward<T>(x.data<T>(), y.data<T>(), N, D, eps);
    });
  } else {
    cuda::l2_normalize_forward(x.dtype(), x.data_ptr(), y.data_ptr(), N, D, eps);
  }
  auto node = std::make_shared<L2NormalizeBackward>();
  if (autograd::attach(y, node, {x})) {
    node->x = x.detach();
    node->eps = eps;
  }
  return y;
}

}  // namespace nanossl
