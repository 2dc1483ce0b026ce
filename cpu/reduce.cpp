// One-dimension reductions on the CPU (see cpu/reduce.h). Work is cut into items of
// about kBlockElements input elements that depend only on the shape: rows (inner
// == 1) are split into blocks reduced with 8 independent lanes, columns (inner > 1)
// into tiles of kTile columns times a block of rows. Items run in parallel and
// their partial results are combined in a fixed order, so results are the same for
// any thread count.
#include "cpu/reduce.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace nanossl::cpu {

namespace {

constexpr std::int64_t kParallelThreshold = 1 << 15;  // input elements
constexpr std::int64_t kBlockElements = 1 << 15;       // input elements per work item
constexpr std::int64_t kTile = 256;                    // columns per work item (inner > 1)
constexpr int kLanes = 8;                               // independent accumulators per row

template <class T>
struct SumOp {
  using Acc = double;
  static Acc identity() { return 0.0; }
  static Acc combine(Acc a, Acc v) { return a + v; }
};

template <class T>
struct MaxOp {
  using Acc = T;
  static Acc identity() { return -std::numeric_limits<T>::infinity(); }
  // v wins if larger or NaN; a NaN accumulator stays NaN.
  static Acc combine(Acc a, Acc v) { return (v > a || v != v) ? v : a; }
};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Reduces p[0..length) with kLanes interleaved accumulators merged as a tree.
template <class Op, class T>
typename Op::Acc reduce_run(const T* p, std::int64_t length) {
  using Acc = typename Op::Acc;
  Acc lanes[kLanes];
  for (Acc& lane : lanes) lane = Op::identity();
  std::int64_t k = 0;
  for (; k + kLanes <= length; k += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] = Op::combine(lanes[l], static_cast<Acc>(p[k + l]));
  }
  for (; k < length; ++k) lanes[0] = Op::combine(lanes[0], static_cast<Acc>(p[k]));
  for (int width = kLanes / 2; width >= 1; width /= 2) {
    for (int l = 0; l < width; ++l) lanes[l] = Op::combine(lanes[l], lanes[l + width]);
  }
  return lanes[0];
}

// inner == 1: out[o] = reduce(x[o, 0..n)).
template <class Op, class T>
void reduce_rows(std::int64_t outer, std::int64_t n, const T* x, T* out) {
  using Acc = typename Op::Acc;
  const std::int64_t blocks = std::max<std::int64_t>(1, ceil_div(n, kBlockElements));
  if (blocks == 1) {
#pragma omp parallel for schedule(static) if (outer * n >= kParallelThreshold)
    for (std::int64_t o = 0; o < outer; ++o) out[o] = static_cast<T>(reduce_run<Op>(x + o * n, n));
    return;
  }
  std::vector<Acc> partial(static_cast<std::size_t>(outer * blocks));
#pragma omp parallel for schedule(static)
  for (std::int64_t w = 0; w < outer * blocks; ++w) {
    const std::int64_t o = w / blocks, begin = (w % blocks) * kBlockElements;
    partial[w] = reduce_run<Op>(x + o * n + begin, std::min(kBlockElements, n - begin));
  }
  for (std::int64_t o = 0; o < outer; ++o) {
    Acc acc = Op::identity();
    for (std::int64_t b = 0; b < blocks; ++b) acc = Op::combine(acc, partial[o * blocks + b]);
    out[o] = static_cast<T>(acc);
  }
}

// inner > 1: out[o,i] = reduce_k x[o,k,i], one accumulator per column of a tile.
template <class Op, class T>
void reduce_columns(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out) {
  using Acc = typename Op::Acc;
  const std::int64_t tile = std::min(inner, kTile);
  const std::int64_t tiles = ceil_div(inner, tile);
  const std::int64_t rows_per_block = std::max<std::int64_t>(1, kBlockElements / tile);
  const std::int64_t blocks = std::max<std::int64_t>(1, ceil_div(n, rows_per_block));
  std::vector<Acc> partial(blocks > 1 ? static_cast<std::size_t>(outer * blocks * inner) : 0);
  const std::int64_t items = outer * tiles * blocks;
#pragma omp parallel for schedule(static) if (outer * n * inner >= kParallelThreshold)
  for (std::int64_t w = 0; w < items; ++w) {
    const std::int64_t b = w % blocks, t = (w / blocks) % tiles, o = w / (blocks * tiles);
    const std::int64_t i0 = t * tile, width = std::min(tile, inner - i0);
    const std::int64_t k0 = b * rows_per_block, k1 = std::min(n, k0 + rows_per_block);
    Acc acc[kTile];
    for (std::int64_t i = 0; i < width; ++i) acc[i] = Op::identity();
    for (std::int64_t k = k0; k < k1; ++k) {
      const T* row = x + (o * n + k) * inner + i0;
      for (std::int64_t i = 0; i < width; ++i) acc[i] = Op::combine(acc[i], static_cast<Acc>(row[i]));
    }
    for (std::int64_t i = 0; i < width; ++i) {
      if (blocks == 1) out[o * inner + i0 + i] = static_cast<T>(acc[i]);
      else partial[(o * blocks + b) * inner + i0 + i] = acc[i];
    }
  }
  if (blocks == 1) return;
#pragma omp parallel for schedule(static) if (outer * inner >= kParallelThreshold)
  for (std::int64_t oi = 0; oi < outer * inner; ++oi) {
    const std::int64_t o = oi / inner, i = oi % inner;
    Acc acc = Op::identity();
    for (std::int64_t bb = 0; bb < blocks; ++bb) acc = Op::combine(acc, partial[(o * blocks + bb) * inner + i]);
    out[oi] = static_cast<T>(acc);
  }
}

template <class Op, class T>
void reduce_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out) {
  if (outer == 0 || inner == 0) return;
  if (inner == 1) reduce_rows<Op>(outer, n, x, out);
  else reduce_columns<Op>(outer, n, inner, x, out);
}

// The argmax update rule: strictly greater, or the first NaN.
template <class T>
bool beats(T v, T best) {
  return v > best || (v != v && best == best);
}

}  // namespace

template <class T>
void sum_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out) {
  reduce_dim<SumOp<T>>(outer, n, inner, x, out);
}

template <class T>
void max_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out) {
  reduce_dim<MaxOp<T>>(outer, n, inner, x, out);
}

template <class T>
void argmax_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x,
                std::int64_t* out) {
#pragma omp parallel for schedule(static) if (outer * n * inner >= kParallelThreshold)
  for (std::int64_t o = 0; o < outer; ++o) {
    const T* block = x + o * n * inner;
    std::int64_t* index = out + o * inner;
    for (std::int64_t i = 0; i < inner; ++i) {
      T best = block[i];
      std::int64_t best_k = 0;
      for (std::int64_t k = 1; k < n; ++k) {
        const T v = block[k * inner + i];
        if (beats(v, best)) {
          best = v;
          best_k = k;
        }
      }
      index[i] = best_k;
    }
  }
}

template void sum_dim<float>(std::int64_t, std::int64_t, std::int64_t, const float*, float*);
template void sum_dim<double>(std::int64_t, std::int64_t, std::int64_t, const double*, double*);
template void max_dim<float>(std::int64_t, std::int64_t, std::int64_t, const float*, float*);
template void max_dim<double>(std::int64_t, std::int64_t, std::int64_t, const double*, double*);
template void argmax_dim<float>(std::int64_t, std::int64_t, std::int64_t, const float*, std::int64_t*);
template void argmax_dim<double>(std::int64_t, std::int64_t, std::int64_t, const double*, std::int64_t*);

}  // namespace nanossl::cpu
