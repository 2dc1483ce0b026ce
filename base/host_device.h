// NANOSSL_HOST_DEVICE marks a small inline function that both the CPU kernels and
// the CUDA kernels call (Philox, pooling windows): __host__ __device__ under nvcc,
// nothing for the C++ compiler.
#pragma once

#if defined(__CUDACC__)
#define NANOSSL_HOST_DEVICE __host__ __device__
#else
#define NANOSSL_HOST_DEVICE
#endif
