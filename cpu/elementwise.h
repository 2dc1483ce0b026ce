// Elementwise kernels on raw pointers: binary ops with broadcasting (driven by a
// BroadcastPlan), unary math and scalar ops, and the backward kernels that are not
// simple compositions of forward ops. The reference for cuda/elementwise.cu.
//
// Dimensions: n elements for same-shape ops; for broadcast ops, a and b are
// contiguous inputs of their own shapes and out has plan.numel elements in the
// broadcast shape (see cpu/broadcast.h). All arrays are contiguous.
#pragma once
#include <cstdint>

#include "cpu/broadcast.h"

namespace nanossl::cpu {

// out = a op b. `eq` writes 1 where a == b and 0 elsewhere (not differentiable;
// the tie mask of max's backward).
enum class BinaryOp { add, sub, mul, div, eq };

// out = f(x), with `scalar` the s of add_scalar/mul_scalar and the exponent of pow.
enum class UnaryOp { neg, exp, log, sqrt, relu, pow, add_scalar, mul_scalar };

// out[i] = a[ia] op b[ib] over the plan's output, ia/ib from the plan's strides.
template <class T>
void binary_forward(BinaryOp op, const BroadcastPlan& plan, const T* a, const T* b, T* out);

// out[i] = x[ix] over the plan's output, ix from plan.a_stride (b_stride unused):
// x broadcast (expanded) to a larger shape.
template <class T>
void expand_forward(const BroadcastPlan& plan, const T* x, T* out);

// out[i] = f(x[i]) for i < n.
template <class T>
void unary_forward(UnaryOp op, std::int64_t n, const T* x, T* out, T scalar);

// dx[i] = out[i] > 0 ? grad_out[i] : 0, from relu's output (0 at the kink).
template <class T>
void relu_backward(std::int64_t n, const T* grad_out, const T* out, T* dx);

// dx[i] = grad_out[i] * exponent * x[i]^(exponent-1); exactly 0 when exponent == 0.
template <class T>
void pow_backward(std::int64_t n, const T* grad_out, const T* x, T exponent, T* dx);

}  // namespace nanossl::cpu
