// conv2d: shape checks, dispatch to the CPU kernels (cpu/conv.h) or the CUDA kernels
// (cuda/conv.h), and the graph node whose backward calls the dedicated backward kernels.
#include "autograd/ops/conv.h"

#include <memory>
#include <string>

#include "autograd/node.h"
#include "autograd/ops/dispatch.h"
#include "cpu/conv.h"
#include "cuda/conv.h"

namespace nanossl {
namespace {

Conv2dGeometry conv2d_geometry(const Tensor& x, const Tensor& weight, const Tensor& bias,
                               const Conv2dOptions& options) {
  const char* op = "conv2d";
  check_float(op, x, "input");
  check_float(op, weight, "weight");
  check_same(op, {&x, &weight, &bias});
  check_4d(op, x, "input", "(N,C,H,W)");
  check_4d(op, weight, "weight", "(K,C,R,S)");
  Conv2dGeometry g;
  g.N = x.size(0), g.C = x.size(1), g.H = x.size(2), g.W = x.size(3);
  g.K = weight.size(0), g.R = weight.size(2), g.S = weight.size(3);
  g.stride = options.stride, g.padding = options.padding, g.dilation = options.dilation;
  if (weight.size(1) != g.C)
    op_error(op, "input has " + std::to_string(g.C) + " channels, weight expects " +
                     std::to_string(weight.size(1)) + " (input " + shape_str(x.shape()) +
                     ", weight " + shape_str(weight.shape()) + ")");
  if (bias.defined() && (bias.ndim() != 1 || bias.size(0) != g.K))
    op_error(op, "bias must have shape " + std::to_string(g.K) +
                     " (one per output channel of weight " + shape_str(weight.shape()) +
                     "), got " + shape_str(bias.shape()));
  if (g.stride < 1 || g.padding < 0 || g.dilation < 1)
    op_error(op, "needs stride >= 1, padding >= 0, dilation >= 1, got stride " +
                     std::to_string(g.stride) + ", padding " + std::to_string(g.padding) +
                     ", dilation " + std::to_string(g.dilation));
  if (g.K == 0 || g.R == 0 || g.S == 0 || g.C == 0)
    op_error(op, "weight " + shape_str(weight.shape()) + " has an empty dimension");
  g.P = conv2d_output_size(g.H, g.R, g.stride, g.padding, g.dilation);
  g.Q = conv2d_output_size(g.W, g.S, g.stride, g.padding, g.dilation);
  if (g.P < 1 || g.Q < 1)
    op_error(op, "kernel " + hw_str(g.R, g.S) + " (dilation " + std::to_string(g.dilation) +
                     ") is larger than the padded input " +
                     hw_str(g.H + 2 * g.padding, g.W + 2 * g.padding) + " (input " +
                     shape_str(x.shape()) + ", padding " + std::to_string(g.padding) + ")");
  return g;
}

struct Conv2dBackward : autograd::Node {
  Tensor x, weight;  // saved detached
  Conv2dGeometry geometry;
  bool has_bias = false;
  const char* name() const override { return "conv2d"; }
  std::vector<Tensor> backward(const Tensor& dout) override {
    Tensor dx, dweight, dbias;
    if (input_needs_grad(0)) dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    if (input_needs_grad(1)) dweight = Tensor::empty(weight.shape(), x.dtype(), x.device());
    if (has_bias && input_needs_grad(2))
      dbias = Tensor::empty({geometry.K}, x.dtype(), x.device());
    if (x.device().is_cpu()) {
      dispatch_float(name(), x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::conv2d_backward<T>(x.data<T>(), weight.data<T>(), dout.data<T>(), data_or_null<T>(dx),
                                data_or_null<T>(dweight), data_or_null<T>(dbias), geometry);
      });
    } else {
      cuda::conv2d_backward(x.dtype(), x.data_ptr(), weight.data_ptr(), dout.data_ptr(),
                            data_ptr_or_null(dx), data_ptr_or_null(dweight),
                            data_ptr_or_null(dbias), geometry);
    }
    return {dx, dweight, dbias};
  }
};

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const Conv2dOptions& options) {
  const Conv2dGeometry g = conv2d_geometry(x, weight, bias, options);
  Tensor out = Tensor::empty({g.N, g.K, g.P, g.Q}, x.dtype(), x.device());
  if (x.device().is_cpu()) {
    dispatch_float("conv2d", x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::conv2d_forward<T>(x.data<T>(), weight.data<T>(), data_or_null<T>(bias), out.data<T>(),
                             g);
    });
  } else {
    cuda::conv2d_forward(x.dtype(), x.data_ptr(), weight.data_ptr(), data_ptr_or_null(bias),
                         out.data_ptr(), g);
  }
  auto node = std::make_shared<Conv2dBackward>();
  if (autograd::attach(out, node, {x, weight, bias})) {
    node->x = x.detach();
    node->weight = weight.detach();
    node->geometry = g;
    node->has_bias = bias.defined();
  }
  return out;
}

}  // namespace nanossl
