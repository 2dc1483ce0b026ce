// Matrix products, on top of cpu/gemm and cuBLAS.
#pragma once
#include "tensor/tensor.h"

namespace nanossl {

// (M,K)@(K,N) -> (M,N); (B,M,K)@(B,K,N) -> (B,M,N); (B,M,K)@(K,N) -> (B,M,N).
Tensor matmul(const Tensor& a, const Tensor& b);
// x (N,in) · weight(out,in)^T + bias(out); bias may be undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace nanossl
