// Normalisation on the CPU: batch norm and row-wise L2 normalisation.
//
// Batch norm: one channel per loop iteration, channels in parallel. Statistics and
// gradient sums accumulate in double with two passes and are saved in double, so a
// channel with a large mean and a small spread keeps its variance; normalisation
// arithmetic is done in double, rounded once to T.
// Dimensions: N batch, C channels, S spatial positions, M = N*S values per channel;
// element (n, c, s) of x lives at x[(n*C + c)*S + s].
//
// L2 normalisation: one row per loop iteration, rows in parallel; norms and dot
// products accumulate in double. N rows, D features; element (i, k) at [i*D + k].
#include "cpu/norm.h"

#include <algorithm>
#include <cmath>

namespace nanossl::cpu {

namespace {

// Below this many elements the threads cost more than they save.
constexpr std::int64_t kParallelThreshold = 1 << 15;

// Sum of term(i) for i in [0, n), in double, over eight interleaved partial sums.
// A single running sum is a chain of dependent additions (one every ~4 cycles) that
// the compiler must not reorder; eight independent chains let it use vector adds,
// which roughly halves the time of a batch-norm step at small widths. The order is
// fixed by n alone, so the result does not depend on the thread count.
template <class Term>
double sum8(std::int64_t n, Term term) {
  double part[8] = {};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) part[j] += term(i + j);
  }
  for (int j = 0; i < n; ++i, ++j) part[j] += term(i);
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

}  // namespace

template <class T>
void batch_norm_forward_train(const T* x, const T* weight, const T* bias, T* y, double* save_mean,
                              double* save_invstd, T* running_mean, T* running_var, std::int64_t N,
                              std::int64_t C, std::int64_t S, double momentum, double eps) {
  const std::int64_t M = N * S;
#pragma omp parallel for schedule(static) if (N * C * S >= kParallelThreshold)
  for (std::int64_t c = 0; c < C; ++c) {
    double sum = 0.0;
    for (std::int64_t n = 0; n < N; ++n) {
      const T* xc = x + (n * C + c) * S;
      sum += sum8(S, [xc](std::int64_t s) { return static_cast<double>(xc[s]); });
    }
    const double mean = sum / static_cast<double>(M);
    double squares = 0.0;
    for (std::int64_t n = 0; n < N; ++n) {
      const T* xc = x + (n * C + c) * S;
      squares += sum8(S, [xc, mean](std::int64_t s) {
        const double d = xc[s] - mean;
        return d * d;
      });
    }
    const double var = squares / static_cast<double>(M);
    const double invstd = 1.0 / std::sqrt(var + eps);
    save_mean[c] = mean;
    save_invstd[c] = invstd;
    if (running_mean != nullptr) {
      running_mean[c] = static_cast<T>((1.0 - momentum) * running_mean[c] + momentum * mean);
    }
    if (running_var != nullptr) {
      const double unbiased = M > 1 ? squares / static_cast<double>(M - 1) : var;
      running_var[c] = static_cast<T>((1.0 - momentum) * running_var[c] + momentum * unbiased);
    }
    // y = (x - mean) * (w * invstd) + b, in double: subtracting the double mean
    // keeps the small deviations of a channel with a large mean.
    const double w = weight != nullptr ? static_cast<double>(weight[c]) : 1.0;
    const double b = bias != nullptr ? static_cast<double>(bias[c]) : 0.0;
    const double scale = w * invstd;
    for (std::int64_t n = 0; n < N; ++n) {
      const T* xc = x + (n * C + c) * S;
      T* yc = y + (n * C + c) * S;
      for (std::int64_t s = 0; s < S; ++s) yc[s] = static_cast<T>((xc[s] - mean) * scale + b);
    }
  }
}

template <class T>
void batch_norm_forward_eval(const T* x, const T* weight, const T* bias, const T* running_mean,
                             const T* running_var, T* y, double* save_mean, double* save_invstd,
                             std::int64_t N, std::int64_t C, std::int64_t S, double eps) {
  for (std::int64_t c = 0; c < C; ++c) {
    save_mean[c] = running_mean[c];
    save_invstd[c] = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
  }
#pragma omp parallel for collapse(2) schedule(static) if (N * C * S >= kParallelThreshold)
  for (std::int64_t n = 0; n < N; ++n) {
    for (std::int64_t c = 0; c < C; ++c) {
      const double w = weight != nullptr ? static_cast<double>(weight[c]) : 1.0;
      const double b = bias != nullptr ? static_cast<double>(bias[c]) : 0.0;
      const double mean = save_mean[c];
      const double scale = w * save_invstd[c];
      const T* xc = x + (n * C + c) * S;
      T* yc = y + (n * C + c) * S;
      for (std::int64_t s = 0; s < S; ++s) yc[s] = static_cast<T>((xc[s] - mean) * scale + b);
    }
  }
}

template <class T>
void batch_norm_backward(const T* grad_y, const T* x, const T* weight, const double* save_mean,
                         const double* save_invstd, T* dx, T* dweight, T* dbias, std::int64_t N,
                         std::int64_t C, std::int64_t S, bool training) {
  const std::int64_t M = N * S;
#pragma omp parallel for schedule(static) if (N * C * S >= kParallelThreshold)
  for (std::int64_t c = 0; c < C; ++c) {
    const double mean = save_mean[c];
    const double invstd = save_invstd[c];
    double sum_g = 0.0;   // sum(grad_y)
    double sum_gd = 0.0;  // sum(grad_y * (x - mean)); sum(grad_y * xhat) = invstd * sum_gd
    for (std::int64_t n = 0; n < N; ++n) {
      const T* gc = grad_y + (n * C + c) * S;
      const T* xc = x + (n * C + c) * S;
      sum_g += sum8(S, [gc](std::int64_t s) { return static_cast<double>(gc[s]); });
      sum_gd += sum8(S, [gc, xc, mean](std::int64_t s) { return static_cast<double>(gc[s]) * (xc[s] - mean); });
    }
    const double sum_gxhat = sum_gd * invstd;
    if (dbias != nullptr) dbias[c] = static_cast<T>(sum_g);
    if (dweight != nullptr) dweight[c] = static_cast<T>(sum_gxhat);
    if (dx == nullptr) continue;
    const double w = weight != nullptr ? static_cast<double>(weight[c]) : 1.0;
    // training: dx = w*invstd * (g - sum_g/M - xhat*sum_gxhat/M); eval: w*invstd*g.
    const double mean_g = training ? sum_g / static_cast<double>(M) : 0.0;
    const double mean_gxhat = training ? sum_gxhat / static_cast<double>(M) : 0.0;
    const double k = w * invstd;
    for (std::int64_t n = 0; n < N; ++n) {
      const T* gc = grad_y + (n * C + c) * S;
      const T* xc = x + (n * C + c) * S;
      T* dxc = dx + (n * C + c) * S;
      for (std::int64_t s = 0; s < S; ++s) {
        const double xhat = (xc[s] - mean) * invstd;
        dxc[s] = static_cast<T>(k * (gc[s] - mean_g - xhat * mean_gxhat));
      }
    }
  }
}

template void batch_norm_forward_train<float>(const float*, const float*, const float*, float*,
                                              double*, double*, float*, float*, std::int64_t,
                                              std::int64_t, std::int64_t, double, double);
template void batch_norm_forward_train<double>(const double*, const double*, const double*, double*,
                                               double*, double*, double*, double*, std::int64_t,
                                               std::int64_t, std::int64_t, double, double);
template void batch_norm_forward_eval<float>(const float*, const float*, const float*, const float*,
                                             const float*, float*, double*, double*, std::int64_t,
                                             std::int64_t, std::int64_t, double);
template void batch_norm_forward_eval<double>(const double*, const double*, const double*,
                                              const double*, const double*, double*, double*,
                                              double*, std::int64_t, std::int64_t, std::int64_t,
                                              double);
template void batch_norm_backward<float>(const float*, const float*, const float*, const double*,
                                         const double*, float*, float*, float*, std::int64_t,
                                         std::int64_t, std::int64_t, bool);
template void batch_norm_backward<double>(const double*, const double*, const double*,
                                          const double*, const double*, double*, double*, double*,
                                          std::int64_t, std::int64_t, std::int64_t, bool);

// ---- L2 normalisation ----

namespace {

constexpr std::int64_t kRowsParallelThreshold = 1 << 14;  // elements

template <class T>
double row_norm(const T* row, std::int64_t D) {
  double squares = 0.0;
  for (std::int64_t k = 0; k < D; ++k) squares += static_cast<double>(row[k]) * row[k];
  return std::sqrt(squares);
}

}  // namespace

template <class T>
void l2_normalize_forward(const T* x, T* y, std::int64_t N, std::int64_t D, double eps) {
#pragma omp parallel for schedule(static) if (N * D >= kRowsParallelThreshold)
  for (std::int64_t i = 0; i < N; ++i) {
    const double inv = 1.0 / std::max(row_norm(x + i * D, D), eps);
    for (std::int64_t k = 0; k < D; ++k) y[i * D + k] = static_cast<T>(x[i * D + k] * inv);
  }
}

template <class T>
void l2_normalize_backward(const T* grad_y, const T* x, T* dx, std::int64_t N, std::int64_t D,
                           double eps) {
#pragma omp parallel for schedule(static) if (N * D >= kRowsParallelThreshold)
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
