// The bf16 GEMM micro-kernel (AVX512_BF16): float operands rounded to bfloat16 as
// they are packed, products summed in float. vdpbf16ps adds, in each of 16 float
// lanes, the two products of a pair of bf16 values from each operand, so a packed
// panel holds pairs of consecutive k in each 32-bit slot:
//   A micro-panel: a[k/2][r]  = (A[r][k], A[r][k+1]),  MR slots per pair of k
//   B micro-panel: b[k/2][j]  = (B[k][j], B[k+1][j]),  NR slots per pair of k
// (the low half holds the even k; an odd kc is padded with a zero k). That is twice
// the products of an fp32 FMA per instruction, at bf16's 8-bit significand: each
// product is exact in float, only the operands are rounded (relative error at most
// 2^-9 each). Built with -mavx512bf16; used only when CPUID reports it
// (cpu_has_avx512_bf16). No std:: templates here (see gemm_avx512.cpp).
#include <immintrin.h>

#include <cstdint>

// GCC 12's own intrinsics (_mm512_cvtepu16_epi32, _mm512_slli_epi32, ...) start
// from _mm512_undefined_epi32() and trip -Wmaybe-uninitialized on every use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "cpu/gemm_kernel.h"

namespace nanossl::cpu {

namespace {

constexpr int kRows = 8;
constexpr int kVectors = 2;  // NR = 32, as the fp32 kernel: the conv packers' panels fit both

// Slots of packed pairs: the buffers are float arrays, 4 bytes a slot either way.
std::uint32_t* slots(float* p) { return reinterpret_cast<std::uint32_t*>(p); }

// 16 floats to 16 bf16 (round to nearest even; NaN stays NaN), each in the low half of a 32-bit lane.
__m512i bf16_lanes(__m512 x) { return _mm512_cvtepu16_epi32(reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(x))); }

// The 32-bit pairs (even, odd) of two rows of 16 floats.
__m512i pairs(__m512 even, __m512 odd) {
  return _mm512_or_si512(bf16_lanes(even), _mm512_slli_epi32(bf16_lanes(odd), 16));
}

template <int MR, int NV>
void multiply_tile(std::int64_t kc, const float* a, const float* b, float beta, float* c, std::int64_t ldc) {
  const std::int64_t depth = (kc + 1) / 2;
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (std::int64_t d = 0; d < depth; ++d) {
    __m512bh bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = reinterpret_cast<__m512bh>(_mm512_load_si512(b + 16 * v));
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      std::uint32_t pair;
      __builtin_memcpy(&pair, a + r, sizeof pair);
      const __m512bh av = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(pair)));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], av, bv[v]);
    }
    a += MR;
    b += 16 * NV;
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      float* p = c + r * ldc + 16 * v;
      _mm512_storeu_ps(p, beta == 0.0f ? acc[r][v] : _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_loadu_ps(p), acc[r][v]));
    }
}

// 16 floats of a row from `row`, scaled, zero past `valid` (masked: not read).
__m512 load16(const float* row, std::int64_t valid, __m512 scale) {
  const unsigned n = valid <= 0 ? 0 : valid >= 16 ? 16 : static_cast<unsigned>(valid);
  return _mm512_mul_ps(scale, _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), row));
}

// From a row-major kc x n block (rows are k): panels of `width` columns (8 for A,
// 32 for B), dst[panel][k/2][j] = (alpha * src[k][j], alpha * src[k+1][j]), zero
// past column n.
void pack_copy(const float* src, std::int64_t ld, std::int64_t kc, std::int64_t n, int width, float alpha,
               float* dst) {
  const __m512 scale = _mm512_set1_ps(alpha);
  const std::int64_t depth = (kc + 1) / 2;
  for (std::int64_t d = 0; d < depth; ++d) {
    const float* even = src + 2 * d * ld;
    const bool has_odd = 2 * d + 1 < kc;
    std::uint32_t* out = slots(dst) + d * width;
    for (std::int64_t j0 = 0; j0 < n; j0 += width, out += depth * width) {
      for (int j = 0; j < width; j += 16) {
        const int lanes = width - j < 16 ? width - j : 16;
        const std::int64_t valid = n - j0 - j < lanes ? n - j0 - j : lanes;
        const __m512 e = load16(even + j0 + j, valid, scale);
        const __m512 o = has_odd ? load16(even + ld + j0 + j, valid, scale) : _mm512_setzero_ps();
        _mm512_mask_storeu_epi32(out + j, static_cast<__mmask16>((1u << lanes) - 1), pairs(e, o));
      }
    }
  }
}

// From a row-major rows x kc block (rows <= width; each row is contiguous in k):
// dst[k/2][r] = (alpha * src[r][k], alpha * src[r][k+1]), rows past `rows` zero.
// A row's 32 consecutive floats are 16 pairs in order (vcvtne2ps2bf16), which go
// down column r of the panel by a scatter.
void pack_transpose(const float* src, std::int64_t ld, std::int64_t rows, std::int64_t kc, int width, float alpha,
                    float* dst) {
  const std::int64_t depth = (kc + 1) / 2;
  const __m512 scale = _mm512_set1_ps(alpha);
  const __m512i down = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                          _mm512_set1_epi32(width));
  std::uint32_t* out = slots(dst);
  for (std::int64_t r = 0; r < width; ++r) {
    const float* row = src + r * ld;
    for (std::int64_t k = 0; k < 2 * depth; k += 32) {
      const std::int64_t valid = r < rows ? kc - k : 0;  // floats of this row left; none for a padding row
      const __m512 lo = load16(row + k, valid, scale), hi = load16(row + k + 16, valid - 16, scale);
      const __m512i pairs16 = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
      const std::int64_t count = depth - k / 2 < 16 ? depth - k / 2 : 16;
      _mm512_mask_i32scatter_epi32(out + (k / 2) * width + r, static_cast<__mmask16>((1u << count) - 1), down,
                                   pairs16, 4);
    }
  }
}

// Float panels [kc][width] (as the convolution's implicit packer writes them) to
// pair panels [kc/2][width], `panels` of them, one after the other.
void pair_panels(const float* src, std::int64_t kc, std::int64_t panels, int width, float* dst) {
  const std::int64_t depth = (kc + 1) / 2;
  for (std::int64_t p = 0; p < panels; ++p, src += kc * width, dst += depth * width) {
    for (std::int64_t d = 0; d < depth; ++d) {
      const float* even = src + 2 * d * width;
      std::uint32_t* out = slots(dst) + d * width;
      for (int j = 0; j < width; j += 16) {
        const __m512 e = _mm512_loadu_ps(even + j);
        const __m512 o = 2 * d + 1 < kc ? _mm512_loadu_ps(even + width + j) : _mm512_setzero_ps();
        _mm512_storeu_si512(out + j, pairs(e, o));
      }
    }
  }
}

}  // namespace

const GemmMicroKernel& gemm_micro_kernel_avx512_bf16() {
  static const GemmMicroKernel kernel{"avx512_bf16", kRows, 16 * kVectors, &multiply_tile<kRows, kVectors>,
                                      &pack_copy, &pack_transpose, /*bf16_pairs=*/true, &pair_panels};
  return kernel;
}

}  // namespace nanossl::cpu
