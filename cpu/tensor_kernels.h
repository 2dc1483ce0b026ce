// The CPU side of tensor/'s data operations: fill, y += alpha*x, scale, dtype
// conversion. Plain loops (the compiler vectorises them); parallel when large.
// The CUDA twins are in cuda/tensor_kernels.cu.
#pragma once
#include <cstdint>

namespace nanossl::cpu {

constexpr std::int64_t kParallelGrain = 1 << 15;  // below this, threads cost more than they save

template <class T>
void fill(T* data, std::int64_t n, T value) {
#pragma omp parallel for if (n > kParallelGrain)
  for (std::int64_t i = 0; i < n; ++i) data[i] = value;
}

template <class T>
void axpy(std::int64_t n, T alpha, const T* x, T* y) {  // y[i] += alpha * x[i]
#pragma omp parallel for if (n > kParallelGrain)
  for (std::int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

template <class T>
void scale(T* data, std::int64_t n, T factor) {
#pragma omp parallel for if (n > kParallelGrain)
  for (std::int64_t i = 0; i < n; ++i) data[i] *= factor;
}

template <class Src, class Dst>
void convert(const Src* src, Dst* dst, std::int64_t n) {
#pragma omp parallel for if (n > kParallelGrain)
  for (std::int64_t i = 0; i < n; ++i) dst[i] = static_cast<Dst>(src[i]);
}

}  // namespace nanossl::cpu
