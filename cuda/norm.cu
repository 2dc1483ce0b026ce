// Batch norm and row-wise L2 normalisation on the GPU. Each kernel mirrors the CPU
// function it names (cpu/norm.cpp) with the same formulas; statistics and gradient
// sums accumulate in double, two passes, one thread block per channel (batch norm)
// or per row (L2), reduced in a fixed order.
// Dimensions: N batch, C channels, S spatial positions, M = N*S values per channel,
// D features; element (n, c, s) of x lives at x[(n*C + c)*S + s].

#include "cuda/block_reduce.cuh"
#include "cuda/check.h"
#include "cuda/grid.cuh"
#include "cuda/norm.h"
#include "cuda/stream.h"

namespace nanossl::cuda {
namespace {

constexpr int kChannelThreads = 512;

// Position in x of the m-th value (0 <= m < M) of channel c.
__device__ inline long long channel_index(long long m, long long c, long long C, long long S) {
  const long long n = m / S;
  return (n * C + c) * S + (m - n * S);
}

// Mirrors cpu::batch_norm_forward_train. Grid: C blocks; block: kChannelThreads.
template <class T>
__global__ void batch_norm_forward_train_kernel(const T* x, const T* weight, const T* bias, T* y,
                                                double* save_mean, double* save_invstd,
                                                T* running_mean, T* running_var, long long N,
                                                long long C, long long S, double momentum,
                                                double eps) {
  const long long c = blockIdx.x;
  const long long M = N * S;
  double sum = 0.0;
  for (long long m = threadIdx.x; m < M; m += blockDim.x) sum += x[channel_index(m, c, C, S)];
  const double mean = block_all_sum(sum) / static_cast<double>(M);
  double squares = 0.0;
  for (long long m = threadIdx.x; m < M; m += blockDim.x) {
    const double d = x[channel_index(m, c, C, S)] - mean;
    squares += d * d;
  }
  squares = block_all_sum(squares);
  const double var = squares / static_cast<double>(M);
  const double invstd = 1.0 / sqrt(var + eps);
  if (threadIdx.x == 0) {
    save_mean[c] = mean;
    save_invstd[c] = invstd;
    if (running_mean != nullptr) {
      running_mean[c] = static_cast<T>((1.0 - momentum) * running_mean[c] + momentum * mean);
    }
    if (running_var != nullptr) {
      const double unbiased = M > 1 ? squares / static_cast<double>(M - 1) : var;
      running_var[c] = static_cast<T>((1.0 - momentum) * running_var[c] + momentum * unbiased);
    }
  }
  const double w = weight != nullptr ? static_cast<double>(weight[c]) : 1.0;
  const double b = bias != nullptr ? static_cast<double>(bias[c]) : 0.0;
  const double scale = w * invstd;
  for (long long m = threadIdx.x; m < M; m += blockDim.x) {
    const long long i = channel_index(m, c, C, S);
    y[i] = static_cast<T>((x[i] - mean) * scale + b);
  }
}

// Mirrors the first loop of cpu::batch_norm_forward_eval: one thread per channel.
template <class T>
__global__ void batch_norm_eval_stats_kernel(const T* running_mean, const T* running_var,
                                             double* save_mean, double* save_invstd, long long C,
                                             double eps) {
  const long long c = blockIdx.x * 1LL * blockDim.x + threadIdx.x;
  if (c >= C) return;
  save_mean[c] = running_mean[c];
  save_invstd[c] = 1.0 / sqrt(static_cast<double>(running_var[c]) + eps);
}

// Mirrors the main loop of cpu::batch_norm_forward_eval: one thread per element.
template <class T>
__global__ void batch_norm_eval_apply_kernel(const T* x, const T* weight, const T* bias,
                                             const double* save_mean, const double* save_invstd,
                                             T* y, long long numel, long long C, long long S) {
  for (long long i : grid_stride(numel)) {
    const long long c = (i / S) % C;
    const double w = weight != nullptr ? static_cast<double>(weight[c]) : 1.0;
    const double b = bias != nullptr ? static_cast<double>(bias[c]) : 0.0;
    y[i] = static_cast<T>((x[i] - save_mean[c]) * (w * save_invstd[c]) + b);
  }
}

// Mirrors cpu::batch_norm_backward. Grid: C blocks; block: kChannelThreads.
template <class T>
__global__ void batch_norm_backward_kernel(const T* grad_y, const T* x, const T* weight,
                                           const double* save_mean, const double* save_invstd,
                                           T* dx, T* dweight, T* dbias, long long N, long long C,
                                           long long S, bool training) {
  const long long c = blockIdx.x;
  const long long M = N * S;
  const double mean = save_mean[c];
  const double invstd = save_invstd[c];
  double sum_g = 0.0;
  double sum_gxhat = 0.0;
  for (long long m = threadIdx.x; m < M; m += blockDim.x) {
    const long long i = channel_index(m, c, C, S);
    sum_g += grad_y[i];
    sum_gxhat += static_cast<double>(grad_y[i]) * ((x[i] - mean) * invstd);
  }
  sum_g = block_all_sum(sum_g);
  sum_gxhat = block_all_sum(sum_gxhat);
  if (threadIdx.x == 0) {
    if (dbias != nullptr) dbias[c] = static_cast<T>(sum_g);
    if (dweight != nullptr) dweight[c] = static_cast<T>(sum_gxhat);
  }
  if (dx == nullptr) return;
  const double w = weight != nullptr ? static_cast<double>(weight[c]) : 1.0;
  const double mean_g = training ? sum_g / static_cast<double>(M) : 0.0;
  const double mean_gxhat = training ? sum_gxhat / static_cast<double>(M) : 0.0;
  const double k = w * invstd;
  for (long long m = threadIdx.x; m < M; m += blockDim.x) {
    const long long i = channel_index(m, c, C, S);
    const double xhat = (x[i] - mean) * invstd;
    dx[i] = static_cast<T>(k * (grad_y[i] - mean_g - xhat * mean_gxhat));
  }
}

// Mirrors cpu::l2_normalize_forward. Grid: N blocks, one per row.
template <class T>
__global__ void l2_normalize_forward_kernel(const T* x, T* y, long long D, double eps) {
  const T* row = x + blockIdx.x * D;
  double squares = 0.0;
  for (long long k = threadIdx.x; k < D; k += blockDim.x) {
    squares += static_cast<double>(row[k]) * row[k];
  }
  const double norm = sqrt(block_all_sum(squares));
  const double inv = 1.0 / (norm > eps ? norm : eps);
  for (long long k = threadIdx.x; k < D; k += blockDim.x) {
    y[blockIdx.x * D + k] = static_cast<T>(row[k] * inv);
  }
}

// Mirrors cpu::l2_normalize_backward. Grid: N blocks, one per row.
template <class T>
__global__ void l2_normalize_backward_kernel(const T* grad_y, const T* x, T* dx, long long D,
                                             double eps) {
  const T* xr = x + blockIdx.x * D;
  const T* gr = grad_y + blockIdx.x * D;
  double squares = 0.0;
  double gx = 0.0;  // <grad_y, x>
  for (long long k = threadIdx.x; k < D; k += blockDim.x) {
    squares += static_cast<double>(xr[k]) * xr[k];
    gx += static_cast<double>(gr[k]) * xr[k];
  }
  const double norm = sqrt(block_all_sum(squares));
  gx = block_all_sum(gx);
  T* dxr = dx + blockIdx.x * D;
  if (norm <= eps) {
    for (long long k = threadIdx.x; k < D; k += blockDim.x) dxr[k] = static_cast<T>(gr[k] / eps);
    return;
  }
  const double inv = 1.0 / norm;
  const double dot = gx * inv;  // <grad_y, y>
  for (long long k = threadIdx.x; k < D; k += blockDim.x) {
    dxr[k] = static_cast<T>((gr[k] - xr[k] * inv * dot) * inv);
  }
}

}  // namespace

void batch_norm_forward_train(DType dtype, const void* x, const void* weight, const void* bias,
                              void* y, double* save_mean, double* save_invstd, void* running_mean,
                              void* running_var, std::int64_t N, std::int64_t C, std::int64_t S,
                              double momentum, double eps) {
  if (C == 0) return;
  dispatch_float("batch_norm", dtype, [&](auto zero) {
    using T = decltype(zero);
    batch_norm_forward_train_kernel<T><<<static_cast<unsigned>(C), kChannelThreads, 0, stream()>>>(
        static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias),
        static_cast<T*>(y), save_mean, save_invstd, static_cast<T*>(running_mean),
        static_cast<T*>(running_var), N, C, S, momentum, eps);
    CUDA_CHECK_LAUNCH();
  });
}

void batch_norm_forward_eval(DType dtype, const void* x, const void* weight, const void* bias,
                             const void* running_mean, const void* running_var, void* y,
                             double* save_mean, double* save_invstd, std::int64_t N, std::int64_t C,
                             std::int64_t S, double eps) {
  if (C == 0) return;
  dispatch_float("batch_norm", dtype, [&](auto zero) {
    using T = decltype(zero);
    batch_norm_eval_stats_kernel<T><<<grid_for(C), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(running_mean), static_cast<const T*>(running_var), save_mean,
        save_invstd, C, eps);
    CUDA_CHECK_LAUNCH();
    const long long numel = N * C * S;
    if (numel == 0) return;
    batch_norm_eval_apply_kernel<T><<<grid_for(numel), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias),
        save_mean, save_invstd, static_cast<T*>(y), numel, C, S);
    CUDA_CHECK_LAUNCH();
  });
}

void batch_norm_backward(DType dtype, const void* grad_y, const void* x, const void* weight,
                         const double* save_mean, const double* save_invstd, void* dx,
                         void* dweight, void* dbias, std::int64_t N, std::int64_t C, std::int64_t S,
                         bool training) {
  if (C == 0) return;
  dispatch_float("batch_norm", dtype, [&](auto zero) {
    using T = decltype(zero);
    batch_norm_backward_kernel<T><<<static_cast<unsigned>(C), kChannelThreads, 0, stream()>>>(
        static_cast<const T*>(grad_y), static_cast<const T*>(x), static_cast<const T*>(weight),
        save_mean, save_invstd, static_cast<T*>(dx), static_cast<T*>(dweight),
        static_cast<T*>(dbias), N, C, S, training);
    CUDA_CHECK_LAUNCH();
  });
}

void l2_normalize_forward(DType dtype, const void* x, void* y, std::int64_t N, std::int64_t D,
                          double eps) {
  if (N == 0 || D == 0) return;
  dispatch_float("l2_normalize", dtype, [&](auto zero) {
    using T = decltype(zero);
    l2_normalize_forward_kernel<T><<<static_cast<unsigned>(N), threads_for_row(D), 0, stream()>>>(
        static_cast<const T*>(x), static_cast<T*>(y), D, eps);
    CUDA_CHECK_LAUNCH();
  });
}

void l2_normalize_backward(DType dtype, const void* grad_y, const void* x, void* dx, std::int64_t N,
                           std::int64_t D, double eps) {
  if (N == 0 || D == 0) return;
  dispatch_float("l2_normalize", dtype, [&](auto zero) {
    using T = decltype(zero);
    l2_normalize_backward_kernel<T><<<static_cast<unsigned>(N), threads_for_row(D), 0, stream()>>>(
        static_cast<const T*>(grad_y), static_cast<const T*>(x), static_cast<T*>(dx), D, eps);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace nanossl::cuda
