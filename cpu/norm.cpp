// Normalisation on the CPU: batch norm and row-wise L2 normalisation.
//
// Batch norm: one channel per loop iteration, channels in parallel. Each row of S
// values (one image's plane of one channel) is summed in T with SIMD partial sums;
// the rows are accumulated in double, and the statistics are saved in double.
// Deviations are taken from the mean rounded to T, which is exact for values near
// it (Sterbenz), and corrected by the rounding residual, so a channel with a large
// mean and a small spread keeps its variance and its normalised output is centred
// (unit_norm_loss.cpp, LargeMeanKeepsPrecisionInFloat). Per-element arithmetic is
// in T: double arithmetic on every element ran at a quarter of float's vector width
// and took 14% of a width-16 ResNet-18 training step. Where sums in T overflow
// (finite values beyond ~1e19 square past float's range) the channel's sums are
// taken again in double, so every finite input still normalises.
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

// The sums of one channel, row by row: each row (S values) is summed in Acc over
// SIMD lanes (a fixed order, independent of threads), the rows in double. Acc is T,
// or double where T's sums overflowed.

// sum of x, then sum of d and of d^2 for d = x - shift (shift: the first mean in T).
struct ChannelMoments {
  double shift, sum_d, sum_dd;
};
template <class Acc, class T>
ChannelMoments channel_moments(const T* x, std::int64_t N, std::int64_t C, std::int64_t S, std::int64_t c) {
  double sum = 0.0;
  for (std::int64_t n = 0; n < N; ++n) {
    const T* row = x + (n * C + c) * S;
    Acc part = 0;
#pragma omp simd reduction(+ : part)
    for (std::int64_t s = 0; s < S; ++s) part += row[s];
    sum += part;
  }
  const T shift = static_cast<T>(sum / static_cast<double>(N * S));
  ChannelMoments m{static_cast<double>(shift), 0.0, 0.0};
  for (std::int64_t n = 0; n < N; ++n) {
    const T* row = x + (n * C + c) * S;
    Acc s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
    for (std::int64_t s = 0; s < S; ++s) {
      const Acc d = static_cast<Acc>(row[s]) - static_cast<Acc>(shift);
      s1 += d;
      s2 += d * d;
    }
    m.sum_d += s1;
    m.sum_dd += s2;
  }
  return m;
}

// sum of g and of g * (x - shift).
struct GradientSums {
  double sum_g, sum_gd;
};
template <class Acc, class T>
GradientSums gradient_sums(const T* grad_y, const T* x, T shift, std::int64_t N, std::int64_t C, std::int64_t S,
                           std::int64_t c) {
  GradientSums sums{0.0, 0.0};
  for (std::int64_t n = 0; n < N; ++n) {
    const T* gc = grad_y + (n * C + c) * S;
    const T* xc = x + (n * C + c) * S;
    Acc g = 0, gd = 0;
#pragma omp simd reduction(+ : g, gd)
    for (std::int64_t s = 0; s < S; ++s) {
      g += gc[s];
      gd += static_cast<Acc>(gc[s]) * (static_cast<Acc>(xc[s]) - static_cast<Acc>(shift));
    }
    sums.sum_g += g;
    sums.sum_gd += gd;
  }
  return sums;
}

// A channel's mean split as mean_t (rounded to T) + residual, for deviations
// (x - mean_t) - residual computed in T.
template <class T>
struct SplitMean {
  T rounded, residual;
  explicit SplitMean(double mean)
      : rounded(static_cast<T>(mean)), residual(static_cast<T>(mean - static_cast<double>(rounded))) {}
};

}  // namespace

template <class T>
void batch_norm_forward_train(const T* x, const T* weight, const T* bias, T* y, double* save_mean,
                              double* save_invstd, T* running_mean, T* running_var, std::int64_t N,
                              std::int64_t C, std::int64_t S, double momentum, double eps) {
  const std::int64_t M = N * S;
#pragma omp parallel for schedule(static) if (N * C * S >= kParallelThreshold)
  for (std::int64_t c = 0; c < C; ++c) {
    // A first mean, then the deviations from it (rounded to T): their mean corrects
    // it and their squares give the variance without E[x^2] - E[x]^2 cancelling.
    ChannelMoments moments = channel_moments<T>(x, N, C, S, c);
    if (!std::isfinite(moments.sum_dd)) moments = channel_moments<double>(x, N, C, S, c);
    const double sum_d = moments.sum_d, sum_dd = moments.sum_dd;
    const double mean_d = sum_d / static_cast<double>(M);
    const double mean = moments.shift + mean_d;
    const double squares = std::max(0.0, sum_dd - sum_d * mean_d);  // sum of (x - mean)^2
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
    // y = ((x - mean_t) - residual) * (w * invstd) + b
    const double w = weight != nullptr ? static_cast<double>(weight[c]) : 1.0;
    const SplitMean<T> m(mean);
    const T scale = static_cast<T>(w * invstd);
    const T b = bias != nullptr ? bias[c] : T(0);
    for (std::int64_t n = 0; n < N; ++n) {
      const T* xc = x + (n * C + c) * S;
      T* yc = y + (n * C + c) * S;
#pragma omp simd
      for (std::int64_t s = 0; s < S; ++s) yc[s] = ((xc[s] - m.rounded) - m.residual) * scale + b;
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
    const SplitMean<T> m(save_mean[c]);
    const double invstd = save_invstd[c];
    // sum(grad_y) and sum(grad_y * (x - mean_t)); the residual is subtracted below
    GradientSums sums = gradient_sums<T>(grad_y, x, m.rounded, N, C, S, c);
    if (!std::isfinite(sums.sum_g) || !std::isfinite(sums.sum_gd))
      sums = gradient_sums<double>(grad_y, x, m.rounded, N, C, S, c);
    const double sum_g = sums.sum_g, sum_gd = sums.sum_gd;
    // sum(grad_y * xhat), xhat = (x - mean) * invstd
    const double sum_gxhat = (sum_gd - static_cast<double>(m.residual) * sum_g) * invstd;
    if (dbias != nullptr) dbias[c] = static_cast<T>(sum_g);
    if (dweight != nullptr) dweight[c] = static_cast<T>(sum_gxhat);
    if (dx == nullptr) continue;
    const double w = weight != nullptr ? static_cast<double>(weight[c]) : 1.0;
    // training: dx = w*invstd * (g - sum_g/M - xhat*sum_gxhat/M); eval: w*invstd*g.
    const T mean_g = static_cast<T>(training ? sum_g / static_cast<double>(M) : 0.0);
    const T xhat_scale = static_cast<T>(training ? invstd * sum_gxhat / static_cast<double>(M) : 0.0);
    const T k = static_cast<T>(w * invstd);
    for (std::int64_t n = 0; n < N; ++n) {
      const T* gc = grad_y + (n * C + c) * S;
      const T* xc = x + (n * C + c) * S;
      T* dxc = dx + (n * C + c) * S;
#pragma omp simd
      for (std::int64_t s = 0; s < S; ++s) {
        dxc[s] = k * (gc[s] - mean_g - ((xc[s] - m.rounded) - m.residual) * xhat_scale);
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
