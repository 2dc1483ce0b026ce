// Elementwise kernels on the GPU, the same operations and semantics as
// cpu/elementwise.h (the reference each kernel cites). Plain C++: pointers are
// device pointers of `dtype` (f32 or f64), dispatched inside cuda/elementwise.cu;
// kernels run on the stream of cuda/stream.h.
#pragma once
#include <cstdint>

#include "base/dtype.h"
#include "cpu/broadcast.h"
#include "cpu/elementwise.h"

namespace nanossl::cuda {

// out = a op b over the broadcast plan (cpu::binary_forward).
void binary_forward(DType dtype, cpu::BinaryOp op, const cpu::BroadcastPlan& plan, const void* a,
                    const void* b, void* out);
// out = x expanded over the plan, x indexed by plan.a_stride (cpu::expand_forward).
void expand_forward(DType dtype, const cpu::BroadcastPlan& plan, const void* x, void* out);
// out[i] = f(x[i]) (cpu::unary_forward).
void unary_forward(DType dtype, cpu::UnaryOp op, std::int64_t n, const void* x, void* out,
                   double scalar);
// dx = out > 0 ? grad_out : 0 (cpu::relu_backward).
void relu_backward(DType dtype, std::int64_t n, const void* grad_out, const void* out, void* dx);
// dx = grad_out * exponent * x^(exponent-1), 0 for exponent 0 (cpu::pow_backward).
void pow_backward(DType dtype, std::int64_t n, const void* grad_out, const void* x,
                  double exponent, void* dx);

}  // namespace nanossl::cuda
