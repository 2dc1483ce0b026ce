// conv2d on the GPU, the same lowering as cpu/conv.cpp (its reference): per chunk
// of B images, im2col into col (CRS, B*PQ), one cuBLAS GEMM against the weight, and
// a reorder between (K, B*PQ) and NCHW; the backward reuses col for dcol. Unlike the
// CPU, which keeps chunks cache-sized, the GPU takes chunks as large as its workspace
// budget allows (most of a batch-128 CIFAR layer): a GPU GEMM needs many columns to
// fill the device, and every chunk costs kernel launches.
//
// Dimensions: N batch, C input channels, H W input size, K output channels,
// R S kernel size, P Q output size; B images per chunk, CRS = C*R*S, PQ = P*Q.
#include "cuda/conv.h"

#include <algorithm>

#include "cuda/blas.h"
#include "cuda/check.h"
#include "cuda/grid.cuh"
#include "cuda/runtime.h"
#include "cuda/stream.h"

namespace nanossl::cuda {
namespace {

// Elements of the im2col workspace per chunk: 64M (256 MiB in float), so a CIFAR
// ResNet layer at batch 128 runs in one or two chunks while memory stays bounded.
constexpr std::int64_t kColumnBudget = std::int64_t{1} << 26;

// A buffer from the caching device allocator, freed on scope exit. Every kernel runs
// on the one stream, so a block freed here is reused only by work queued after ours.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t bytes) : data_(device_malloc(bytes)) {}
  ~DeviceBuffer() { device_free(data_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T> T* as() const { return static_cast<T*>(data_); }

 private:
  void* data_;
};

// One thread per (c, b, p, q): writes the R*S column entries of that output pixel,
// col[(c*R + r)*S + s][b*PQ + p*Q + q] (cpu::im2col).
template <class T>
__global__ void im2col_kernel(const T* x, std::int64_t B, Conv2dGeometry g, T* col) {
  const std::int64_t PQ = g.P * g.Q, ld = B * PQ, total = g.C * ld;
  for (std::int64_t i : grid_stride(total)) {
    const std::int64_t q = i % g.Q, p = (i / g.Q) % g.P, b = (i / PQ) % B, c = i / ld;
    const T* plane = x + (b * g.C + c) * g.H * g.W;
    T* dst = col + c * g.R * g.S * ld + b * PQ + p * g.Q + q;
    for (std::int64_t r = 0; r < g.R; ++r) {
      const std::int64_t h = p * g.stride - g.padding + r * g.dilation;
      for (std::int64_t s = 0; s < g.S; ++s) {
        const std::int64_t w = q * g.stride - g.padding + s * g.dilation;
        *dst = (h >= 0 && h < g.H && w >= 0 && w < g.W) ? plane[h * g.W + w] : T(0);
        dst += ld;
      }
    }
  }
}

// One thread per input pixel (b, c, h, w): gathers every col entry read from it
// (cpu::col2im), so no atomics and a deterministic sum.
template <class T>
__global__ void col2im_kernel(const T* col, std::int64_t B, Conv2dGeometry g, T* dx) {
  const std::int64_t PQ = g.P * g.Q, ld = B * PQ, HW = g.H * g.W, total = B * g.C * HW;
  for (std::int64_t i : grid_stride(total)) {
    const std::int64_t w = i % g.W, h = (i / g.W) % g.H, c = (i / HW) % g.C, b = i / (g.C * HW);
    T sum = 0;
    for (std::int64_t r = 0; r < g.R; ++r) {
      const std::int64_t hp = h + g.padding - r * g.dilation;  // = p * stride
      if (hp < 0 || hp % g.stride != 0 || hp / g.stride >= g.P) continue;
      for (std::int64_t s = 0; s < g.S; ++s) {
        const std::int64_t wq = w + g.padding - s * g.dilation;  // = q * stride
        if (wq < 0 || wq % g.stride != 0 || wq / g.stride >= g.Q) continue;
        sum += col[((c * g.R + r) * g.S + s) * ld + b * PQ + (hp / g.stride) * g.Q + wq / g.stride];
      }
    }
    dx[i] = sum;
  }
}

// out[b][k][i] = tmp[k][b*PQ + i] + bias[k]   (bias may be null)
template <class T>
__global__ void unpack_output_kernel(const T* tmp, const T* bias, std::int64_t B, std::int64_t K,
                                     std::int64_t PQ, T* out) {
  const std::int64_t total = B * K * PQ;
  for (std::int64_t i : grid_stride(total)) {
    const std::int64_t j = i % PQ, k = (i / PQ) % K, b = i / (K * PQ);
    out[i] = tmp[(k * B + b) * PQ + j] + (bias ? bias[k] : T(0));
  }
}

// dr[k][b*PQ + i] = dout[b][k][i]
template <class T>
__global__ void pack_gradient_kernel(const T* dout, std::int64_t B, std::int64_t K,
                                     std::int64_t PQ, T* dr) {
  const std::int64_t total = K * B * PQ;
  for (std::int64_t i : grid_stride(total)) {
    const std::int64_t j = i % PQ, b = (i / PQ) % B, k = i / (B * PQ);
    dr[i] = dout[(b * K + k) * PQ + j];
  }
}

// One block per output channel k: dbias[k] = sum of dout[n][k][:] over n, in double.
template <class T>
__global__ void bias_gradient_kernel(const T* dout, std::int64_t N, std::int64_t K,
                                     std::int64_t PQ, T* dbias) {
  __shared__ double partial[kBlockSize];
  const std::int64_t k = blockIdx.x;
  double sum = 0.0;
  for (std::int64_t j = threadIdx.x; j < N * PQ; j += blockDim.x)
    sum += dout[((j / PQ) * K + k) * PQ + j % PQ];
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) dbias[k] = static_cast<T>(partial[0]);
}

std::int64_t images_per_chunk(const Conv2dGeometry& g) {
  const std::int64_t per_image = std::max<std::int64_t>(1, g.rows() * g.plane_out());
  return std::clamp<std::int64_t>(kColumnBudget / per_image, 1, std::max<std::int64_t>(1, g.N));
}

template <class T>
void forward(const T* x, const T* weight, const T* bias, T* out, const Conv2dGeometry& g) {
  const std::int64_t PQ = g.plane_out(), CRS = g.rows(), chunk = images_per_chunk(g);
  DeviceBuffer col(sizeof(T) * CRS * chunk * PQ), tmp(sizeof(T) * g.K * chunk * PQ);
  for (std::int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    const std::int64_t B = std::min(chunk, g.N - n0), cols = B * PQ;
    im2col_kernel<T><<<grid_for(g.C * cols), kBlockSize, 0, stream()>>>(
        x + n0 * g.C * g.plane_in(), B, g, col.as<T>());
    CUDA_CHECK_LAUNCH();
    // tmp (K, cols) = weight (K, CRS) * col (CRS, cols)
    gemm(dtype_of<T>(), false, false, g.K, cols, CRS, 1.0, weight, CRS, col.as<T>(), cols, 0.0,
         tmp.as<T>(), cols);
    unpack_output_kernel<T><<<grid_for(g.K * cols), kBlockSize, 0, stream()>>>(
        tmp.as<T>(), bias, B, g.K, PQ, out + n0 * g.K * PQ);
    CUDA_CHECK_LAUNCH();
  }
}

template <class T>
void backward(const T* x, const T* weight, const T* dout, T* dx, T* dweight, T* dbias,
              const Conv2dGeometry& g) {
  const std::int64_t PQ = g.plane_out(), CRS = g.rows(), chunk = images_per_chunk(g);
  if (dbias) {
    bias_gradient_kernel<T><<<static_cast<unsigned>(g.K), kBlockSize, 0, stream()>>>(
        dout, g.N, g.K, PQ, dbias);
    CUDA_CHECK_LAUNCH();
  }
  if (!dx && !dweight) return;
  if (g.N == 0) {
    if (dweight) fill(dtype_of<T>(), dweight, g.K * CRS, 0.0);
    return;
  }
  DeviceBuffer col(sizeof(T) * CRS * chunk * PQ), dr(sizeof(T) * g.K * chunk * PQ);
  for (std::int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    const std::int64_t B = std::min(chunk, g.N - n0), cols = B * PQ;
    pack_gradient_kernel<T><<<grid_for(g.K * cols), kBlockSize, 0, stream()>>>(
        dout + n0 * g.K * PQ, B, g.K, PQ, dr.as<T>());
    CUDA_CHECK_LAUNCH();
    if (dweight) {
      im2col_kernel<T><<<grid_for(g.C * cols), kBlockSize, 0, stream()>>>(
          x + n0 * g.C * g.plane_in(), B, g, col.as<T>());
      CUDA_CHECK_LAUNCH();
      // dweight (K, CRS) += dr (K, cols) * col^T (cols, CRS)
      gemm(dtype_of<T>(), false, true, g.K, CRS, cols, 1.0, dr.as<T>(), cols, col.as<T>(), cols,
           n0 == 0 ? 0.0 : 1.0, dweight, CRS);
    }
    if (dx) {
      // col (CRS, cols) = weight^T (CRS, K) * dr (K, cols)
      gemm(dtype_of<T>(), true, false, CRS, cols, g.K, 1.0, weight, CRS, dr.as<T>(), cols, 0.0,
           col.as<T>(), cols);
      col2im_kernel<T><<<grid_for(B * g.C * g.plane_in()), kBlockSize, 0, stream()>>>(
          col.as<T>(), B, g, dx + n0 * g.C * g.plane_in());
      CUDA_CHECK_LAUNCH();
    }
  }
}

}  // namespace

void conv2d_forward(DType dtype, const void* x, const void* weight, const void* bias, void* out,
                    const Conv2dGeometry& g) {
  if (g.N == 0) return;
  dispatch_float("conv2d", dtype, [&](auto zero) {
    using T = decltype(zero);
    forward<T>(static_cast<const T*>(x), static_cast<const T*>(weight),
               static_cast<const T*>(bias), static_cast<T*>(out), g);
  });
}

void conv2d_backward(DType dtype, const void* x, const void* weight, const void* dout, void* dx,
                     void* dweight, void* dbias, const Conv2dGeometry& g) {
  dispatch_float("conv2d", dtype, [&](auto zero) {
    using T = decltype(zero);
    backward<T>(static_cast<const T*>(x), static_cast<const T*>(weight),
                static_cast<const T*>(dout), static_cast<T*>(dx), static_cast<T*>(dweight),
                static_cast<T*>(dbias), g);
  });
}

}  // namespace nanossl::cuda
