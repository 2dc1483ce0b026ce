// Element types a Tensor can hold, and the C++ type each one maps to.
// f32/f64 carry values (f64 exists so gradient checks run in double); i64 holds
// class labels and indices; u8 holds raw image bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"

namespace nanossl {

enum class DType : std::uint8_t { f32, f64, i64, u8 };

std::size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);
inline bool is_floating(DType dtype) { return dtype == DType::f32 || dtype == DType::f64; }

// dtype_of<float>() == DType::f32, used by templated kernels and Tensor::data<T>().
template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::u8; }

// Calls f(T{}) with the C++ type of `dtype`, for code that only moves or converts
// elements and so works for every dtype (copies, permutes, printing).
template <class F>
decltype(auto) dispatch_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::i64: return f(std::int64_t{});
    case DType::u8: return f(std::uint8_t{});
  }
  op_error("dtype", "unknown dtype");
}

// Calls f(float{}) or f(double{}) by dtype, so one templated lambda covers both;
// throws "[op] expects f32 or f64" otherwise. Every op and kernel entry point
// with floating-point math dispatches through this, CPU and CUDA alike.
template <class F>
decltype(auto) dispatch_float(const char* op, DType dtype, F&& f) {
  switch (dtype) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    default: op_error(op, std::string("expects f32 or f64, got ") + dtype_name(dtype));
  }
}

}  // namespace nanossl
