// Tensor-level CUDA kernels behind tensor/ (cuda/runtime.h): fill, axpy, scale,
// dtype conversion and the Philox random fills. Each is a grid-stride loop over n
// contiguous elements on the one stream; the CPU versions in tensor/ are the
// reference. Random fills compute element i exactly as the CPU does, with
// philox_uniform_at / philox_normal_at (base/philox.h) on stream 0.
#include <cstdint>

#include "base/philox.h"
#include "cuda/check.h"
#include "cuda/grid.cuh"
#include "cuda/runtime.h"
#include "cuda/stream.h"

namespace nanossl::cuda {
namespace {

// data[i] = value
template <class T>
__global__ void fill_kernel(T* data, std::int64_t n, T value) {
  for (std::int64_t i : grid_stride(n)) data[i] = value;
}

// alpha * x + y rounded after the product and after the sum, never fused into
// one FMA, so floating results are bit-identical to cpu::axpy's on x86-64.
__device__ inline float multiply_add_unfused(float alpha, float x, float y) {
  return __fadd_rn(__fmul_rn(alpha, x), y);
}
__device__ inline double multiply_add_unfused(double alpha, double x, double y) {
  return __dadd_rn(__dmul_rn(alpha, x), y);
}
template <class T>
__device__ inline T multiply_add_unfused(T alpha, T x, T y) {
  return static_cast<T>(y + alpha * x);
}

// y[i] += alpha * x[i], with alpha cast to T as cpu::axpy is called.
template <class T>
__global__ void axpy_kernel(std::int64_t n, T alpha, const T* x, T* y) {
  for (std::int64_t i : grid_stride(n)) {
    y[i] = multiply_add_unfused(alpha, x[i], y[i]);
  }
}

// data[i] *= factor, with factor cast to T as cpu::scale is called.
template <class T>
__global__ void scale_kernel(T* data, std::int64_t n, T factor) {
  for (std::int64_t i : grid_stride(n)) data[i] *= factor;
}

// dst[i] = static_cast<D>(src[i])
template <class S, class D>
__global__ void convert_kernel(const S* src, D* dst, std::int64_t n) {
  for (std::int64_t i : grid_stride(n)) dst[i] = static_cast<D>(src[i]);
}

// data[i] = philox_uniform_at(seed, 0, offset, i), the CPU's formula.
template <class T>
__global__ void uniform_kernel(T* data, std::int64_t n, std::uint64_t seed, std::uint64_t offset) {
  for (std::int64_t i : grid_stride(n)) {
    data[i] = static_cast<T>(philox_uniform_at(seed, 0, offset, static_cast<std::uint64_t>(i)));
  }
}

// data[i] = philox_normal_at(seed, 0, offset, i), the CPU's formula.
template <class T>
__global__ void normal_kernel(T* data, std::int64_t n, std::uint64_t seed, std::uint64_t offset) {
  for (std::int64_t i : grid_stride(n)) {
    data[i] = static_cast<T>(philox_normal_at(seed, 0, offset, static_cast<std::uint64_t>(i)));
  }
}

}  // namespace

void fill(DType dtype, void* data, std::int64_t n, double value) {
  if (n <= 0) return;
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    fill_kernel<T><<<grid_for(n), kBlockSize, 0, stream()>>>(static_cast<T*>(data), n, static_cast<T>(value));
    CUDA_CHECK_LAUNCH();
  });
}

void axpy(DType dtype, std::int64_t n, double alpha, const void* x, void* y) {
  if (n <= 0) return;
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    axpy_kernel<T><<<grid_for(n), kBlockSize, 0, stream()>>>(n, static_cast<T>(alpha),
                                                            static_cast<const T*>(x), static_cast<T*>(y));
    CUDA_CHECK_LAUNCH();
  });
}

void scale(DType dtype, void* data, std::int64_t n, double factor) {
  if (n <= 0) return;
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    scale_kernel<T><<<grid_for(n), kBlockSize, 0, stream()>>>(static_cast<T*>(data), n, static_cast<T>(factor));
    CUDA_CHECK_LAUNCH();
  });
}

void convert(DType src_dtype, const void* src, DType dst_dtype, void* dst, std::int64_t n) {
  if (n <= 0) return;
  if (src_dtype == dst_dtype) {
    copy_device_to_device(dst, src, static_cast<std::size_t>(n) * dtype_size(src_dtype));
    return;
  }
  dispatch_dtype(src_dtype, [&](auto src_tag) {
    using S = decltype(src_tag);
    dispatch_dtype(dst_dtype, [&](auto dst_tag) {
      using D = decltype(dst_tag);
      convert_kernel<S, D><<<grid_for(n), kBlockSize, 0, stream()>>>(static_cast<const S*>(src),
                                                                     static_cast<D*>(dst), n);
      CUDA_CHECK_LAUNCH();
    });
  });
}

void fill_uniform(DType dtype, void* data, std::int64_t n, std::uint64_t seed, std::uint64_t offset) {
  dispatch_float("rand", dtype, [&](auto tag) {
    using T = decltype(tag);
    if (n <= 0) return;
    uniform_kernel<T><<<grid_for(n), kBlockSize, 0, stream()>>>(static_cast<T*>(data), n, seed, offset);
    CUDA_CHECK_LAUNCH();
  });
}

void fill_normal(DType dtype, void* data, std::int64_t n, std::uint64_t seed, std::uint64_t offset) {
  dispatch_float("randn", dtype, [&](auto tag) {
    using T = decltype(tag);
    if (n <= 0) return;
    normal_kernel<T><<<grid_for(n), kBlockSize, 0, stream()>>>(static_cast<T*>(data), n, seed, offset);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace nanossl::cuda
