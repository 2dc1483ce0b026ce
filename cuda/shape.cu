// CUDA kernels of the shape ops; each mirrors the function of the same name in
// cpu/shape.h. Legend: numel output elements, D = row_size.
#include <cstring>

#include "cuda/check.h"
#include "cuda/grid.cuh"
#include "cuda/shape.h"
#include "cuda/stream.h"

namespace nanossl::cuda {
namespace {

constexpr int kMaxDims = 8;
struct PermutePlan {
  int ndim;
  long long out_shape[kMaxDims];
  long long in_strides[kMaxDims];
};

// Mirrors cpu::permute_copy: one thread per output element (grid-stride).
template <class T>
__global__ void permute_kernel(const T* in, T* out, PermutePlan plan, long long numel) {
  for (long long linear : grid_stride(numel)) {
    long long rest = linear, source = 0;
    for (int k = plan.ndim - 1; k >= 0; --k) {
      source += (rest % plan.out_shape[k]) * plan.in_strides[k];
      rest /= plan.out_shape[k];
    }
    out[linear] = in[source];
  }
}

// Mirrors cpu::gather_rows: out (rows_out, D) <- in[index[r], :].
template <class T>
__global__ void gather_kernel(const T* in, const long long* index, T* out, long long rows_out, long long row_size) {
  const long long total = rows_out * row_size;
  for (long long i : grid_stride(total)) {
    const long long r = i / row_size, c = i % row_size;
    out[i] = in[index[r] * row_size + c];
  }
}

// Mirrors cpu::scatter_add_rows with atomics, since indices may repeat.
template <class T>
__global__ void scatter_add_kernel(const T* in, const long long* index, T* out, long long rows_in, long long row_size) {
  const long long total = rows_in * row_size;
  for (long long i : grid_stride(total)) {
    const long long r = i / row_size, c = i % row_size;
    atomicAdd(out + index[r] * row_size + c, in[i]);
  }
}

// Calls f(T{}) for an element type of the right size: permute and gather only move bytes.
template <class F>
void by_element_size(DType dtype, F&& f) {
  switch (dtype_size(dtype)) {
    case 1: f(static_cast<unsigned char>(0)); break;
    case 4: f(0.0f); break;
    default: f(0.0); break;
  }
}

}  // namespace

void permute_copy(DType dtype, const void* in, void* out, int ndim, const std::int64_t* out_shape,
                  const std::int64_t* in_strides, std::int64_t numel) {
  if (numel == 0) return;
  PermutePlan plan{};
  plan.ndim = ndim;
  for (int k = 0; k < ndim; ++k) {
    plan.out_shape[k] = out_shape[k];
    plan.in_strides[k] = in_strides[k];
  }
  by_element_size(dtype, [&](auto zero) {
    using T = decltype(zero);
    permute_kernel<T><<<grid_for(numel), kBlockSize, 0, stream()>>>(static_cast<const T*>(in), static_cast<T*>(out), plan, numel);
    CUDA_CHECK_LAUNCH();
  });
}

void gather_rows(DType dtype, const void* in, const std::int64_t* index, void* out, std::int64_t rows_out,
                 std::int64_t row_size) {
  if (rows_out * row_size == 0) return;
  by_element_size(dtype, [&](auto zero) {
    using T = decltype(zero);
    gather_kernel<T><<<grid_for(rows_out * row_size), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(in), reinterpret_cast<const long long*>(index), static_cast<T*>(out), rows_out, row_size);
    CUDA_CHECK_LAUNCH();
  });
}

void scatter_add_rows(DType dtype, const void* in, const std::int64_t* index, void* out, std::int64_t rows_in,
                      std::int64_t row_size) {
  if (rows_in * row_size == 0) return;
  const auto* idx = reinterpret_cast<const long long*>(index);
  const unsigned grid = grid_for(rows_in * row_size);
  dispatch_float("scatter_add_rows", dtype, [&](auto zero) {
    using T = decltype(zero);
    scatter_add_kernel<T><<<grid, kBlockSize, 0, stream()>>>(static_cast<const T*>(in), idx, static_cast<T*>(out), rows_in, row_size);
    CUDA_CHECK_LAUNCH();
  });
}

void copy_blocks(const void* src, std::int64_t src_pitch, void* dst, std::int64_t dst_pitch, std::int64_t width,
                 std::int64_t outer) {
  if (width == 0 || outer == 0) return;
  CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, width, outer, cudaMemcpyDeviceToDevice, stream()));
}

}  // namespace nanossl::cuda
