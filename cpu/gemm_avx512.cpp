// The AVX-512 GEMM micro-kernel (float): an MR x NR tile of C held in zmm
// registers, NR = 16 * NV columns. Per k it loads NV vectors of the packed B
// micro-panel, broadcasts MR values of the packed A micro-panel, and issues
// MR * NV FMAs. Built with -mavx512f; called only when CPUID reports AVX-512.
#include <immintrin.h>

#include "cpu/gemm_kernel.h"

namespace nanossl::cpu {

namespace {

// Rows of A (broadcast) and zmm vectors of B per tile: 8 x 32 keeps 16
// accumulators, enough to hide FMA latency on Zen 4 and Skylake-X alike, and
// divides the channel counts of ResNets (multiples of 64) without padding.
constexpr int kRows = 8;
constexpr int kVectors = 2;

template <int MR, int NV>
void multiply_tile(std::int64_t kc, const float* a, const float* b, float beta, float* c,
                   std::int64_t ldc) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
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

}  // namespace

const GemmMicroKernel& gemm_micro_kernel_avx512() {
  static const GemmMicroKernel kernel{"avx512", kRows, 16 * kVectors,
                                      &multiply_tile<kRows, kVectors>,
                                      &gemm_pack_transposed_avx2};
  return kernel;
}

}  // namespace nanossl::cpu
