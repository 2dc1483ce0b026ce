// Launch sizes and the grid-stride loop every elementwise-style kernel uses: a
// kernel launched with grid_for(n) blocks of kBlockSize threads visits each index
// of [0, n) exactly once, however many blocks the grid was capped at:
//   for (std::int64_t i : grid_stride(n)) out[i] = f(in[i]);
// Indices are 64-bit, so tensors past 2^31 elements need no special case.
#pragma once
#include <cstdint>

namespace nanossl::cuda {

// Threads per block, and blocks for n elements (capped; the loop covers the rest).
constexpr int kBlockSize = 256;
inline unsigned grid_for(long long n) {
  long long blocks = (n + kBlockSize - 1) / kBlockSize;
  if (blocks < 1) blocks = 1;
  return static_cast<unsigned>(blocks > 65535LL * 32 ? 65535LL * 32 : blocks);
}

// The indices of [0, n) this thread owns: its global index, then every grid-width
// step after it. A range so kernels state only the bound.
class GridStride {
 public:
  struct Iterator {
    std::int64_t index, step;
    __device__ std::int64_t operator*() const { return index; }
    __device__ Iterator& operator++() {
      index += step;
      return *this;
    }
    // "Before the end", not "unequal": the last step usually jumps past n.
    __device__ bool operator!=(const Iterator& end) const { return index < end.index; }
  };

  __device__ explicit GridStride(std::int64_t n) : n_(n) {}
  __device__ Iterator begin() const {
    return {static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x,
            static_cast<std::int64_t>(gridDim.x) * blockDim.x};
  }
  __device__ Iterator end() const { return {n_, 0}; }

 private:
  std::int64_t n_;
};

__device__ inline GridStride grid_stride(std::int64_t n) { return GridStride(n); }

}  // namespace nanossl::cuda
