// Reductions (autograd/ops/reduce.h). A reduction over several dims runs one
// (outer, n, inner) kernel per run of adjacent reduced dims, last run first, each
// keeping its dims as size 1; the result is then viewed without them unless keepdim.
// sum's backward expands the gradient back; max's shares it among tied maxima.
#include "autograd/ops/reduce.h"

#include <memory>
#include <string>

#include "autograd/node.h"
#include "autograd/ops/broadcast.h"
#include "autograd/ops/dispatch.h"
#include "autograd/ops/elementwise.h"
#include "cpu/reduce.h"
#include "cuda/reduce.h"

namespace nanossl {

namespace {

enum class Reduction { sum, max };

// Which of `ndim` dims `dims` selects (every dim when it is empty).
std::vector<bool> reduced_dims(const char* op, const std::vector<std::int64_t>& dims, std::size_t ndim) {
  std::vector<bool> mask(ndim, dims.empty());
  for (std::int64_t dim : dims) {
    const int d = normalize_dim(op, dim, ndim);
    if (mask[d]) op_error(op, "dimension " + std::to_string(dim) + " is listed twice");
    mask[d] = true;
  }
  return mask;
}

// The output shape: reduced dims become 1 (keepdim) or disappear.
Shape reduced_shape(const Shape& shape, const std::vector<bool>& mask, bool keepdim) {
  Shape out;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (!mask[i]) out.push_back(shape[i]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

std::int64_t product(const Shape& shape, std::size_t begin, std::size_t end) {
  std::int64_t p = 1;
  for (std::size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

// x reduced over the masked dims, in keepdim shape, without a graph.
Tensor reduce_raw(const char* op, Reduction kind, const Tensor& x, const std::vector<bool>& mask) {
  Tensor current = x;
  Shape shape = x.shape();
  bool reduced = false;
  for (std::size_t end = shape.size(); end > 0;) {
    if (!mask[end - 1]) {
      --end;
      continue;
    }
    std::size_t begin = end - 1;
    while (begin > 0 && mask[begin - 1]) --begin;
    // This run is dims [begin, end): x viewed as (outer, n, inner).
    const std::int64_t outer = product(shape, 0, begin), n = product(shape, begin, end),
                       inner = product(shape, end, shape.size());
    Shape next = shape;
    for (std::size_t i = begin; i < end; ++i) next[i] = 1;
    Tensor out = Tensor::empty(next, x.dtype(), x.device());
    if (x.device().is_cuda()) {
      if (kind == Reduction::sum) cuda::sum_dim(x.dtype(), outer, n, inner, current.data_ptr(), out.data_ptr());
      else cuda::max_dim(x.dtype(), outer, n, inner, current.data_ptr(), out.data_ptr());
    } else {
      dispatch_float(op, x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        if (kind == Reduction::sum) cpu::sum_dim<T>(outer, n, inner, current.data<T>(), out.data<T>());
        else cpu::max_dim<T>(outer, n, inner, current.data<T>(), out.data<T>());
      });
    }
    current = out;
    shape = next;
    reduced = true;
    end = begin;
  }
  return reduced ? current : x.clone();  // ops return fresh tensors, also for no dims
}

struct SumBackward : autograd::Node {
  Shape x_shape, keep_shape;
  const char* name() const override { return "sum"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    return {expand_to(g.view(keep_shape), x_shape)};
  }
};

// The gradient goes to every element equal to its slice's maximum, shared equally
// among ties: g * mask / count, with mask = (x == max) and count = sum(mask).
struct MaxBackward : autograd::Node {
  Tensor x, max_keep;  // max_keep: the maxima in keepdim shape
  std::vector<std::int64_t> dims;
  const char* name() const override { return "max"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor mask = equal_mask(x, max_keep);
    const Tensor count = sum(mask, dims, /*keepdim=*/true);
    return {mul(mask, div(g.view(max_keep.shape()), count))};
  }
};

}  // namespace

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  check_float("sum", x);
  const std::vector<bool> mask = reduced_dims("sum", dims, x.ndim());
  const Tensor keep = reduce_raw("sum", Reduction::sum, x, mask);
  Tensor out = keep.view(reduced_shape(x.shape(), mask, keepdim));
  auto node = std::make_shared<SumBackward>();
  node->x_shape = x.shape();
  node->keep_shape = keep.shape();
  autograd::attach(out, node, {x});
  return out;
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  check_float("mean", x);
  const std::vector<bool> mask = reduced_dims("mean", dims, x.ndim());
  std::int64_t count = 1;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) count *= x.shape()[i];
  }
  return mul_scalar(sum(x, dims, keepdim), 1.0 / static_cast<double>(count));
}

Tensor max(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  check_float("max", x);
  const std::vector<bool> mask = reduced_dims("max", dims, x.ndim());
  std::vector<std::int64_t> reduced;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    if (x.shape()[i] == 0) {
      op_error("max", "cannot reduce over dimension " + std::to_string(i) + " of size 0 (shape " +
                          shape_str(x.shape()) + ")");
    }
    reduced.push_back(static_cast<std::int64_t>(i));
  }
  const Tensor keep = reduce_raw("max", Reduction::max, x, mask);
  Tensor out = keep.view(reduced_shape(x.shape(), mask, keepdim));
  auto node = std::make_shared<MaxBackward>();
  if (autograd::attach(out, node, {x})) {
    node->x = x.detach();
    node->max_keep = keep.detach();
    node->dims = reduced;
  }
  return out;
}

Tensor argmax(const Tensor& x, std::int64_t dim) {
  check_float("argmax", x);
  const int d = normalize_dim("argmax", dim, x.ndim());
  const Shape& shape = x.shape();
  const std::int64_t n = shape[d];
  if (n == 0) {
    op_error("argmax", "cannot take the argmax over dimension " + std::to_string(dim) +
                           " of size 0 (shape " + shape_str(shape) + ")");
  }
  const std::int64_t outer = product(shape, 0, d), inner = product(shape, d + 1, shape.size());
  Shape out_shape = shape;
  out_shape.erase(out_shape.begin() + d);
  Tensor out = Tensor::empty(out_shape, DType::i64, x.device());
  if (x.device().is_cuda()) {
    cuda::argmax_dim(x.dtype(), outer, n, inner, x.data_ptr(), out.data_ptr());
  } else {
    dispatch_float("argmax", x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::argmax_dim<T>(outer, n, inner, x.data<T>(), out.data<std::int64_t>());
    });
  }
  return out;
}

}  // namespace nanossl
