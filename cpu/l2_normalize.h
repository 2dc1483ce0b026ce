// Row-wise L2 normalisation on raw pointers, y = x / max(||x||, eps), forward and
// backward. The reference for cuda/norm.cu (used by SimCLR's NT-Xent on embeddings).
//
// Dimensions: N rows, D features. x, y, grad_y, dx: (N,D) contiguous.
#pragma once
#include <cstdint>

namespace nanossl::cpu {

template <class T>
void l2_normalize_forward(const T* x, T* y, std::int64_t N, std::int64_t D, double eps);

// With r = ||x_row||: if r > eps, dx = (grad_y - y * <grad_y, y>) / r, where
// y = x / r; otherwise the denominator is the constant eps and dx = grad_y / eps.
template <class T>
void l2_normalize_backward(const T* grad_y, const T* x, T* dx, std::int64_t N, std::int64_t D,
                           double eps);

}  // namespace nanossl::cpu
