// The register-only loops bench_peak times (compiled with AVX-512, AVX512_BF16 and
// FMA enabled for this file only; bench_peak calls each only where CPUID says the
// CPU has it). Each loop keeps kChains independent accumulators, more than an FMA
// unit's latency × its issue width, so the loop is bound by FMA throughput, not by
// the dependency chain; nothing touches memory inside the loop.
#include "peak_kernels.h"

#include <immintrin.h>

namespace nanossl::bench {
namespace {

constexpr int kChains = 16;

// The sum of the 16 lanes (stored and added: GCC 12's _mm512_reduce_add_ps warns).
double lane_sum(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  double sum = 0.0;
  for (float lane : lanes) sum += lane;
  return sum;
}

}  // namespace

// 16 chains × 16 lanes × 2 FLOPs (multiply + add) per iteration.
double fma_f32_avx512(std::int64_t iterations) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(1.0f + 1e-3f * static_cast<float>(c));
  const __m512 scale = _mm512_set1_ps(0.999999f), shift = _mm512_set1_ps(1e-7f);
  for (std::int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16  // every chain in a register: no loads or stores in the loop
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], scale, shift);
  }
  __m512 total = acc[0];
  for (int c = 1; c < kChains; ++c) total = _mm512_add_ps(total, acc[c]);
  return lane_sum(total);
}

// 16 chains × 8 lanes × 2 FLOPs per iteration.
double fma_f32_avx2(std::int64_t iterations) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(1.0f + 1e-3f * static_cast<float>(c));
  const __m256 scale = _mm256_set1_ps(0.999999f), shift = _mm256_set1_ps(1e-7f);
  for (std::int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16  // every chain in a register: no loads or stores in the loop
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], scale, shift);
  }
  __m256 total = acc[0];
  for (int c = 1; c < kChains; ++c) total = _mm256_add_ps(total, acc[c]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, total);
  double sum = 0.0;
  for (float lane : lanes) sum += lane;
  return sum;
}

// vdpbf16ps: each of 16 fp32 lanes accumulates the dot product of two bf16 pairs,
// 2 multiplies + 2 adds; 16 chains × 16 lanes × 4 FLOPs per iteration.
double dot_bf16_avx512(std::int64_t iterations) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(1e-3f * static_cast<float>(c));
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-4f), _mm512_set1_ps(2e-4f));
  const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(3e-4f), _mm512_set1_ps(-1e-4f));
  for (std::int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16  // every chain in a register: no loads or stores in the loop
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
  }
  __m512 total = acc[0];
  for (int c = 1; c < kChains; ++c) total = _mm512_add_ps(total, acc[c]);
  return lane_sum(total);
}

}  // namespace nanossl::bench
