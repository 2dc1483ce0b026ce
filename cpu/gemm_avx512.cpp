// The AVX-512 GEMM micro-kernel (float): an MR x NR tile of C held in zmm
// registers, NR = 16 * NV columns. Per k it loads NV vectors of the packed B
// micro-panel, broadcasts MR values of the packed A micro-panel, and issues
// MR * NV FMAs. Built with -mavx512f; called only when CPUID reports AVX-512.
// No std:: templates here: an inline instantiation emitted from this file could
// be the copy the linker keeps for baseline code too.
#include <immintrin.h>

#include "cpu/gemm_kernel.h"

namespace nanossl::cpu {

namespace {

// Rows of A (broadcast) and zmm vectors of B per tile: 8 x 32 keeps 16
// accumulators, enough to hide FMA latency on Zen 4 and Skylake-X alike, and
// divides the channel counts of ResNets (multiples of 64) without padding. On
// Zen 4 it matched or beat 8 x 48, 6 x 64, 12 x 32 and 14 x 32 (docs/gemm.md).
constexpr int kRows = 8;
constexpr int kVectors = 2;

template <int MR, int NV>
void multiply_tile(std::int64_t kc, const float* a, const float* b, float beta, float* c,
                   std::int64_t ldc) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      acc[r][v] = _mm512_setzero_ps();
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16 * v), _MM_HINT_T0);
    }
  for (std::int64_t k = 0; k < kc; ++k) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_load_ps(b + 16 * v);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += MR;
    b += 16 * NV;
  }
  if (beta == 0.0f) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) _mm512_storeu_ps(c + r * ldc + 16 * v, acc[r][v]);
  } else {
    const __m512 vbeta = _mm512_set1_ps(beta);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        float* p = c + r * ldc + 16 * v;
        _mm512_storeu_ps(p, _mm512_fmadd_ps(vbeta, _mm512_loadu_ps(p), acc[r][v]));
      }
  }
}

// Copy packing: whole panels move as plain vector loads and stores; masks only
// cover the ragged last panel (loads under a zero mask bit never touch memory).
// Widths are multiples of 8 (NR = 32 for B, MR = 8 for A).
void pack_copy(const float* src, std::int64_t ld, std::int64_t kc, std::int64_t n, int width,
               float alpha, float* dst) {
  const __m512 scale = _mm512_set1_ps(alpha);
  const __m256 scale8 = _mm256_set1_ps(alpha);
  const std::int64_t full = n / width * width;
  for (std::int64_t k = 0; k < kc; ++k) {
    const float* row = src + k * ld;
    float* out = dst + k * width;
    for (std::int64_t j0 = 0; j0 < full; j0 += width, out += kc * width) {
      int j = 0;
      for (; j + 16 <= width; j += 16)
        _mm512_storeu_ps(out + j, _mm512_mul_ps(scale, _mm512_loadu_ps(row + j0 + j)));
      if (j < width)
        _mm256_storeu_ps(out + j, _mm256_mul_ps(scale8, _mm256_loadu_ps(row + j0 + j)));
    }
    if (full == n) continue;
    for (int j = 0; j < width; j += 8) {  // the last panel, zero-padded
      const std::int64_t left = n - full - j;
      const unsigned valid = left <= 0 ? 0 : left >= 8 ? 8 : static_cast<unsigned>(left);
      const __m256 v = _mm256_maskz_loadu_ps(static_cast<__mmask8>((1u << valid) - 1), row + full + j);
      _mm256_storeu_ps(out + j, _mm256_mul_ps(scale8, v));
    }
  }
}

}  // namespace

const GemmMicroKernel& gemm_micro_kernel_avx512() {
  static const GemmMicroKernel kernel{"avx512", kRows, 16 * kVectors,
                                      &multiply_tile<kRows, kVectors>, &pack_copy,
                                      &gemm_pack_transpose_avx2};
  return kernel;
}

}  // namespace nanossl::cpu
