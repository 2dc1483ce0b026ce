// max_pool2d, avg_pool2d and global_avg_pool2d: shape checks, dispatch to the CPU
// kernels (cpu/pooling.h) or the CUDA kernels (cuda/pooling.h), and the graph nodes
// whose backward calls the dedicated backward kernels.
#include "autograd/ops/pooling.h"

#include <memory>
#include <string>

#include "autograd/node.h"
#include "autograd/ops/dispatch.h"
#include "cpu/pooling.h"
#include "cuda/pooling.h"

namespace nanossl {
namespace {

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
  g.P = pool2d_output_size(g.H, kernel, stride, padding);
  g.Q = pool2d_output_size(g.W, kernel, stride, padding);
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
