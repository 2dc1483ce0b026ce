// Elementwise kernels on the GPU (see cuda/elementwise.h). Each kernel cites the
// function of cpu/elementwise.cpp it mirrors; all are grid-stride loops over
// int64 indices on the stream of cuda/stream.h.
//
// Dimensions: n elements (same-shape ops); broadcast ops write plan.numel output
// elements, reading a and b at offsets given by the plan's strides.

#include "cuda/check.h"
#include "cuda/elementwise.h"
#include "cuda/grid.cuh"
#include "cuda/stream.h"

namespace nanossl::cuda {

namespace {

using cpu::BinaryOp;
using cpu::BroadcastPlan;
using cpu::UnaryOp;

// Math functions by element type (expf for float, exp for double, ...).
__device__ inline float dev_exp(float v) { return expf(v); }
__device__ inline double dev_exp(double v) { return exp(v); }
__device__ inline float dev_log(float v) { return logf(v); }
__device__ inline double dev_log(double v) { return log(v); }
__device__ inline float dev_sqrt(float v) { return sqrtf(v); }
__device__ inline double dev_sqrt(double v) { return sqrt(v); }
__device__ inline float dev_pow(float v, float e) { return powf(v, e); }
__device__ inline double dev_pow(double v, double e) { return pow(v, e); }

// ---- binary ops (cpu::binary_forward's lambdas) ----
struct AddF { template <class T> __device__ T operator()(T x, T y) const { return x + y; } };
struct SubF { template <class T> __device__ T operator()(T x, T y) const { return x - y; } };
struct MulF { template <class T> __device__ T operator()(T x, T y) const { return x * y; } };
struct DivF { template <class T> __device__ T operator()(T x, T y) const { return x / y; } };
struct EqF { template <class T> __device__ T operator()(T x, T y) const { return x == y ? T(1) : T(0); } };

// Mirrors cpu::binary_forward on a one-dim plan (same shapes, or one scalar
// operand): a_step and b_step are 1 or 0.
template <class T, class F>
__global__ void binary_flat_kernel(std::int64_t n, const T* a, std::int64_t a_step, const T* b,
                                   std::int64_t b_step, T* out, F f) {
  for (std::int64_t i : grid_stride(n)) out[i] = f(a[i * a_step], b[i * b_step]);
}

// Mirrors cpu::binary_forward on any plan: each output index is decomposed over
// the plan dims (innermost first) into offsets of a and b.
template <class T, class F>
__global__ void binary_plan_kernel(BroadcastPlan plan, const T* a, const T* b, T* out, F f) {
  for (std::int64_t i : grid_stride(plan.numel)) {
    std::int64_t rest = i, ao = 0, bo = 0;
#pragma unroll
    for (int d = cpu::kMaxBroadcastDims - 1; d >= 0; --d) {
      if (d < plan.ndim) {
        const std::int64_t index = rest % plan.shape[d];
        rest /= plan.shape[d];
        ao += index * plan.a_stride[d];
        bo += index * plan.b_stride[d];
      }
    }
    out[i] = f(a[ao], b[bo]);
  }
}

template <class T, class F>
void launch_binary(const BroadcastPlan& plan, const void* a, const void* b, void* out, F f) {
  const T* pa = static_cast<const T*>(a);
  const T* pb = static_cast<const T*>(b);
  T* po = static_cast<T*>(out);
  if (plan.ndim == 1) {
    binary_flat_kernel<T><<<grid_for(plan.numel), kBlockSize, 0, stream()>>>(
        plan.numel, pa, plan.a_stride[0], pb, plan.b_stride[0], po, f);
  } else {
    binary_plan_kernel<T><<<grid_for(plan.numel), kBlockSize, 0, stream()>>>(plan, pa, pb, po, f);
  }
  CUDA_CHECK_LAUNCH();
}

template <class T>
void binary_typed(BinaryOp op, const BroadcastPlan& plan, const void* a, const void* b, void* out) {
  switch (op) {
    case BinaryOp::add: return launch_binary<T>(plan, a, b, out, AddF{});
    case BinaryOp::sub: return launch_binary<T>(plan, a, b, out, SubF{});
    case BinaryOp::mul: return launch_binary<T>(plan, a, b, out, MulF{});
    case BinaryOp::div: return launch_binary<T>(plan, a, b, out, DivF{});
    case BinaryOp::eq: return launch_binary<T>(plan, a, b, out, EqF{});
  }
}

// Mirrors cpu::expand_forward: out[i] = x[offset of i under plan.a_stride].
template <class T>
__global__ void expand_kernel(BroadcastPlan plan, const T* x, T* out) {
  for (std::int64_t i : grid_stride(plan.numel)) {
    std::int64_t rest = i, xo = 0;
#pragma unroll
    for (int d = cpu::kMaxBroadcastDims - 1; d >= 0; --d) {
      if (d < plan.ndim) {
        xo += (rest % plan.shape[d]) * plan.a_stride[d];
        rest /= plan.shape[d];
      }
    }
    out[i] = x[xo];
  }
}

// ---- unary ops (cpu::unary_forward's lambdas) ----
template <class T> struct NegF { T s; __device__ T operator()(T v) const { return -v; } };
template <class T> struct ExpF { T s; __device__ T operator()(T v) const { return dev_exp(v); } };
template <class T> struct LogF { T s; __device__ T operator()(T v) const { return dev_log(v); } };
template <class T> struct SqrtF { T s; __device__ T operator()(T v) const { return dev_sqrt(v); } };
template <class T> struct ReluF { T s; __device__ T operator()(T v) const { return v < T(0) ? T(0) : v; } };
template <class T> struct SquareF { T s; __device__ T operator()(T v) const { return v * v; } };
template <class T> struct PowF { T s; __device__ T operator()(T v) const { return dev_pow(v, s); } };
template <class T> struct AddScalarF { T s; __device__ T operator()(T v) const { return v + s; } };
template <class T> struct MulScalarF { T s; __device__ T operator()(T v) const { return v * s; } };

// Mirrors cpu::unary_forward (its map helper).
template <class T, class F>
__global__ void map_kernel(std::int64_t n, const T* x, T* out, F f) {
  for (std::int64_t i : grid_stride(n)) out[i] = f(x[i]);
}

template <class T, class F>
void launch_map(std::int64_t n, const void* x, void* out, F f) {
  map_kernel<T><<<grid_for(n), kBlockSize, 0, stream()>>>(n, static_cast<const T*>(x),
                                                          static_cast<T*>(out), f);
  CUDA_CHECK_LAUNCH();
}

template <class T>
void unary_typed(UnaryOp op, std::int64_t n, const void* x, void* out, T s) {
  switch (op) {
    case UnaryOp::neg: return launch_map<T>(n, x, out, NegF<T>{s});
    case UnaryOp::exp: return launch_map<T>(n, x, out, ExpF<T>{s});
    case UnaryOp::log: return launch_map<T>(n, x, out, LogF<T>{s});
    case UnaryOp::sqrt: return launch_map<T>(n, x, out, SqrtF<T>{s});
    case UnaryOp::relu: return launch_map<T>(n, x, out, ReluF<T>{s});
    case UnaryOp::pow:
      if (s == T(2)) return launch_map<T>(n, x, out, SquareF<T>{s});
      return launch_map<T>(n, x, out, PowF<T>{s});
    case UnaryOp::add_scalar: return launch_map<T>(n, x, out, AddScalarF<T>{s});
    case UnaryOp::mul_scalar: return launch_map<T>(n, x, out, MulScalarF<T>{s});
  }
}

// Mirrors cpu::relu_backward.
template <class T>
__global__ void relu_backward_kernel(std::int64_t n, const T* grad_out, const T* out, T* dx) {
  for (std::int64_t i : grid_stride(n)) dx[i] = out[i] > T(0) ? grad_out[i] : T(0);
}

// Mirrors cpu::pow_backward (exponent != 0; the host writes zeros for 0).
template <class T>
__global__ void pow_backward_kernel(std::int64_t n, const T* grad_out, const T* x, T exponent, T* dx) {
  const T e1 = exponent - T(1);
  for (std::int64_t i : grid_stride(n)) {
    dx[i] = grad_out[i] * exponent * dev_pow(x[i], e1);
  }
}

template <class T>
void relu_backward_typed(std::int64_t n, const void* grad_out, const void* out, void* dx) {
  relu_backward_kernel<T><<<grid_for(n), kBlockSize, 0, stream()>>>(
      n, static_cast<const T*>(grad_out), static_cast<const T*>(out), static_cast<T*>(dx));
  CUDA_CHECK_LAUNCH();
}

template <class T>
void pow_backward_typed(std::int64_t n, const void* grad_out, const void* x, T exponent, void* dx) {
  if (exponent == T(0)) {
    CUDA_CHECK(cudaMemsetAsync(dx, 0, static_cast<std::size_t>(n) * sizeof(T), stream()));
    return;
  }
  pow_backward_kernel<T><<<grid_for(n), kBlockSize, 0, stream()>>>(
      n, static_cast<const T*>(grad_out), static_cast<const T*>(x), exponent, static_cast<T*>(dx));
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void binary_forward(DType dtype, BinaryOp op, const BroadcastPlan& plan, const void* a,
                    const void* b, void* out) {
  if (plan.numel == 0) return;
  dispatch_float("binary_forward", dtype,
                 [&](auto zero) { binary_typed<decltype(zero)>(op, plan, a, b, out); });
}

void expand_forward(DType dtype, const BroadcastPlan& plan, const void* x, void* out) {
  if (plan.numel == 0) return;
  dispatch_float("expand_forward", dtype, [&](auto zero) {
    using T = decltype(zero);
    expand_kernel<T><<<grid_for(plan.numel), kBlockSize, 0, stream()>>>(
        plan, static_cast<const T*>(x), static_cast<T*>(out));
    CUDA_CHECK_LAUNCH();
  });
}

void unary_forward(DType dtype, UnaryOp op, std::int64_t n, const void* x, void* out, double scalar) {
  if (n == 0) return;
  dispatch_float("unary_forward", dtype, [&](auto zero) {
    using T = decltype(zero);
    unary_typed<T>(op, n, x, out, static_cast<T>(scalar));
  });
}

void relu_backward(DType dtype, std::int64_t n, const void* grad_out, const void* out, void* dx) {
  if (n == 0) return;
  dispatch_float("relu_backward", dtype,
                 [&](auto zero) { relu_backward_typed<decltype(zero)>(n, grad_out, out, dx); });
}

void pow_backward(DType dtype, std::int64_t n, const void* grad_out, const void* x, double exponent,
                  void* dx) {
  if (n == 0) return;
  dispatch_float("pow_backward", dtype, [&](auto zero) {
    using T = decltype(zero);
    pow_backward_typed<T>(n, grad_out, x, static_cast<T>(exponent), dx);
  });
}

}  // namespace nanossl::cuda
