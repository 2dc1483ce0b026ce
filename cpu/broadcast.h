// NumPy broadcasting as a plan the elementwise kernels (CPU and CUDA) iterate by:
// the output extents and, for each of two contiguous inputs, its element strides
// with 0 on the dimensions it is broadcast along.
//
// The plan is simplified before use: size-1 output dims are dropped and adjacent
// dims that every input walks contiguously are merged, so a same-shape pair becomes
// one dim with strides (1, 1), a tensor and a scalar one dim with strides (1, 0),
// and (N,C,H,W) + (1,C,1,1) three dims (N, C, H*W). The innermost stride of each
// input is then 0 or 1, which the kernels' fast loops rely on.
#pragma once
#include <cstdint>
#include <vector>

namespace nanossl::cpu {

constexpr int kMaxBroadcastDims = 8;

// A plain struct passed by value to CUDA kernels.
struct BroadcastPlan {
  int ndim = 1;                                 // >= 1 after simplification
  std::int64_t numel = 0;                       // product of shape (may be 0)
  std::int64_t shape[kMaxBroadcastDims] = {};   // output extents, outermost first
  std::int64_t a_stride[kMaxBroadcastDims] = {};
  std::int64_t b_stride[kMaxBroadcastDims] = {};
};

// The broadcast result of shapes a and b (right-aligned; each pair of extents equal
// or one of them 1). Throws std::invalid_argument naming `op` and both shapes,
// e.g. "[add] shapes 3x4 and 5 cannot broadcast".
std::vector<std::int64_t> broadcast_shape(const char* op, const std::vector<std::int64_t>& a,
                                          const std::vector<std::int64_t>& b);

// The simplified plan for out = f(a, b) with out of shape broadcast_shape(a, b).
// Also used with b == out's own shape to expand a single input (b_stride then
// walks the output). Throws like broadcast_shape, and if more than
// kMaxBroadcastDims dims remain after simplification.
BroadcastPlan make_broadcast_plan(const char* op, const std::vector<std::int64_t>& a,
                                  const std::vector<std::int64_t>& b);

}  // namespace nanossl::cpu
