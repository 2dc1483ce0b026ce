// Differentiable shape ops: reshape (a view), permute/transpose (copies),
// slicing and row indexing along dim 0, and concatenation.
#pragma once
#include <vector>

#include "tensor/tensor.h"

namespace nanossl {

Tensor reshape(const Tensor& x, const Shape& shape);   // one -1 entry is inferred
Tensor flatten(const Tensor& x, std::int64_t start_dim = 1);  // (N, ...) -> (N, rest)
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& order);
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
Tensor slice(const Tensor& x, std::int64_t start, std::int64_t end);  // rows [start, end) of dim 0
Tensor index_select(const Tensor& x, const Tensor& indices);        // rows by i64 indices
Tensor cat(const std::vector<Tensor>& parts, std::int64_t dim = 0);

}  // namespace nanossl
