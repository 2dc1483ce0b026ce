// One-dimension reductions on the GPU (see cuda/reduce.h), each kernel citing the
// function of cpu/reduce.cpp it mirrors. Every sum is a tree: a thread folds at
// most about 32 elements, then warp shuffles and shared memory combine a block,
// and when one block cannot cover a row (or a column) its partial results go to a
// scratch buffer that the same code reduces again.
//
// Dimensions: x is (outer, n, inner), reduced over n; out is (outer, inner).
// Rows (inner == 1): a warp per row when n <= kWarpRowMax, else a block per chunk
// of kRowChunk elements. Columns (inner > 1): blocks of 32 columns x 8 row-lanes,
// each covering kColumnRows rows.
#include <algorithm>

#include "cuda/check.h"
#include "cuda/grid.cuh"
#include "cuda/reduce.h"
#include "cuda/runtime.h"
#include "cuda/stream.h"

namespace nanossl::cuda {

namespace {

constexpr int kWarp = 32;
constexpr std::int64_t kWarpRowMax = 1024;           // rows up to this length: a warp each
constexpr std::int64_t kRowChunk = kBlockSize * 16;  // elements per block on long rows
constexpr int kColumnLanes = 8;                      // threadIdx.y of the column kernel
constexpr std::int64_t kColumnRows = kColumnLanes * 16;  // rows per block, per column
constexpr std::int64_t kMaxGridYZ = 65535;

__device__ inline std::int64_t min_i64(std::int64_t a, std::int64_t b) { return a < b ? a : b; }

// cpu/reduce.cpp's SumOp (accumulating in T here) and MaxOp.
template <class T>
struct SumOp {
  __device__ static T identity() { return T(0); }
  __device__ static T combine(T a, T v) { return a + v; }
};
template <class T>
struct MaxOp {
  __device__ static T identity() { return -static_cast<T>(INFINITY); }
  __device__ static T combine(T a, T v) { return (v > a || v != v) ? v : a; }
};

template <class Op, class T>
__device__ T warp_reduce(T v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    v = Op::combine(v, __shfl_down_sync(0xffffffffu, v, offset));
  }
  return v;
}

// Combines one value per thread of a 1-D block; the result is valid in thread 0.
template <class Op, class T>
__device__ T block_reduce(T v) {
  __shared__ T warp_results[kWarp];
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  v = warp_reduce<Op>(v);
  if (lane == 0) warp_results[warp] = v;
  __syncthreads();
  const int warps = blockDim.x / kWarp;
  if (warp == 0) {
    v = lane < warps ? warp_results[lane] : Op::identity();
    v = warp_reduce<Op>(v);
  }
  __syncthreads();  // warp_results is reused by the caller's next row
  return v;
}

// Mirrors cpu::reduce_rows for rows of n <= kWarpRowMax: one warp per row.
template <class Op, class T>
__global__ void rows_warp_kernel(std::int64_t outer, std::int64_t n, const T* x, T* out) {
  const int lane = threadIdx.x % kWarp;
  const std::int64_t warps_in_grid = static_cast<std::int64_t>(gridDim.x) * (blockDim.x / kWarp);
  for (std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
       row < outer; row += warps_in_grid) {
    T acc = Op::identity();
    for (std::int64_t k = lane; k < n; k += kWarp) acc = Op::combine(acc, x[row * n + k]);
    acc = warp_reduce<Op>(acc);
    if (lane == 0) out[row] = acc;
  }
}

// Mirrors cpu::reduce_rows' blocks for long rows: block (s, y) reduces chunk s of
// rows y, y + gridDim.y, ... into partial[row, s] (partial is outer x gridDim.x).
template <class Op, class T>
__global__ void rows_block_kernel(std::int64_t outer, std::int64_t n, std::int64_t chunk,
                                  const T* x, T* partial) {
  const std::int64_t splits = gridDim.x, s = blockIdx.x;
  const std::int64_t begin = s * chunk, end = min_i64(n, begin + chunk);
  for (std::int64_t row = blockIdx.y; row < outer; row += gridDim.y) {
    T acc = Op::identity();
    for (std::int64_t k = begin + threadIdx.x; k < end; k += blockDim.x) {
      acc = Op::combine(acc, x[row * n + k]);
    }
    acc = block_reduce<Op>(acc);
    if (threadIdx.x == 0) partial[row * splits + s] = acc;
  }
}

// Mirrors cpu::reduce_columns: block (32 columns) x (kColumnLanes row lanes);
// blockIdx.z picks rows [z*rows_per_block, ...) and writes partial[o, z, i]
// (partial is outer x gridDim.z x inner; with one split it is the output).
template <class Op, class T>
__global__ void columns_kernel(std::int64_t outer, std::int64_t n, std::int64_t inner,
                               std::int64_t rows_per_block, const T* x, T* partial) {
  __shared__ T lanes[kColumnLanes][kWarp + 1];
  const std::int64_t splits = gridDim.z, s = blockIdx.z;
  const std::int64_t k0 = s * rows_per_block, k1 = min_i64(n, k0 + rows_per_block);
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (std::int64_t o = blockIdx.y; o < outer; o += gridDim.y) {
    for (std::int64_t base = static_cast<std::int64_t>(blockIdx.x) * kWarp; base < inner;
         base += static_cast<std::int64_t>(gridDim.x) * kWarp) {
      const std::int64_t i = base + tx;
      T acc = Op::identity();
      if (i < inner) {
        for (std::int64_t k = k0 + ty; k < k1; k += kColumnLanes) {
          acc = Op::combine(acc, x[(o * n + k) * inner + i]);
        }
      }
      lanes[ty][tx] = acc;
      __syncthreads();
      for (int half = kColumnLanes / 2; half >= 1; half /= 2) {
        if (ty < half) lanes[ty][tx] = Op::combine(lanes[ty][tx], lanes[ty + half][tx]);
        __syncthreads();
      }
      if (ty == 0 && i < inner) partial[(o * splits + s) * inner + i] = lanes[0][tx];
      __syncthreads();  // lanes is rewritten by the next tile
    }
  }
}

// Scratch for block partials, from the caching allocator; kernels are ordered on
// the one stream, so freeing after the launches that use it is safe.
template <class T>
struct Scratch {
  T* data;
  explicit Scratch(std::int64_t count)
      : data(static_cast<T*>(device_malloc(static_cast<std::size_t>(count) * sizeof(T)))) {}
  ~Scratch() { device_free(data); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

template <class Op, class T>
void reduce_rows(std::int64_t outer, std::int64_t n, const T* x, T* out) {
  if (n <= kWarpRowMax) {
    rows_warp_kernel<Op><<<grid_for(outer * kWarp), kBlockSize, 0, stream()>>>(outer, n, x, out);
    CUDA_CHECK_LAUNCH();
    return;
  }
  const std::int64_t splits = (n + kRowChunk - 1) / kRowChunk;
  Scratch<T> partial(outer * splits);
  const dim3 grid(static_cast<unsigned>(splits), static_cast<unsigned>(std::min(outer, kMaxGridYZ)));
  rows_block_kernel<Op><<<grid, kBlockSize, 0, stream()>>>(outer, n, kRowChunk, x, partial.data);
  CUDA_CHECK_LAUNCH();
  reduce_rows<Op>(outer, splits, partial.data, out);
}

template <class Op, class T>
void reduce_columns(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out) {
  const std::int64_t rows_per_block = std::max(kColumnRows, (n + kMaxGridYZ - 1) / kMaxGridYZ);
  const std::int64_t splits = std::max<std::int64_t>(1, (n + rows_per_block - 1) / rows_per_block);
  const std::int64_t column_blocks = std::min<std::int64_t>((inner + kWarp - 1) / kWarp, 1 << 20);
  const dim3 grid(static_cast<unsigned>(column_blocks), static_cast<unsigned>(std::min(outer, kMaxGridYZ)),
                  static_cast<unsigned>(splits));
  const dim3 block(kWarp, kColumnLanes);
  if (splits == 1) {
    columns_kernel<Op><<<grid, block, 0, stream()>>>(outer, n, inner, rows_per_block, x, out);
    CUDA_CHECK_LAUNCH();
    return;
  }
  Scratch<T> partial(outer * splits * inner);
  columns_kernel<Op><<<grid, block, 0, stream()>>>(outer, n, inner, rows_per_block, x, partial.data);
  CUDA_CHECK_LAUNCH();
  reduce_columns<Op>(outer, splits, inner, partial.data, out);
}

template <class Op, class T>
void reduce_typed(std::int64_t outer, std::int64_t n, std::int64_t inner, const void* x, void* out) {
  if (outer == 0 || inner == 0) return;
  const T* px = static_cast<const T*>(x);
  T* po = static_cast<T*>(out);
  if (inner == 1) reduce_rows<Op>(outer, n, px, po);
  else reduce_columns<Op>(outer, n, inner, px, po);
}

// Mirrors cpu::argmax_dim: one thread per (o, i) scans its n values in order, so
// ties resolve to the first index exactly as on the CPU.
template <class T>
__global__ void argmax_kernel(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x,
                              std::int64_t* out) {
  for (std::int64_t oi : grid_stride(outer * inner)) {
    const std::int64_t o = oi / inner, i = oi % inner;
    const T* column = x + o * n * inner + i;
    T best = column[0];
    std::int64_t best_k = 0;
    for (std::int64_t k = 1; k < n; ++k) {
      const T v = column[k * inner];
      if (v > best || (v != v && best == best)) {
        best = v;
        best_k = k;
      }
    }
    out[oi] = best_k;
  }
}

template <class T>
void argmax_typed(std::int64_t outer, std::int64_t n, std::int64_t inner, const void* x, void* out) {
  if (outer * inner == 0) return;
  argmax_kernel<T><<<grid_for(outer * inner), kBlockSize, 0, stream()>>>(
      outer, n, inner, static_cast<const T*>(x), static_cast<std::int64_t*>(out));
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void sum_dim(DType dtype, std::int64_t outer, std::int64_t n, std::int64_t inner, const void* x,
             void* out) {
  dispatch_float("sum_dim", dtype, [&](auto zero) {
    using T = decltype(zero);
    reduce_typed<SumOp<T>, T>(outer, n, inner, x, out);
  });
}

void max_dim(DType dtype, std::int64_t outer, std::int64_t n, std::int64_t inner, const void* x,
             void* out) {
  dispatch_float("max_dim", dtype, [&](auto zero) {
    using T = decltype(zero);
    reduce_typed<MaxOp<T>, T>(outer, n, inner, x, out);
  });
}

void argmax_dim(DType dtype, std::int64_t outer, std::int64_t n, std::int64_t inner,
                const void* x, void* out) {
  dispatch_float("argmax_dim", dtype,
                 [&](auto zero) { argmax_typed<decltype(zero)>(outer, n, inner, x, out); });
}

}  // namespace nanossl::cuda
