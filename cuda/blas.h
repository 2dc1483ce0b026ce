// Row-major GEMM on the GPU through cuBLAS, mirroring cpu/gemm.h:
//   C[M,N] = alpha * op(A) * op(B) + beta * C   (row-major; leading dims are row strides)
// cuBLAS is column-major, so we compute C^T = op(B)^T op(A)^T by swapping operands.
// TF32 tensor cores are off by default (exact fp32 parity with the CPU); allow them
// with set_allow_tf32(true).
#pragma once
#include <cstdint>

#include "base/dtype.h"

namespace nanossl::cuda {

void gemm(DType dtype, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
          double alpha, const void* A, std::int64_t lda, const void* B, std::int64_t ldb,
          double beta, void* C, std::int64_t ldc);
// `batch` independent GEMMs; operand i starts at base + i * stride (elements);
// a stride of 0 reuses one operand for every batch entry.
void gemm_strided_batched(DType dtype, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N,
                          std::int64_t K, double alpha, const void* A, std::int64_t lda,
                          std::int64_t stride_a, const void* B, std::int64_t ldb,
                          std::int64_t stride_b, double beta, void* C, std::int64_t ldc,
                          std::int64_t stride_c, std::int64_t batch);
void set_allow_tf32(bool allow);
bool allow_tf32();

}  // namespace nanossl::cuda
