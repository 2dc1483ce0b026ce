// Block-wide sum and max for kernels that give one thread block to one row or one
// channel (cuda/norm.cu, cuda/loss.cu). Every thread of the block gets the result;
// the order of additions is fixed, so results are deterministic run to run.
// CUDA-only header. blockDim.x must be a multiple of 32 and at most 1024.
#pragma once
#include <cuda_runtime.h>

namespace nanossl::cuda {

template <class A>
__device__ A warp_all_sum(A v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

template <class A>
__device__ A warp_all_max(A v) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    const A other = __shfl_xor_sync(0xffffffffu, v, offset);
    v = other > v ? other : v;
  }
  return v;
}

// Sum of `v` over the block. Safe to call several times in a row.
template <class A>
__device__ A block_all_sum(A v) {
  __shared__ A partial[32];
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int warps = blockDim.x >> 5;
  v = warp_all_sum(v);
  __syncthreads();  // a previous call may still be reading `partial`
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  return warp_all_sum(lane < warps ? partial[lane] : A(0));
}

// Max of `v` over the block; `lowest` is the identity (e.g. -infinity).
template <class A>
__device__ A block_all_max(A v, A lowest) {
  __shared__ A partial[32];
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int warps = blockDim.x >> 5;
  v = warp_all_max(v);
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  return warp_all_max(lane < warps ? partial[lane] : lowest);
}

// Threads for a block that reduces rows of `length` values: a multiple of 32, at most 256.
inline int threads_for_row(long long length) {
  long long threads = (length + 31) / 32 * 32;
  if (threads < 32) threads = 32;
  return static_cast<int>(threads > 256 ? 256 : threads);
}

}  // namespace nanossl::cuda
