// Shared checks used by every op file in autograd/ops/ (the f32/f64 dispatch,
// dispatch_float, is in base/dtype.h).
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
// Throws unless `t` has 4 dimensions; `layout` names them in the message, "(N,C,H,W)".
void check_4d(const char* op, const Tensor& t, const char* what, const char* layout);
// "3x5": a spatial size (height x width) in messages of the conv and pooling ops.
inline std::string hw_str(std::int64_t h, std::int64_t w) {
  return std::to_string(h) + "x" + std::to_string(w);
}

// Raw pointers of optional tensors (bias, affine parameters): nullptr when undefined.
template <class T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}
inline void* data_ptr_or_null(const Tensor& t) { return t.defined() ? t.data_ptr() : nullptr; }

}  // namespace nanossl
