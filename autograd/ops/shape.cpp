// Differentiable shape ops. reshape and slice return views (shared storage);
// permute, transpose, index_select and cat return fresh contiguous tensors.
#include "autograd/ops/shape.h"

#include <algorithm>
#include <numeric>

#include "autograd/node.h"
#include "autograd/ops/dispatch.h"
#include "cpu/shape.h"
#include "cuda/shape.h"

namespace nanossl {
namespace {

struct ReshapeBackward : autograd::Node {
  Shape input_shape;
  const char* name() const override { return "reshape"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {reshape(g, input_shape)}; }
};

struct PermuteBackward : autograd::Node {
  std::vector<std::int64_t> inverse;
  const char* name() const override { return "permute"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {permute(g, inverse)}; }
};

struct SliceBackward : autograd::Node {
  Shape input_shape;
  std::int64_t start = 0;
  const char* name() const override { return "slice"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = Tensor::zeros(input_shape, g.dtype(), g.device());
    dx.narrow0(start, start + g.size(0)).copy_(g);
    return {dx};
  }
};

Tensor scatter_add_rows(const Tensor& rows, const Tensor& indices, const Shape& target_shape) {
  Tensor out = Tensor::zeros(target_shape, rows.dtype(), rows.device());
  const std::int64_t n = indices.numel();
  const std::int64_t row_size = n == 0 ? 0 : rows.numel() / n;
  if (rows.device().is_cpu()) {
    dispatch_float("index_select", rows.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::scatter_add_rows<T>(rows.data<T>(), indices.data<std::int64_t>(), out.data<T>(), n, row_size);
    });
  } else {
    cuda::scatter_add_rows(rows.dtype(), rows.data_ptr(), indices.data<std::int64_t>(), out.data_ptr(), n, row_size);
  }
  return out;
}

struct IndexSelectBackward : autograd::Node {
  Tensor indices;
  Shape input_shape;
  const char* name() const override { return "index_select"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    return {scatter_add_rows(g, indices, input_shape), Tensor()};
  }
};

struct CatBackward : autograd::Node {
  std::vector<std::int64_t> extents;  // each part's size along dim
  std::int64_t dim = 0;
  const char* name() const override { return "cat"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    std::vector<Tensor> grads;
    std::int64_t start = 0;
    for (std::size_t i = 0; i < extents.size(); ++i) {
      if (input_needs_grad(i)) {
        // Move `dim` to the front, take the rows, move it back.
        std::vector<std::int64_t> order(g.ndim());
        std::iota(order.begin(), order.end(), 0);
        std::swap(order[0], order[static_cast<std::size_t>(dim)]);
        Tensor front = dim == 0 ? g : permute(g, order);
        Tensor part = front.narrow0(start, start + extents[i]);
        grads.push_back(dim == 0 ? part.clone() : permute(part, order));
      } else {
        grads.push_back(Tensor());
      }
      start += extents[i];
    }
    return grads;
  }
};

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  Tensor out = x.view(shape);
  auto node = std::make_shared<ReshapeBackward>();
  if (autograd::attach(out, node, {x})) node->input_shape = x.shape();
  return out;
}

Tensor flatten(const Tensor& x, std::int64_t start_dim) {
  const int start = normalize_dim("flatten", start_dim, x.ndim());
  Shape shape(x.shape().begin(), x.shape().begin() + start);
  shape.push_back(-1);
  if (x.numel() == 0) {
    std::int64_t rest = 1;
    for (std::size_t d = static_cast<std::size_t>(start); d < x.ndim(); ++d) rest *= x.shape()[d];
    shape.back() = rest;
  }
  return reshape(x, shape);
}

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& order) {
  const std::size_t ndim = x.ndim();
  if (order.size() != ndim || ndim > static_cast<std::size_t>(cpu::kMaxDims)) {
    op_error("permute", "order of " + std::to_string(order.size()) + " dims for a tensor " +
                            shape_str(x.shape()) + " (at most 8 dims)");
  }
  std::vector<std::int64_t> normalized(ndim), inverse(ndim, -1);
  for (std::size_t k = 0; k < ndim; ++k) {
    normalized[k] = normalize_dim("permute", order[k], ndim);
    if (inverse[static_cast<std::size_t>(normalized[k])] != -1) op_error("permute", "dimension repeated in the order");
    inverse[static_cast<std::size_t>(normalized[k])] = static_cast<std::int64_t>(k);
  }
  std::vector<std::int64_t> in_strides_by_dim(ndim, 1);
  for (std::size_t d = ndim; d-- > 1;) in_strides_by_dim[d - 1] = in_strides_by_dim[d] * x.shape()[d];
  Shape out_shape(ndim);
  std::vector<std::int64_t> in_strides(ndim);
  for (std::size_t k = 0; k < ndim; ++k) {
    out_shape[k] = x.shape()[static_cast<std::size_t>(normalized[k])];
    in_strides[k] = in_strides_by_dim[static_cast<std::size_t>(normalized[k])];
  }
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  if (x.device().is_cpu()) {
    dispatch_dtype(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::permute_copy<T>(x.data<T>(), out.data<T>(), static_cast<int>(ndim), out_shape.data(), in_strides.data(), out.numel());
    });
  } else {
    cuda::permute_copy(x.dtype(), x.data_ptr(), out.data_ptr(), static_cast<int>(ndim), out_shape.data(),
                       in_strides.data(), out.numel());
  }
  auto node = std::make_shared<PermuteBackward>();
  if (autograd::attach(out, node, {x})) node->inverse = inverse;
  return out;
}

Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
  std::vector<std::int64_t> order(x.ndim());
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[static_cast<std::size_t>(normalize_dim("transpose", dim0, x.ndim()))],
            order[static_cast<std::size_t>(normalize_dim("transpose", dim1, x.ndim()))]);
  return permute(x, order);
}

Tensor slice(const Tensor& x, std::int64_t start, std::int64_t end) {
  Tensor out = x.narrow0(start, end);
  auto node = std::make_shared<SliceBackward>();
  if (autograd::attach(out, node, {x})) {
    node->input_shape = x.shape();
    node->start = start;
  }
  return out;
}

Tensor index_select(const Tensor& x, const Tensor& indices) {
  if (!indices.defined() || indices.dtype() != DType::i64 || indices.ndim() != 1) {
    op_error("index_select", "indices must be a 1-D i64 tensor, got " + indices.describe());
  }
  if (x.ndim() == 0) op_error("index_select", "cannot index a scalar tensor");
  if (!(indices.device() == x.device())) {
    op_error("index_select", "indices " + indices.describe() + " and input " + x.describe() + " are on different devices");
  }
  const std::int64_t rows = x.size(0);
  const std::vector<std::int64_t> host_indices = indices.to_vector<std::int64_t>();
  for (std::size_t r = 0; r < host_indices.size(); ++r) {
    if (host_indices[r] < 0 || host_indices[r] >= rows) {
      op_error("index_select", "index " + std::to_string(host_indices[r]) + " at position " + std::to_string(r) +
                                   " is outside [0, " + std::to_string(rows) + ") for " + shape_str(x.shape()));
    }
  }
  Shape out_shape = x.shape();
  out_shape[0] = indices.numel();
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  const std::int64_t row_size = rows == 0 ? 0 : x.numel() / rows;
  if (x.device().is_cpu()) {
    dispatch_dtype(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::gather_rows<T>(x.data<T>(), indices.data<std::int64_t>(), out.data<T>(), indices.numel(), row_size);
    });
  } else {
    cuda::gather_rows(x.dtype(), x.data_ptr(), indices.data<std::int64_t>(), out.data_ptr(), indices.numel(), row_size);
  }
  auto node = std::make_shared<IndexSelectBackward>();
  if (autograd::attach(out, node, {x, indices})) {
    node->indices = indices.detach();
    node->input_shape = x.shape();
  }
  return out;
}

Tensor cat(const std::vector<Tensor>& parts, std::int64_t dim) {
  if (parts.empty()) op_error("cat", "needs at least one tensor");
  const Tensor& first = parts[0];
  if (first.ndim() == 0) op_error("cat", "cannot concatenate scalars");
  const int d = normalize_dim("cat", dim, first.ndim());
  Shape out_shape = first.shape();
  out_shape[static_cast<std::size_t>(d)] = 0;
  std::vector<std::int64_t> extents;
  for (const Tensor& p : parts) {
    check_same("cat", {&first, &p});
    bool compatible = p.ndim() == first.ndim();
    for (std::size_t k = 0; compatible && k < p.ndim(); ++k) {
      compatible = static_cast<int>(k) == d || p.shape()[k] == first.shape()[k];
    }
    if (!compatible) {
      op_error("cat", "shapes " + shape_str(first.shape()) + " and " + shape_str(p.shape()) +
                          " differ outside dimension " + std::to_string(d));
    }
    extents.push_back(p.shape()[static_cast<std::size_t>(d)]);
    out_shape[static_cast<std::size_t>(d)] += extents.back();
  }
  Tensor out = Tensor::empty(out_shape, first.dtype(), first.device());
  // Each part is `outer` blocks of (its extent x inner) elements, laid side by side.
  std::int64_t outer = 1, inner = 1;
  for (int k = 0; k < d; ++k) outer *= out_shape[static_cast<std::size_t>(k)];
  for (std::size_t k = static_cast<std::size_t>(d) + 1; k < out_shape.size(); ++k) inner *= out_shape[k];
  const auto elem = static_cast<std::int64_t>(dtype_size(first.dtype()));
  const std::int64_t dst_pitch = out_shape[static_cast<std::size_t>(d)] * inner * elem;
  std::int64_t column = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::int64_t width = extents[i] * inner * elem;
    char* dst = static_cast<char*>(out.data_ptr()) + column;
    if (first.device().is_cpu()) cpu::copy_blocks(parts[i].data_ptr(), width, dst, dst_pitch, width, outer);
    else cuda::copy_blocks(parts[i].data_ptr(), width, dst, dst_pitch, width, outer);
    column += width;
  }
  auto node = std::make_shared<CatBackward>();
  if (autograd::attach(out, node, parts)) {
    node->extents = extents;
    node->dim = d;
  }
  return out;
}

}  // namespace nanossl
