// Pooling on the GPU; cpu/pooling.cpp is the reference. Forwards use one thread per
// output element; backwards use one thread per input pixel that gathers from the
// windows covering it, so overlapping windows need no atomics and sums are
// deterministic.
//
// Dimensions: N batch, C channels, H W input size, P Q output size.
#include "cuda/pooling.h"


#include "cuda/check.h"
#include "cuda/grid.cuh"
#include "cuda/stream.h"

namespace nanossl::cuda {
namespace {

// Windows p whose rows [p*stride - padding, p*stride - padding + kernel) contain h:
// p in [first, last] (empty when first > last).
struct WindowRange {
  std::int64_t first, last;
};
__device__ inline WindowRange windows_covering(std::int64_t h, std::int64_t kernel,
                                               std::int64_t stride, std::int64_t padding,
                                               std::int64_t P) {
  const std::int64_t top = h + padding - kernel + 1;  // smallest p*stride that still covers h
  std::int64_t first = top <= 0 ? 0 : (top + stride - 1) / stride;
  std::int64_t last = (h + padding) / stride;
  if (last > P - 1) last = P - 1;
  return {first, last};
}

template <class T>
__global__ void max_pool_forward_kernel(const T* x, T* out, std::int64_t* indices,
                                        Pool2dGeometry g) {
  const std::int64_t PQ = g.P * g.Q, total = g.N * g.C * PQ;
  for (std::int64_t i : grid_stride(total)) {
    const std::int64_t q = i % g.Q, p = (i / g.Q) % g.P, plane = i / PQ;
    const T* in = x + plane * g.H * g.W;
    const auto [h0, h1] = g.rows(p);
    const auto [w0, w1] = g.cols(q);
    std::int64_t best = h0 * g.W + w0;
    T best_value = in[best];
    for (std::int64_t h = h0; h < h1; ++h) {
      for (std::int64_t w = w0; w < w1; ++w) {
        const T v = in[h * g.W + w];
        if (v > best_value || isnan(v)) {
          best = h * g.W + w;
          best_value = v;
        }
      }
    }
    out[i] = best_value;
    indices[i] = best;
  }
}

template <class T>
__global__ void max_pool_backward_kernel(const T* dout, const std::int64_t* indices, T* dx,
                                         Pool2dGeometry g) {
  const std::int64_t HW = g.H * g.W, PQ = g.P * g.Q, total = g.N * g.C * HW;
  for (std::int64_t i : grid_stride(total)) {
    const std::int64_t w = i % g.W, h = (i / g.W) % g.H, plane = i / HW;
    const WindowRange ps = windows_covering(h, g.kernel, g.stride, g.padding, g.P);
    const WindowRange qs = windows_covering(w, g.kernel, g.stride, g.padding, g.Q);
    T sum = 0;
    for (std::int64_t p = ps.first; p <= ps.last; ++p) {
      for (std::int64_t q = qs.first; q <= qs.last; ++q) {
        const std::int64_t o = plane * PQ + p * g.Q + q;
        if (indices[o] == h * g.W + w) sum += dout[o];
      }
    }
    dx[i] = sum;
  }
}

template <class T>
__global__ void avg_pool_forward_kernel(const T* x, T* out, Pool2dGeometry g) {
  const std::int64_t PQ = g.P * g.Q, total = g.N * g.C * PQ;
  const T scale = T(1) / static_cast<T>(g.kernel * g.kernel);
  for (std::int64_t i : grid_stride(total)) {
    const std::int64_t q = i % g.Q, p = (i / g.Q) % g.P, plane = i / PQ;
    const T* in = x + plane * g.H * g.W;
    const auto [h0, h1] = g.rows(p);
    const auto [w0, w1] = g.cols(q);
    T sum = 0;
    for (std::int64_t h = h0; h < h1; ++h)
      for (std::int64_t w = w0; w < w1; ++w) sum += in[h * g.W + w];
    out[i] = sum * scale;
  }
}

template <class T>
__global__ void avg_pool_backward_kernel(const T* dout, T* dx, Pool2dGeometry g) {
  const std::int64_t HW = g.H * g.W, PQ = g.P * g.Q, total = g.N * g.C * HW;
  const T scale = T(1) / static_cast<T>(g.kernel * g.kernel);
  for (std::int64_t i : grid_stride(total)) {
    const std::int64_t w = i % g.W, h = (i / g.W) % g.H, plane = i / HW;
    const WindowRange ps = windows_covering(h, g.kernel, g.stride, g.padding, g.P);
    const WindowRange qs = windows_covering(w, g.kernel, g.stride, g.padding, g.Q);
    T sum = 0;
    for (std::int64_t p = ps.first; p <= ps.last; ++p)
      for (std::int64_t q = qs.first; q <= qs.last; ++q) sum += dout[plane * PQ + p * g.Q + q];
    dx[i] = sum * scale;
  }
}

// One block per plane: out[plane] = mean of its `size` elements, summed in double.
template <class T>
__global__ void global_avg_forward_kernel(const T* x, T* out, std::int64_t size) {
  __shared__ double partial[kBlockSize];
  const T* in = x + static_cast<std::int64_t>(blockIdx.x) * size;
  double sum = 0.0;
  for (std::int64_t j = threadIdx.x; j < size; j += blockDim.x) sum += in[j];
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = static_cast<T>(partial[0] / static_cast<double>(size));
}

template <class T>
__global__ void global_avg_backward_kernel(const T* dout, T* dx, std::int64_t planes,
                                           std::int64_t size) {
  const T scale = T(1) / static_cast<T>(size);
  for (std::int64_t i : grid_stride(planes * size))
    dx[i] = dout[i / size] * scale;
}

}  // namespace

void max_pool2d_forward(DType dtype, const void* x, void* out, std::int64_t* indices,
                        const Pool2dGeometry& g) {
  if (g.planes() * g.plane_out() == 0) return;
  dispatch_float("max_pool2d", dtype, [&](auto zero) {
    using T = decltype(zero);
    max_pool_forward_kernel<T><<<grid_for(g.planes() * g.plane_out()), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(x), static_cast<T*>(out), indices, g);
    CUDA_CHECK_LAUNCH();
  });
}

void max_pool2d_backward(DType dtype, const void* dout, const std::int64_t* indices, void* dx,
                         const Pool2dGeometry& g) {
  if (g.planes() * g.plane_in() == 0) return;
  dispatch_float("max_pool2d", dtype, [&](auto zero) {
    using T = decltype(zero);
    max_pool_backward_kernel<T><<<grid_for(g.planes() * g.plane_in()), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(dout), indices, static_cast<T*>(dx), g);
    CUDA_CHECK_LAUNCH();
  });
}

void avg_pool2d_forward(DType dtype, const void* x, void* out, const Pool2dGeometry& g) {
  if (g.planes() * g.plane_out() == 0) return;
  dispatch_float("avg_pool2d", dtype, [&](auto zero) {
    using T = decltype(zero);
    avg_pool_forward_kernel<T><<<grid_for(g.planes() * g.plane_out()), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(x), static_cast<T*>(out), g);
    CUDA_CHECK_LAUNCH();
  });
}

void avg_pool2d_backward(DType dtype, const void* dout, void* dx, const Pool2dGeometry& g) {
  if (g.planes() * g.plane_in() == 0) return;
  dispatch_float("avg_pool2d", dtype, [&](auto zero) {
    using T = decltype(zero);
    avg_pool_backward_kernel<T><<<grid_for(g.planes() * g.plane_in()), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(dout), static_cast<T*>(dx), g);
    CUDA_CHECK_LAUNCH();
  });
}

void global_avg_pool2d_forward(DType dtype, const void* x, void* out, std::int64_t planes,
                               std::int64_t size) {
  if (planes == 0) return;
  dispatch_float("global_avg_pool2d", dtype, [&](auto zero) {
    using T = decltype(zero);
    global_avg_forward_kernel<T><<<static_cast<unsigned>(planes), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(x), static_cast<T*>(out), size);
    CUDA_CHECK_LAUNCH();
  });
}

void global_avg_pool2d_backward(DType dtype, const void* dout, void* dx, std::int64_t planes,
                                std::int64_t size) {
  if (planes * size == 0) return;
  dispatch_float("global_avg_pool2d", dtype, [&](auto zero) {
    using T = decltype(zero);
    global_avg_backward_kernel<T><<<grid_for(planes * size), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(dout), static_cast<T*>(dx), planes, size);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace nanossl::cuda
