// Row-major GEMM through cuBLAS (cuda/blas.h). cuBLAS is column-major, and a
// row-major M x N matrix with row stride ld is the column-major N x M matrix C^T
// with the same ld. So we ask cuBLAS for C^T = op(B)^T op(A)^T: operands swapped,
// M and N swapped, each operand keeping its own transpose flag. No data moves.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "cuda/blas.h"
#include "cuda/check.h"
#include "cuda/stream.h"

namespace nanossl::cuda {
namespace {

// TF32 is off unless the environment says NANOSSL_ALLOW_TF32=1 at start-up.
std::atomic<bool>& tf32_flag() {
  static std::atomic<bool> flag{[] {
    const char* value = std::getenv("NANOSSL_ALLOW_TF32");
    return value != nullptr && std::strcmp(value, "1") == 0;
  }()};
  return flag;
}

// cuBLAS takes 32-bit sizes; refuse larger ones with a message instead of truncating.
int to_int(const char* op, const char* what, std::int64_t value) {
  if (value < 0 || value > std::numeric_limits<int>::max()) {
    throw std::invalid_argument(std::string("[") + op + "] " + what + " = " +
                                std::to_string(value) + " is outside cuBLAS's 32-bit range");
  }
  return static_cast<int>(value);
}

cublasOperation_t op_of(bool transpose) { return transpose ? CUBLAS_OP_T : CUBLAS_OP_N; }

// A leading dimension of 0 only occurs with an empty operand; cuBLAS still wants >= 1.
int leading_dim(const char* op, const char* what, std::int64_t ld) {
  return to_int(op, what, ld < 1 ? 1 : ld);
}

// K == 0: op(A) op(B) is an M x N block of zeros, so C = beta * C (row-major,
// row stride ldc). Done here rather than trusting cuBLAS with k = 0, as PyTorch
// also does; beta == 0 writes zeros without reading C, so NaN there is dropped.
template <class T>
void scale_output(cublasHandle_t handle, int m, int n, T beta, T* C, int ldc) {
  if (beta == T(1)) return;
  if (beta == T(0)) {
    CUDA_CHECK(cudaMemset2DAsync(C, static_cast<std::size_t>(ldc) * sizeof(T), 0,
                                 static_cast<std::size_t>(n) * sizeof(T), m, stream()));
    return;
  }
  // In-place geam on the column-major n x m view: C = beta * C + 0 * C.
  const T zero = 0;
  if constexpr (std::is_same_v<T, float>) {
    CUBLAS_CHECK(cublasSgeam(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, &beta, C, ldc, &zero, C, ldc, C, ldc));
  } else {
    CUBLAS_CHECK(cublasDgeam(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, &beta, C, ldc, &zero, C, ldc, C, ldc));
  }
}

// The K == 0 case of both entry points, for `batch` outputs stride_c apart.
void scale_outputs(const char* op, DType dtype, int m, int n, double beta, void* C, int ldc,
                   std::int64_t stride_c, int batch) {
  cublasHandle_t handle = cublas_handle();
  dispatch_float(op, dtype, [&](auto zero) {
    using T = decltype(zero);
    for (int i = 0; i < batch; ++i) {
      scale_output(handle, m, n, static_cast<T>(beta), static_cast<T*>(C) + i * stride_c, ldc);
    }
  });
}

}  // namespace

void set_allow_tf32(bool allow) { tf32_flag().store(allow); }
bool allow_tf32() { return tf32_flag().load(); }

void gemm(DType dtype, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
          double alpha, const void* A, std::int64_t lda, const void* B, std::int64_t ldb,
          double beta, void* C, std::int64_t ldc) {
  const char* op = "cuda gemm";
  const int m = to_int(op, "M", M), n = to_int(op, "N", N), k = to_int(op, "K", K);
  const int a_ld = leading_dim(op, "lda", lda), b_ld = leading_dim(op, "ldb", ldb);
  const int c_ld = leading_dim(op, "ldc", ldc);
  if (m == 0 || n == 0) return;
  if (k == 0) return scale_outputs(op, dtype, m, n, beta, C, c_ld, 0, 1);
  cublasHandle_t handle = cublas_handle();
  // Column-major call: (op_b, op_a, N, M, K, B, ldb, A, lda, C, ldc).
  if (dtype == DType::f32) {
    const float a = static_cast<float>(alpha), b = static_cast<float>(beta);
    CUBLAS_CHECK(cublasSgemm(handle, op_of(trans_b), op_of(trans_a), n, m, k, &a,
                             static_cast<const float*>(B), b_ld, static_cast<const float*>(A), a_ld,
                             &b, static_cast<float*>(C), c_ld));
  } else if (dtype == DType::f64) {
    CUBLAS_CHECK(cublasDgemm(handle, op_of(trans_b), op_of(trans_a), n, m, k, &alpha,
                             static_cast<const double*>(B), b_ld, static_cast<const double*>(A),
                             a_ld, &beta, static_cast<double*>(C), c_ld));
  } else {
    throw std::invalid_argument(std::string("[cuda gemm] expects f32 or f64, got ") + dtype_name(dtype));
  }
}

void gemm_strided_batched(DType dtype, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N,
                          std::int64_t K, double alpha, const void* A, std::int64_t lda,
                          std::int64_t stride_a, const void* B, std::int64_t ldb,
                          std::int64_t stride_b, double beta, void* C, std::int64_t ldc,
                          std::int64_t stride_c, std::int64_t batch) {
  const char* op = "cuda gemm_strided_batched";
  const int m = to_int(op, "M", M), n = to_int(op, "N", N), k = to_int(op, "K", K);
  const int a_ld = leading_dim(op, "lda", lda), b_ld = leading_dim(op, "ldb", ldb);
  const int c_ld = leading_dim(op, "ldc", ldc);
  const int count = to_int(op, "batch", batch);
  if (m == 0 || n == 0 || count == 0) return;
  if (k == 0) return scale_outputs(op, dtype, m, n, beta, C, c_ld, stride_c, count);
  cublasHandle_t handle = cublas_handle();
  // Strides are in elements and 64-bit in cuBLAS; the operands swap like gemm's.
  const long long sa = stride_a, sb = stride_b, sc = stride_c;
  if (dtype == DType::f32) {
    const float a = static_cast<float>(alpha), b = static_cast<float>(beta);
    CUBLAS_CHECK(cublasSgemmStridedBatched(
        handle, op_of(trans_b), op_of(trans_a), n, m, k, &a, static_cast<const float*>(B), b_ld, sb,
        static_cast<const float*>(A), a_ld, sa, &b, static_cast<float*>(C), c_ld, sc, count));
  } else if (dtype == DType::f64) {
    CUBLAS_CHECK(cublasDgemmStridedBatched(
        handle, op_of(trans_b), op_of(trans_a), n, m, k, &alpha, static_cast<const double*>(B), b_ld,
        sb, static_cast<const double*>(A), a_ld, sa, &beta, static_cast<double*>(C), c_ld, sc, count));
  } else {
    throw std::invalid_argument(std::string("[cuda gemm_strided_batched] expects f32 or f64, got ") +
                                dtype_name(dtype));
  }
}

}  // namespace nanossl::cuda
