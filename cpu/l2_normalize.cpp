// Row-wise L2 normalisation on the CPU, one row per loop iteration, rows in
// parallel; norms and dot products accumulate in double.
// Dimensions: N rows, D features; element (i, k) lives at [i*D + k].
#include "cpu/l2_normalize.h"

#include <algorithm>
#include <cmath>

namespace nanossl::cpu {

namespace {

constexpr std::int64_t kParallelThreshold = 1 << 14;  // elements

template <class T>
double row_norm(const T* row, std::int64_t D) {
  double squares = 0.0;
  for (std::int64_t k = 0; k < D; ++k) squares += static_cast<double>(row[k]) * row[k];
  return std::sqrt(squares);
}

}  // namespace

template <class T>
void l2_normalize_forward(const T* x, T* y, std::int64_t N, std::int64_t D, double eps) {
#pragma omp parallel for schedule(static) if (N * D >= kParallelThreshold)
  for (std::int64_t i = 0; i < N; ++i) {
    const double inv = 1.0 / std::max(row_norm(x + i * D, D), eps);
    for (std::int64_t k = 0; k < D; ++k) y[i * D + k] = static_cast<T>(x[i * D + k] * inv);
  }
}

template <class T>
void l2_normalize_backward(const T* grad_y, const T* x, T* dx, std::int64_t N, std::int64_t D,
                           double eps) {
#pragma omp parallel for schedule(static) if (N * D >= kParallelThreshold)
  for (std::int64_t i = 0; i < N; ++i) {
    const T* xr = x + i * D;
    const T* gr = grad_y + i * D;
    const double norm = row_norm(xr, D);
    if (norm <= eps) {
      for (std::int64_t k = 0; k < D; ++k) dx[i * D + k] = static_cast<T>(gr[k] / eps);
      continue;
    }
    const double inv = 1.0 / norm;
    double dot = 0.0;  // <grad_y, y>
    for (std::int64_t k = 0; k < D; ++k) dot += static_cast<double>(gr[k]) * (xr[k] * inv);
    for (std::int64_t k = 0; k < D; ++k) {
      dx[i * D + k] = static_cast<T>((gr[k] - xr[k] * inv * dot) * inv);
    }
  }
}

template void l2_normalize_forward<float>(const float*, float*, std::int64_t, std::int64_t, double);
template void l2_normalize_forward<double>(const double*, double*, std::int64_t, std::int64_t,
                                           double);
template void l2_normalize_backward<float>(const float*, const float*, float*, std::int64_t,
                                           std::int64_t, double);
template void l2_normalize_backward<double>(const double*, const double*, double*, std::int64_t,
                                            std::int64_t, double);

}  // namespace nanossl::cpu
