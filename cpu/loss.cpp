// log_softmax and cross-entropy on the CPU, one row per loop iteration, rows in
// parallel. Every logsumexp subtracts the row maximum first, so logits of 1e4 do
// not overflow; sums of exponentials accumulate in double.
// Dimensions: N rows, C classes; element (i, j) lives at [i*C + j].
#include "cpu/loss.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nanossl::cpu {

namespace {

constexpr std::int64_t kParallelThreshold = 1 << 14;  // elements

// The max of one row of C >= 1 values, and log(sum(exp(row - max))).
template <class T>
void row_max_logsum(const T* row, std::int64_t C, T& max, double& logsum) {
  max = row[0];
  for (std::int64_t j = 1; j < C; ++j) max = std::max(max, row[j]);
  double sum = 0.0;
  for (std::int64_t j = 0; j < C; ++j) sum += std::exp(row[j] - max);
  logsum = std::log(sum);
}

}  // namespace

template <class T>
void log_softmax_forward(const T* x, T* y, std::int64_t N, std::int64_t C) {
#pragma omp parallel for schedule(static) if (N * C >= kParallelThreshold)
  for (std::int64_t i = 0; i < N; ++i) {
    const T* row = x + i * C;
    T max;
    double logsum;
    row_max_logsum(row, C, max, logsum);
    for (std::int64_t j = 0; j < C; ++j) y[i * C + j] = static_cast<T>((row[j] - max) - logsum);
  }
}

template <class T>
void log_softmax_backward(const T* grad_y, const T* y, T* dx, std::int64_t N, std::int64_t C) {
#pragma omp parallel for schedule(static) if (N * C >= kParallelThreshold)
  for (std::int64_t i = 0; i < N; ++i) {
    double sum_g = 0.0;
    for (std::int64_t j = 0; j < C; ++j) sum_g += grad_y[i * C + j];
    for (std::int64_t j = 0; j < C; ++j) {
      dx[i * C + j] = static_cast<T>(grad_y[i * C + j] - std::exp(y[i * C + j]) * sum_g);
    }
  }
}

template <class T>
void cross_entropy_forward(const T* logits, const std::int64_t* labels, T* stats, T* loss,
                           std::int64_t N, std::int64_t C) {
  std::vector<double> row_loss(static_cast<std::size_t>(N));
#pragma omp parallel for schedule(static) if (N * C >= kParallelThreshold)
  for (std::int64_t i = 0; i < N; ++i) {
    const T* row = logits + i * C;
    T max;
    double logsum;
    row_max_logsum(row, C, max, logsum);
    stats[2 * i] = max;
    stats[2 * i + 1] = static_cast<T>(logsum);
    row_loss[i] = (static_cast<double>(max) - static_cast<double>(row[labels[i]])) + logsum;
  }
  // The mean in a fixed order, so the loss does not depend on the thread count.
  double total = 0.0;
  for (std::int64_t i = 0; i < N; ++i) total += row_loss[i];
  loss[0] = static_cast<T>(N > 0 ? total / static_cast<double>(N) : 0.0);
}

template <class T>
void cross_entropy_backward(const T* logits, const std::int64_t* labels, const T* stats,
                            const T* grad_loss, T* dx, std::int64_t N, std::int64_t C) {
  const T scale = static_cast<T>(static_cast<double>(grad_loss[0]) / static_cast<double>(N));
#pragma omp parallel for schedule(static) if (N * C >= kParallelThreshold)
  for (std::int64_t i = 0; i < N; ++i) {
    const T max = stats[2 * i];
    const T logsum = stats[2 * i + 1];
    for (std::int64_t j = 0; j < C; ++j) {
      const T p = std::exp((logits[i * C + j] - max) - logsum);
      dx[i * C + j] = (p - (j == labels[i] ? T(1) : T(0))) * scale;
    }
  }
}

template void log_softmax_forward<float>(const float*, float*, std::int64_t, std::int64_t);
template void log_softmax_forward<double>(const double*, double*, std::int64_t, std::int64_t);
template void log_softmax_backward<float>(const float*, const float*, float*, std::int64_t,
                                          std::int64_t);
template void log_softmax_backward<double>(const double*, const double*, double*, std::int64_t,
                                           std::int64_t);
template void cross_entropy_forward<float>(const float*, const std::int64_t*, float*, float*,
                                           std::int64_t, std::int64_t);
template void cross_entropy_forward<double>(const double*, const std::int64_t*, double*, double*,
                                            std::int64_t, std::int64_t);
template void cross_entropy_backward<float>(const float*, const std::int64_t*, const float*,
                                            const float*, float*, std::int64_t, std::int64_t);
template void cross_entropy_backward<double>(const double*, const std::int64_t*, const double*,
                                             const double*, double*, std::int64_t, std::int64_t);

}  // namespace nanossl::cpu
