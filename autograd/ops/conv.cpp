// conv2d, max_pool2d, avg_pool2d and global_avg_pool2d: shape checks, dispatch to
// the CPU kernels (cpu/conv2d.h, cpu/pool.h) or CUDA kernels (cuda/conv.h,
// cuda/pool.h), and the graph nodes whose backward calls the dedicated backward kernels.
#include "autograd/ops/conv.h"

#include <memory>
#include <string>

#include "autograd/node.h"
#include "autograd/ops/dispatch.h"
#include "cpu/conv2d.h"
#include "cpu/pool.h"
#include "cuda/conv.h"
#include "cuda/pool.h"

namespace nanossl {
namespace {

std::string hw_str(std::int64_t h, std::int64_t w) {
  return std::to_string(h) + "x" + std::to_string(w);
}

void check_4d(const char* op, const Tensor& t, const char* what, const char* layout) {
  if (t.ndim() != 4)
    op_error(op, std::string("expects a 4-D ") + what + " " + layout + ", got " +
                     shape_str(t.shape()));
}

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

Pool2dGeometry pool2d_geometry(const char* op, const Tensor& x, std::int64_t kernel,
                               std::int64_t stride, std::int64_t padding) {
  check_float(op, x, "input");
  check_4d(op, x, "input", "(N,C,H,W)");
  if (kernel < 1 || stride < 1 || padding < 0 || padding > kernel / 2)
    op_error(op, "needs kernel >= 1, stride >= 1 and 0 <= padding <= kernel/2, got kernel " +
                     std::to_string(kernel) + ", stride " + std::to_string(stride) +
                     ", padding " + std::to_string(padding));
  Pool2dGeometry g;
  g.N = x.size(0), g.C = x.size(1), g.H = x.size(2), g.W = x.size(3);
  g.kernel = kernel, g.stride = stride, g.padding = padding;
  g.P = conv2d_output_size(g.H, kernel, stride, padding, 1);
  g.Q = conv2d_output_size(g.W, kernel, stride, padding, 1);
  if (g.P < 1 || g.Q < 1)
    op_error(op, "kernel " + hw_str(kernel, kernel) + " is larger than the padded input " +
                     hw_str(g.H + 2 * padding, g.W + 2 * padding) + " (input " +
                     shape_str(x.shape()) + ", padding " + std::to_string(padding) + ")");
  return g;
}

struct MaxPool2dBackward : autograd::Node {
  Tensor indices;  // (N,C,P,Q) i64, argmax within each input plane
  Shape input_shape;
  Pool2dGeometry geometry;
  const char* name() const override { return "max_pool2d"; }
  std::vector<Tensor> backward(const Tensor& dout) override {
    Tensor dx = Tensor::empty(input_shape, dout.dtype(), dout.device());
    const auto* idx = static_cast<const std::int64_t*>(indices.data_ptr());
    if (dx.device().is_cpu()) {
      dispatch_float(name(), dx.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::max_pool2d_backward<T>(dout.data<T>(), idx, dx.data<T>(), geometry);
      });
    } else {
      cuda::max_pool2d_backward(dx.dtype(), dout.data_ptr(), idx, dx.data_ptr(), geometry);
    }
    return {dx};
  }
};

struct AvgPool2dBackward : autograd::Node {
  Shape input_shape;
  Pool2dGeometry geometry;
  const char* name() const override { return "avg_pool2d"; }
  std::vector<Tensor> backward(const Tensor& dout) override {
    Tensor dx = Tensor::empty(input_shape, dout.dtype(), dout.device());
    if (dx.device().is_cpu()) {
      dispatch_float(name(), dx.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::avg_pool2d_backward<T>(dout.data<T>(), dx.data<T>(), geometry);
      });
    } else {
      cuda::avg_pool2d_backward(dx.dtype(), dout.data_ptr(), dx.data_ptr(), geometry);
    }
    return {dx};
  }
};

struct GlobalAvgPool2dBackward : autograd::Node {
  Shape input_shape;
  const char* name() const override { return "global_avg_pool2d"; }
  std::vector<Tensor> backward(const Tensor& dout) override {
    Tensor dx = Tensor::empty(input_shape, dout.dtype(), dout.device());
    const std::int64_t planes = input_shape[0] * input_shape[1];
    const std::int64_t size = input_shape[2] * input_shape[3];
    if (dx.device().is_cpu()) {
      dispatch_float(name(), dx.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::global_avg_pool2d_backward<T>(dout.data<T>(), dx.data<T>(), planes, size);
      });
    } else {
      cuda::global_avg_pool2d_backward(dx.dtype(), dout.data_ptr(), dx.data_ptr(), planes, size);
    }
    return {dx};
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

Tensor max_pool2d(const Tensor& x, std::int64_t kernel, std::int64_t stride, std::int64_t padding) {
  const Pool2dGeometry g = pool2d_geometry("max_pool2d", x, kernel, stride, padding);
  Tensor out = Tensor::empty({g.N, g.C, g.P, g.Q}, x.dtype(), x.device());
  Tensor indices = Tensor::empty({g.N, g.C, g.P, g.Q}, DType::i64, x.device());
  auto* idx = static_cast<std::int64_t*>(indices.data_ptr());
  if (x.device().is_cpu()) {
    dispatch_float("max_pool2d", x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::max_pool2d_forward<T>(x.data<T>(), out.data<T>(), idx, g);
    });
  } else {
    cuda::max_pool2d_forward(x.dtype(), x.data_ptr(), out.data_ptr(), idx, g);
  }
  auto node = std::make_shared<MaxPool2dBackward>();
  if (autograd::attach(out, node, {x})) {
    node->indices = indices;
    node->input_shape = x.shape();
    node->geometry = g;
  }
  return out;
}

Tensor avg_pool2d(const Tensor& x, std::int64_t kernel, std::int64_t stride, std::int64_t padding) {
  const Pool2dGeometry g = pool2d_geometry("avg_pool2d", x, kernel, stride, padding);
  Tensor out = Tensor::empty({g.N, g.C, g.P, g.Q}, x.dtype(), x.device());
  if (x.device().is_cpu()) {
    dispatch_float("avg_pool2d", x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::avg_pool2d_forward<T>(x.data<T>(), out.data<T>(), g);
    });
  } else {
    cuda::avg_pool2d_forward(x.dtype(), x.data_ptr(), out.data_ptr(), g);
  }
  auto node = std::make_shared<AvgPool2dBackward>();
  if (autograd::attach(out, node, {x})) {
    node->input_shape = x.shape();
    node->geometry = g;
  }
  return out;
}

Tensor global_avg_pool2d(const Tensor& x) {
  const char* op = "global_avg_pool2d";
  check_float(op, x, "input");
  check_4d(op, x, "input", "(N,C,H,W)");
  if (x.size(2) * x.size(3) == 0)
    op_error(op, "input " + shape_str(x.shape()) + " has an empty spatial plane");
  const std::int64_t planes = x.size(0) * x.size(1), size = x.size(2) * x.size(3);
  Tensor out = Tensor::empty({x.size(0), x.size(1), 1, 1}, x.dtype(), x.device());
  if (x.device().is_cpu()) {
    dispatch_float(op, x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::global_avg_pool2d_forward<T>(x.data<T>(), out.data<T>(), planes, size);
    });
  } else {
    cuda::global_avg_pool2d_forward(x.dtype(), x.data_ptr(), out.data_ptr(), planes, size);
  }
  auto node = std::make_shared<GlobalAvgPool2dBackward>();
  if (autograd::attach(out, node, {x})) node->input_shape = x.shape();
  return out;
}

}  // namespace nanossl
