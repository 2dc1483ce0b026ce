// Shared checks and type dispatch used by every op file in autograd/ops/.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "base/error.h"
#include "tensor/tensor.h"

namespace nanossl {

// Throws unless `t` is defined and a floating tensor (f32/f64).
void check_float(const char* op, const Tensor& t, const char* what = "input");
// Throws unless all defined tensors share device and dtype with the first.
void check_same(const char* op, std::initializer_list<const Tensor*> tensors);

// Raw pointers of optional tensors (bias, affine parameters): nullptr when undefined.
template <class T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}
inline void* data_ptr_or_null(const Tensor& t) { return t.defined() ? t.data_ptr() : nullptr; }

// Calls f(float{}) or f(double{}) by dtype, so one templated lambda covers both.
template <class F>
decltype(auto) dispatch_float(const char* op, DType dtype, F&& f) {
  switch (dtype) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    default: op_error(op, std::string("expects f32 or f64, got ") + dtype_name(dtype));
  }
}

}  // namespace nanossl
