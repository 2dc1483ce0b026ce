// The AVX2 GEMM micro-kernel (float): a 6 x 16 tile of C in 12 ymm registers.
// Per k it loads two vectors of the packed B micro-panel, broadcasts six values
// of the packed A micro-panel and issues 12 FMAs (the classic Haswell shape:
// 12 accumulators + 2 B vectors + 1 broadcast fit the 16 ymm registers).
// Also the transposing packer (8 x 8 AVX transposes) that the AVX-512 kernel
// shares. Built with -mavx2 -mfma; used only when CPUID reports AVX2 and FMA.
// No std:: templates here (see gemm_avx512.cpp).
#include <immintrin.h>

#include "cpu/gemm_kernel.h"

namespace nanossl::cpu {

namespace {

constexpr int kRows = 6;
constexpr int kVectors = 2;

void multiply_tile(std::int64_t kc, const float* a, const float* b, float beta, float* c,
                   std::int64_t ldc) {
  __m256 acc[kRows][kVectors];
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
    acc[r][0] = _mm256_setzero_ps();
    acc[r][1] = _mm256_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
  }
  for (std::int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
    a += kRows;
    b += 8 * kVectors;
  }
  if (beta == 0.0f) {
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) {
      _mm256_storeu_ps(c + r * ldc, acc[r][0]);
      _mm256_storeu_ps(c + r * ldc + 8, acc[r][1]);
    }
  } else {
    const __m256 vbeta = _mm256_set1_ps(beta);
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) {
      float* p = c + r * ldc;
      _mm256_storeu_ps(p, _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(p), acc[r][0]));
      _mm256_storeu_ps(p + 8, _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(p + 8), acc[r][1]));
    }
  }
}

// v[0..7] = rows of an 8 x 8 block -> v[c] = its column c.
void transpose_8x8(__m256 v[8]) {
  __m256 t[8], s[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    s[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
    v[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
  }
}

// Copy packing: whole panels of 8-multiple width move as ymm vectors, the rest
// (the ragged last panel, or A's 6-wide panels) element by element.
void pack_copy(const float* src, std::int64_t ld, std::int64_t kc, std::int64_t n, int width,
               float alpha, float* dst) {
  const __m256 scale = _mm256_set1_ps(alpha);
  for (std::int64_t k = 0; k < kc; ++k) {
    const float* row = src + k * ld;
    float* out = dst + k * width;
    for (std::int64_t j0 = 0; j0 < n; j0 += width, out += kc * width) {
      if (width % 8 == 0 && j0 + width <= n) {
        for (int j = 0; j < width; j += 8)
          _mm256_storeu_ps(out + j, _mm256_mul_ps(scale, _mm256_loadu_ps(row + j0 + j)));
        continue;
      }
      const int valid = n - j0 < width ? static_cast<int>(n - j0) : width;
      for (int j = 0; j < valid; ++j) out[j] = alpha * row[j0 + j];
      for (int j = valid; j < width; ++j) out[j] = 0.0f;
    }
  }
}

}  // namespace

void gemm_pack_transpose_avx2(const float* src, std::int64_t ld, std::int64_t rows,
                               std::int64_t kc, int width, float alpha, float* dst) {
  const __m256 scale = _mm256_set1_ps(alpha);
  std::int64_t r0 = 0;
  for (; r0 + 8 <= rows; r0 += 8) {  // 8 source rows -> 8 packed columns at a time
    const float* s = src + r0 * ld;
    std::int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
      __m256 v[8];
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) v[i] = _mm256_loadu_ps(s + i * ld + k);
      transpose_8x8(v);
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + (k + i) * width + r0, _mm256_mul_ps(scale, v[i]));
    }
    for (; k < kc; ++k)
      for (int i = 0; i < 8; ++i) dst[k * width + r0 + i] = alpha * s[i * ld + k];
  }
  for (std::int64_t r = r0; r < rows; ++r)
    for (std::int64_t k = 0; k < kc; ++k) dst[k * width + r] = alpha * src[r * ld + k];
  for (std::int64_t r = rows; r < width; ++r)
    for (std::int64_t k = 0; k < kc; ++k) dst[k * width + r] = 0.0f;
}

const GemmMicroKernel& gemm_micro_kernel_avx2() {
  static const GemmMicroKernel kernel{"avx2", kRows, 8 * kVectors, &multiply_tile, &pack_copy,
                                      &gemm_pack_transpose_avx2};
  return kernel;
}

}  // namespace nanossl::cpu
