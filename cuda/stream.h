// The one CUDA stream and cuBLAS handle every kernel and GEMM runs on. CUDA-only
// header: include it from .cu files and CUDA-side .cpp files, never from op files.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace nanossl::cuda {

cudaStream_t stream();
cublasHandle_t cublas_handle();  // bound to stream(); math mode follows allow_tf32()

// Threads per block and a grid size for a grid-stride loop over n elements.
constexpr int kBlockSize = 256;
inline unsigned grid_for(long long n) {
  long long blocks = (n + kBlockSize - 1) / kBlockSize;
  if (blocks < 1) blocks = 1;
  return static_cast<unsigned>(blocks > 65535LL * 32 ? 65535LL * 32 : blocks);
}

}  // namespace nanossl::cuda
