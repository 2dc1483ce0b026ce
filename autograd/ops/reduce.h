// Reductions over a set of dimensions (all of them when `dims` is empty).
// Negative dims count from the end. keepdim keeps reduced dims as size 1.
#pragma once
#include <vector>

#include "tensor/tensor.h"

namespace nanossl {

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
// Maximum values (torch.amax). The gradient is shared equally among tied maxima.
Tensor max(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
// Index of the maximum along `dim` (i64, not differentiable), e.g. predictions.
Tensor argmax(const Tensor& x, std::int64_t dim);

}  // namespace nanossl
