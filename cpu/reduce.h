// Reductions over one dimension on raw pointers, the reference for cuda/reduce.cu.
// A reduction over several dims is a sequence of these (autograd/ops/reduce.cpp).
//
// Dimensions: x is viewed as (outer, n, inner) and reduced over the middle n;
// out is (outer, inner). outer = product of the dims before, inner = product of
// the dims after the reduced one(s) (adjacent reduced dims fold into n).
#pragma once
#include <cstdint>

namespace nanossl::cpu {

// out[o,i] = sum_k x[o,k,i], accumulated in double (also for float) over blocks of
// fixed size whose partial sums combine in a fixed order: the result does not
// depend on the thread count. n == 0 gives 0.
template <class T>
void sum_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out);

// out[o,i] = max_k x[o,k,i]; NaN if any element is NaN. Requires n >= 1.
template <class T>
void max_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out);

// out[o,i] = the first k maximising x[o,k,i] (the first NaN, if any). Requires n >= 1.
template <class T>
void argmax_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x,
                std::int64_t* out);

}  // namespace nanossl::cpu
