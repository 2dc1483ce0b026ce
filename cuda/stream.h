// The one CUDA stream and cuBLAS handle every kernel and GEMM runs on. CUDA-only
// header: include it from .cu files and CUDA-side .cpp files, never from op files.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace nanossl::cuda {

cudaStream_t stream();
cublasHandle_t cublas_handle();  // bound to stream(); math mode follows allow_tf32()

}  // namespace nanossl::cuda
