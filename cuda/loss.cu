// log_softmax and the fused cross-entropy on the GPU, one thread block per row.
// Each kernel mirrors the CPU function it names in cpu/loss.cpp with the same
// formulas: the row maximum is subtracted before exponentiating, sums of
// exponentials accumulate in double, and the mean loss is summed in a fixed order.
// Dimensions: N rows, C classes; element (i, j) lives at [i*C + j].
#include <math_constants.h>


#include "cuda/block_reduce.cuh"
#include "cuda/check.h"
#include "cuda/grid.cuh"
#include "cuda/loss.h"
#include "cuda/runtime.h"
#include "cuda/stream.h"

namespace nanossl::cuda {
namespace {

template <class T>
__device__ T lowest_value();
template <>
__device__ float lowest_value<float>() {
  return -CUDART_INF_F;
}
template <>
__device__ double lowest_value<double>() {
  return -CUDART_INF;
}

__device__ inline float exp_of(float v) { return expf(v); }
__device__ inline double exp_of(double v) { return exp(v); }

// The row's max and log(sum(exp(row - max))), known to every thread of the block.
template <class T>
__device__ void block_row_max_logsum(const T* row, long long C, T& max, double& logsum) {
  T local_max = lowest_value<T>();
  for (long long j = threadIdx.x; j < C; j += blockDim.x) {
    local_max = row[j] > local_max ? row[j] : local_max;
  }
  max = block_all_max(local_max, lowest_value<T>());
  double sum = 0.0;
  for (long long j = threadIdx.x; j < C; j += blockDim.x) sum += exp_of(row[j] - max);
  logsum = log(block_all_sum(sum));
}

// Mirrors cpu::log_softmax_forward. Grid: N blocks, one per row.
template <class T>
__global__ void log_softmax_forward_kernel(const T* x, T* y, long long C) {
  const T* row = x + blockIdx.x * C;
  T max;
  double logsum;
  block_row_max_logsum(row, C, max, logsum);
  for (long long j = threadIdx.x; j < C; j += blockDim.x) {
    y[blockIdx.x * C + j] = static_cast<T>((row[j] - max) - logsum);
  }
}

// Mirrors cpu::log_softmax_backward. Grid: N blocks, one per row.
template <class T>
__global__ void log_softmax_backward_kernel(const T* grad_y, const T* y, T* dx, long long C) {
  const long long base = blockIdx.x * C;
  double sum_g = 0.0;
  for (long long j = threadIdx.x; j < C; j += blockDim.x) sum_g += grad_y[base + j];
  sum_g = block_all_sum(sum_g);
  for (long long j = threadIdx.x; j < C; j += blockDim.x) {
    dx[base + j] = static_cast<T>(grad_y[base + j] - exp_of(y[base + j]) * sum_g);
  }
}

// Mirrors the row loop of cpu::cross_entropy_forward. Grid: N blocks, one per row.
template <class T>
__global__ void cross_entropy_rows_kernel(const T* logits, const std::int64_t* labels, T* stats,
                                          double* row_loss, long long C) {
  const long long i = blockIdx.x;
  const T* row = logits + i * C;
  T max;
  double logsum;
  block_row_max_logsum(row, C, max, logsum);
  if (threadIdx.x == 0) {
    stats[2 * i] = max;
    stats[2 * i + 1] = static_cast<T>(logsum);
    row_loss[i] = (static_cast<double>(max) - static_cast<double>(row[labels[i]])) + logsum;
  }
}

// Mirrors the mean of cpu::cross_entropy_forward. Grid: one block.
template <class T>
__global__ void cross_entropy_mean_kernel(const double* row_loss, T* loss, long long N) {
  double total = 0.0;
  for (long long i = threadIdx.x; i < N; i += blockDim.x) total += row_loss[i];
  total = block_all_sum(total);
  if (threadIdx.x == 0) loss[0] = static_cast<T>(total / static_cast<double>(N));
}

// Mirrors cpu::cross_entropy_backward: one thread per element.
template <class T>
__global__ void cross_entropy_backward_kernel(const T* logits, const std::int64_t* labels,
                                              const T* stats, const T* grad_loss, T* dx,
                                              long long N, long long C) {
  const T scale = static_cast<T>(static_cast<double>(grad_loss[0]) / static_cast<double>(N));
  const long long numel = N * C;
  for (long long k : grid_stride(numel)) {
    const long long i = k / C;
    const long long j = k - i * C;
    const T p = exp_of((logits[k] - stats[2 * i]) - stats[2 * i + 1]);
    dx[k] = (p - (j == labels[i] ? T(1) : T(0))) * scale;
  }
}

}  // namespace

void log_softmax_forward(DType dtype, const void* x, void* y, std::int64_t N, std::int64_t C) {
  if (N == 0 || C == 0) return;
  dispatch_float("log_softmax", dtype, [&](auto zero) {
    using T = decltype(zero);
    log_softmax_forward_kernel<T><<<static_cast<unsigned>(N), threads_for_row(C), 0, stream()>>>(
        static_cast<const T*>(x), static_cast<T*>(y), C);
    CUDA_CHECK_LAUNCH();
  });
}

void log_softmax_backward(DType dtype, const void* grad_y, const void* y, void* dx, std::int64_t N,
                          std::int64_t C) {
  if (N == 0 || C == 0) return;
  dispatch_float("log_softmax", dtype, [&](auto zero) {
    using T = decltype(zero);
    log_softmax_backward_kernel<T><<<static_cast<unsigned>(N), threads_for_row(C), 0, stream()>>>(
        static_cast<const T*>(grad_y), static_cast<const T*>(y), static_cast<T*>(dx), C);
    CUDA_CHECK_LAUNCH();
  });
}

void cross_entropy_forward(DType dtype, const void* logits, const std::int64_t* labels, void* stats,
                           void* loss, std::int64_t N, std::int64_t C) {
  dispatch_float("cross_entropy", dtype, [&](auto zero) {
    using T = decltype(zero);
    if (N == 0) {
      fill(dtype, loss, 1, 0.0);
      return;
    }
    // Per-row losses in a scratch buffer, then one block sums them in a fixed order.
    // The caching allocator reuses the buffer only for work queued after these kernels.
    auto* row_loss =
        static_cast<double*>(device_malloc(static_cast<std::size_t>(N) * sizeof(double)));
    cross_entropy_rows_kernel<T><<<static_cast<unsigned>(N), threads_for_row(C), 0, stream()>>>(
        static_cast<const T*>(logits), labels, static_cast<T*>(stats), row_loss, C);
    CUDA_CHECK_LAUNCH();
    cross_entropy_mean_kernel<T><<<1, 256, 0, stream()>>>(row_loss, static_cast<T*>(loss), N);
    CUDA_CHECK_LAUNCH();
    device_free(row_loss);
  });
}

void cross_entropy_backward(DType dtype, const void* logits, const std::int64_t* labels,
                            const void* stats, const void* grad_loss, void* dx, std::int64_t N,
                            std::int64_t C) {
  if (N == 0 || C == 0) return;
  dispatch_float("cross_entropy", dtype, [&](auto zero) {
    using T = decltype(zero);
    cross_entropy_backward_kernel<T><<<grid_for(N * C), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(logits), labels, static_cast<const T*>(stats),
        static_cast<const T*>(grad_loss), static_cast<T*>(dx), N, C);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace nanossl::cuda
