// The GEMM engine of two op families, linalg (matmul, linear) and conv (im2col), like cuda/blas.
// Single-precision and double-precision GEMM, row-major:
//   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C
// op(A) = A (M x K, row stride lda) or A^T (A stored K x M). Same for B.
// gemm<float> runs our packed, cache-blocked kernel with an AVX-512 or AVX2
// micro-kernel picked from CPUID at run time, parallel over OpenMP threads (or
// single-threaded when called inside a parallel region). gemm<double> and
// gemm_reference are plain loops: double exists for gradient checks only.
// beta == 0 means C is write-only (its old contents, even NaN, are ignored).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace nanossl::cpu {

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
          const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc);

template <class T>
void gemm_reference(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                    T alpha, const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta,
                    T* C, std::int64_t ldc);

// C[M,N] = alpha * op(A)[M,K] * B[K,N] + beta * C for a B that is never stored:
// pack_b(k0, j0, kc, nc, nr, dst) writes the block B[k0 : k0+kc, j0 : j0+nc) as
// panels of nr columns, each k-major: dst[(j / nr) * kc * nr + k * nr + j % nr], the
// last panel zero-padded to nr columns. The convolution packs its panels straight
// from the input image, with no im2col matrix (cpu/conv.cpp). Float only.
using GemmPackB = std::function<void(std::int64_t k0, std::int64_t j0, std::int64_t kc,
                                     std::int64_t nc, int nr, float* dst)>;
void gemm_implicit_b(bool trans_a, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                     const float* A, std::int64_t lda, const GemmPackB& pack_b, float beta, float* C,
                     std::int64_t ldc);

// avx512_bf16: float operands rounded to bfloat16 as they are packed, products
// summed in float (cpu/gemm_bf16.cpp): twice the multiply rate, at bf16's 8-bit
// significand. Never chosen automatically: a run asks for it.
enum class GemmKernel { automatic, avx512, avx2, generic, avx512_bf16 };
// Which micro-kernel gemm<float> uses: "avx512", "avx2", "generic" or "avx512_bf16".
const char* gemm_kernel_name();
// Forces a micro-kernel (tests, benchmarks, bf16 runs); throws if the CPU lacks it.
void set_gemm_kernel(GemmKernel kernel);
// "automatic", "avx512", "avx2", "generic" or "avx512_bf16"; throws on another name.
GemmKernel gemm_kernel_named(const std::string& name);
bool cpu_has_avx512();
bool cpu_has_avx512_bf16();  // AVX-512 and AVX512_BF16 (Zen 4, Zen 5, Cooper Lake, Sapphire Rapids)
bool cpu_has_avx2_fma();

}  // namespace nanossl::cpu
