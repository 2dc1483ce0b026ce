// Internal to the GEMM: the micro-kernel interface shared by gemm.cpp (driver,
// packing, generic kernel) and the per-ISA files gemm_avx512.cpp / gemm_avx2.cpp.
// Only declarations here: the ISA files are compiled with wider vector flags, so
// no inline code may be shared with baseline translation units.
//
// Packed layouts (MR, NR from the kernel; edges padded with zeros):
//   A block  (mc x kc) -> micro-panels of MR rows,    each k-major: a[k * MR + r]
//   B panel  (kc x nc) -> micro-panels of NR columns, each k-major: b[k * NR + j]
#pragma once
#include <cstdint>

namespace nanossl::cpu {

// c[MR x NR] (row stride ldc) = sum_k a[k, :]^T b[k, :] + beta * c.
// beta == 0: c is write-only. a and b are 64-byte aligned packed micro-panels.
using GemmMultiplyFn = void (*)(std::int64_t kc, const float* a, const float* b, float beta,
                                float* c, std::int64_t ldc);

// Packing routines, alpha folded in (1 for B), both writing panels of `width`
// (MR for A, NR for B), zero-padded to full width:
//  copy:      from a row-major kc x n block (op(A) from A stored K x M, op(B) from
//             B stored K x N): dst[j / width][k][j % width] = alpha * src[k * ld + j]
//  transpose: from a row-major rows x kc block (op(A) from A stored M x K, op(B)
//             from B stored N x K), rows <= width: dst[k][r] = alpha * src[r * ld + k]
using GemmPackFn = void (*)(const float* src, std::int64_t ld, std::int64_t rows_or_kc,
                            std::int64_t kc_or_n, int width, float alpha, float* dst);

// Float panels of `width` columns, kc deep (as GemmPackB writes them), `panels` of
// them, to the pair panels of a bf16 kernel (gemm_bf16.cpp).
using GemmPairFn = void (*)(const float* src, std::int64_t kc, std::int64_t panels, int width, float* dst);

struct GemmMicroKernel {
  const char* name;
  int mr;
  int nr;
  GemmMultiplyFn multiply;
  GemmPackFn pack_copy;       // (src, ld, kc, n, width, alpha, dst)
  GemmPackFn pack_transpose;  // (src, ld, rows, kc, width, alpha, dst)
  // bf16 kernels: packed panels hold bf16 pairs of consecutive k in each 4-byte
  // slot, so a micro-panel is ceil(kc / 2) slots deep (packed_depth), and the
  // convolution's float panels go through pair_panels.
  bool bf16_pairs = false;
  GemmPairFn pair_panels = nullptr;
};

// Slots per column (or row) of a packed micro-panel kc deep (gemm.cpp).
std::int64_t packed_depth(const GemmMicroKernel& kernel, std::int64_t kc);

// Defined in gemm_avx512.cpp and gemm_avx2.cpp: use only when the CPU has the ISA.
const GemmMicroKernel& gemm_micro_kernel_avx512();
const GemmMicroKernel& gemm_micro_kernel_avx2();
const GemmMicroKernel& gemm_micro_kernel_avx512_bf16();
// The portable packers (gemm.cpp) and the 8 x 8 AVX transposer (gemm_avx2.cpp).
void gemm_pack_copy_generic(const float* src, std::int64_t ld, std::int64_t kc, std::int64_t n,
                            int width, float alpha, float* dst);
void gemm_pack_transpose_generic(const float* src, std::int64_t ld, std::int64_t rows,
                                 std::int64_t kc, int width, float alpha, float* dst);
void gemm_pack_transpose_avx2(const float* src, std::int64_t ld, std::int64_t rows,
                              std::int64_t kc, int width, float alpha, float* dst);

}  // namespace nanossl::cpu
