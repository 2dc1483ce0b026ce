// conv2d on the GPU: the CPU lowering of cpu/conv.cpp (im2col into a (C*R*S,
// B*P*Q) matrix, one cuBLAS GEMM per chunk, reorders) with CUDA kernels for im2col,
// col2im, the reorders and the bias gradient. Plain C++ so op files can include it;
// pointers are device memory of `dtype` (f32 or f64), sizes as in cpu/conv.h.
#pragma once
#include "base/dtype.h"
#include "cpu/conv.h"

namespace nanossl::cuda {

// out (N,K,P,Q) = conv(x (N,C,H,W), weight (K,C,R,S)) + bias (K); bias may be null.
void conv2d_forward(DType dtype, const void* x, const void* weight, const void* bias, void* out,
                    const Conv2dGeometry& g);

// Gradients given dout (N,K,P,Q); each of dx, dweight, dbias may be null (not
// needed) and is overwritten otherwise.
void conv2d_backward(DType dtype, const void* x, const void* weight, const void* dout, void* dx,
                     void* dweight, void* dbias, const Conv2dGeometry& g);

}  // namespace nanossl::cuda
