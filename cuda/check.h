// CUDA_CHECK / CUBLAS_CHECK: every CUDA runtime and cuBLAS call is wrapped, and
// every kernel launch is followed by CUDA_CHECK_LAUNCH(). A failure throws
// std::runtime_error naming the call, the error, the file and the line.
// Included only by files compiled with the CUDA toolkit.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace nanossl::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line);

}  // namespace nanossl::cuda

#define CUDA_CHECK(call)                                                                \
  do {                                                                                  \
    cudaError_t nanossl_err_ = (call);                                                  \
    if (nanossl_err_ != cudaSuccess)                                                    \
      ::nanossl::cuda::throw_cuda_error(nanossl_err_, #call, __FILE__, __LINE__);       \
  } while (0)

#define CUBLAS_CHECK(call)                                                              \
  do {                                                                                  \
    cublasStatus_t nanossl_st_ = (call);                                                \
    if (nanossl_st_ != CUBLAS_STATUS_SUCCESS)                                           \
      ::nanossl::cuda::throw_cublas_error(nanossl_st_, #call, __FILE__, __LINE__);      \
  } while (0)

#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())
