// Elementwise ops (autograd/ops/elementwise.h and broadcast.h): validate, allocate,
// run the CPU or CUDA kernel, attach a node. Binary backwards reduce broadcast
// gradients with sum_to_shape; relu and pow call dedicated backward kernels, the
// other backwards are compositions of forward ops.
#include "autograd/ops/elementwise.h"

#include <memory>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops/broadcast.h"
#include "autograd/ops/dispatch.h"
#include "autograd/ops/reduce.h"
#include "cpu/broadcast.h"
#include "cpu/elementwise.h"
#include "cuda/elementwise.h"

namespace nanossl {

namespace {

using cpu::BinaryOp;
using cpu::UnaryOp;

// out = a op b with broadcasting, no graph.
Tensor binary_raw(const char* op, BinaryOp kind, const Tensor& a, const Tensor& b) {
  check_float(op, a, "a");
  check_float(op, b, "b");
  check_same(op, {&a, &b});
  const Shape shape = cpu::broadcast_shape(op, a.shape(), b.shape());
  const cpu::BroadcastPlan plan = cpu::make_broadcast_plan(op, a.shape(), b.shape());
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  if (a.device().is_cuda()) {
    cuda::binary_forward(a.dtype(), kind, plan, a.data_ptr(), b.data_ptr(), out.data_ptr());
  } else {
    dispatch_float(op, a.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::binary_forward<T>(kind, plan, a.data<T>(), b.data<T>(), out.data<T>());
    });
  }
  return out;
}

// out = f(x) elementwise, no graph.
Tensor unary_raw(const char* op, UnaryOp kind, const Tensor& x, double scalar = 0.0) {
  check_float(op, x);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device().is_cuda()) {
    cuda::unary_forward(x.dtype(), kind, x.numel(), x.data_ptr(), out.data_ptr(), scalar);
  } else {
    dispatch_float(op, x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::unary_forward<T>(kind, x.numel(), x.data<T>(), out.data<T>(), static_cast<T>(scalar));
    });
  }
  return out;
}

// ---- binary backwards ----

struct AddBackward : autograd::Node {
  Shape a_shape, b_shape;
  const char* name() const override { return "add"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    return {input_needs_grad(0) ? sum_to_shape(g, a_shape) : Tensor(),
            input_needs_grad(1) ? sum_to_shape(g, b_shape) : Tensor()};
  }
};

struct SubBackward : autograd::Node {
  Shape a_shape, b_shape;
  const char* name() const override { return "sub"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    return {input_needs_grad(0) ? sum_to_shape(g, a_shape) : Tensor(),
            input_needs_grad(1) ? neg(sum_to_shape(g, b_shape)) : Tensor()};
  }
};

struct MulBackward : autograd::Node {
  Tensor a, b;  // each saved only if the other input needs its gradient
  Shape a_shape, b_shape;
  const char* name() const override { return "mul"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    return {input_needs_grad(0) ? sum_to_shape(mul(g, b), a_shape) : Tensor(),
            input_needs_grad(1) ? sum_to_shape(mul(g, a), b_shape) : Tensor()};
  }
};

// d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -out/b.
struct DivBackward : autograd::Node {
  Tensor b, out;
  Shape a_shape, b_shape;
  const char* name() const override { return "div"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    return {input_needs_grad(0) ? sum_to_shape(div(g, b), a_shape) : Tensor(),
            input_needs_grad(1) ? neg(sum_to_shape(div(mul(g, out), b), b_shape)) : Tensor()};
  }
};

// ---- unary backwards ----

struct NegBackward : autograd::Node {
  const char* name() const override { return "neg"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {neg(g)}; }
};

struct AddScalarBackward : autograd::Node {
  const char* name() const override { return "add_scalar"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {g}; }
};

struct MulScalarBackward : autograd::Node {
  double s = 1.0;
  const char* name() const override { return "mul_scalar"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {mul_scalar(g, s)}; }
};

struct ExpBackward : autograd::Node {
  Tensor out;
  const char* name() const override { return "exp"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {mul(g, out)}; }
};

struct LogBackward : autograd::Node {
  Tensor x;
  const char* name() const override { return "log"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {div(g, x)}; }
};

// d sqrt(x)/dx = 1 / (2 sqrt(x)).
struct SqrtBackward : autograd::Node {
  Tensor out;
  const char* name() const override { return "sqrt"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {div(mul_scalar(g, 0.5), out)}; }
};

struct PowBackward : autograd::Node {
  Tensor x;
  double exponent = 1.0;
  const char* name() const override { return "pow"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    if (x.device().is_cuda()) {
      cuda::pow_backward(x.dtype(), x.numel(), g.data_ptr(), x.data_ptr(), exponent, dx.data_ptr());
    } else {
      dispatch_float("pow", x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::pow_backward<T>(x.numel(), g.data<T>(), x.data<T>(), static_cast<T>(exponent), dx.data<T>());
      });
    }
    return {dx};
  }
};

struct ReluBackward : autograd::Node {
  Tensor out;
  const char* name() const override { return "relu"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = Tensor::empty(out.shape(), out.dtype(), out.device());
    if (out.device().is_cuda()) {
      cuda::relu_backward(out.dtype(), out.numel(), g.data_ptr(), out.data_ptr(), dx.data_ptr());
    } else {
      dispatch_float("relu", out.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::relu_backward<T>(out.numel(), g.data<T>(), out.data<T>(), dx.data<T>());
      });
    }
    return {dx};
  }
};

// ---- broadcasting helpers ----

struct SumToShapeBackward : autograd::Node {
  Shape grad_shape;
  const char* name() const override { return "sum_to_shape"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {expand_to(g, grad_shape)}; }
};

struct ExpandBackward : autograd::Node {
  Shape x_shape;
  const char* name() const override { return "expand_to"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {sum_to_shape(g, x_shape)}; }
};

// The binary ops share one shape of code: forward, then a node with both shapes.
template <class NodeType>
std::shared_ptr<NodeType> binary_node(const Tensor& a, const Tensor& b) {
  auto node = std::make_shared<NodeType>();
  node->a_shape = a.shape();
  node->b_shape = b.shape();
  return node;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_raw("add", BinaryOp::add, a, b);
  autograd::attach(out, binary_node<AddBackward>(a, b), {a, b});
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_raw("sub", BinaryOp::sub, a, b);
  autograd::attach(out, binary_node<SubBackward>(a, b), {a, b});
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_raw("mul", BinaryOp::mul, a, b);
  auto node = binary_node<MulBackward>(a, b);
  if (autograd::attach(out, node, {a, b})) {
    if (node->input_needs_grad(0)) node->b = b.detach();
    if (node->input_needs_grad(1)) node->a = a.detach();
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_raw("div", BinaryOp::div, a, b);
  auto node = binary_node<DivBackward>(a, b);
  if (autograd::attach(out, node, {a, b})) {
    node->b = b.detach();
    if (node->input_needs_grad(1)) node->out = out.detach();
  }
  return out;
}

Tensor neg(const Tensor& x) {
  Tensor out = unary_raw("neg", UnaryOp::neg, x);
  autograd::attach(out, std::make_shared<NegBackward>(), {x});
  return out;
}

Tensor add_scalar(const Tensor& x, double s) {
  Tensor out = unary_raw("add_scalar", UnaryOp::add_scalar, x, s);
  autograd::attach(out, std::make_shared<AddScalarBackward>(), {x});
  return out;
}

Tensor mul_scalar(const Tensor& x, double s) {
  Tensor out = unary_raw("mul_scalar", UnaryOp::mul_scalar, x, s);
  auto node = std::make_shared<MulScalarBackward>();
  node->s = s;
  autograd::attach(out, node, {x});
  return out;
}

Tensor exp(const Tensor& x) {
  Tensor out = unary_raw("exp", UnaryOp::exp, x);
  auto node = std::make_shared<ExpBackward>();
  if (autograd::attach(out, node, {x})) node->out = out.detach();
  return out;
}

Tensor log(const Tensor& x) {
  Tensor out = unary_raw("log", UnaryOp::log, x);
  auto node = std::make_shared<LogBackward>();
  if (autograd::attach(out, node, {x})) node->x = x.detach();
  return out;
}

Tensor sqrt(const Tensor& x) {
  Tensor out = unary_raw("sqrt", UnaryOp::sqrt, x);
  auto node = std::make_shared<SqrtBackward>();
  if (autograd::attach(out, node, {x})) node->out = out.detach();
  return out;
}

Tensor pow(const Tensor& x, double exponent) {
  Tensor out = unary_raw("pow", UnaryOp::pow, x, exponent);
  auto node = std::make_shared<PowBackward>();
  node->exponent = exponent;
  if (autograd::attach(out, node, {x})) node->x = x.detach();
  return out;
}

Tensor relu(const Tensor& x) {
  Tensor out = unary_raw("relu", UnaryOp::relu, x);
  auto node = std::make_shared<ReluBackward>();
  if (autograd::attach(out, node, {x})) node->out = out.detach();
  return out;
}

Tensor sum_to_shape(const Tensor& grad, const Shape& shape) {
  check_float("sum_to_shape", grad, "grad");
  const Shape& from = grad.shape();
  if (from == shape) return grad;
  // `shape` must broadcast to `from`: right-aligned, each extent equal or 1.
  const bool fits = shape.size() <= from.size();
  const std::size_t lead = fits ? from.size() - shape.size() : 0;
  std::vector<std::int64_t> dims;
  for (std::size_t i = 0; fits && i < lead; ++i) dims.push_back(static_cast<std::int64_t>(i));
  for (std::size_t i = 0; fits && i < shape.size(); ++i) {
    if (shape[i] == from[lead + i]) continue;
    if (shape[i] != 1) {
      op_error("sum_to_shape", "cannot reduce a gradient of shape " + shape_str(from) +
                                   " to shape " + shape_str(shape));
    }
    dims.push_back(static_cast<std::int64_t>(lead + i));
  }
  if (!fits) {
    op_error("sum_to_shape", "cannot reduce a gradient of shape " + shape_str(from) +
                                 " to shape " + shape_str(shape));
  }
  Tensor out;
  {
    NoGradGuard no_grad;
    out = sum(grad, dims, /*keepdim=*/true).view(shape);
  }
  auto node = std::make_shared<SumToShapeBackward>();
  node->grad_shape = from;
  autograd::attach(out, node, {grad});
  return out;
}

Tensor expand_to(const Tensor& x, const Shape& shape) {
  check_float("expand_to", x);
  if (x.shape() == shape) return x;
  if (cpu::broadcast_shape("expand_to", x.shape(), shape) != shape) {
    op_error("expand_to", "cannot expand shape " + shape_str(x.shape()) + " to shape " + shape_str(shape));
  }
  const cpu::BroadcastPlan plan = cpu::make_broadcast_plan("expand_to", x.shape(), shape);
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  if (x.device().is_cuda()) {
    cuda::expand_forward(x.dtype(), plan, x.data_ptr(), out.data_ptr());
  } else {
    dispatch_float("expand_to", x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::expand_forward<T>(plan, x.data<T>(), out.data<T>());
    });
  }
  auto node = std::make_shared<ExpandBackward>();
  node->x_shape = x.shape();
  autograd::attach(out, node, {x});
  return out;
}

Tensor equal_mask(const Tensor& a, const Tensor& b) {
  return binary_raw("equal_mask", BinaryOp::eq, a, b);
}

}  // namespace nanossl
