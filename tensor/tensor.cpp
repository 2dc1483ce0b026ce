// Tensor metadata, raw data access, views, and the autograd fields.
#include "tensor/tensor.h"

#include <sstream>
#include <stdexcept>

#include "cuda/runtime.h"

namespace nanossl {
namespace {

const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl, const char* what) {
  if (!impl) throw std::logic_error(std::string("[tensor] ") + what + " called on an undefined tensor");
  return *impl;
}

}  // namespace

const Shape& Tensor::shape() const { return checked(impl_, "shape()").shape; }
std::int64_t Tensor::numel() const { return shape_numel(shape()); }
DType Tensor::dtype() const { return checked(impl_, "dtype()").dtype; }
Device Tensor::device() const { return checked(impl_, "device()").storage->device(); }

std::int64_t Tensor::size(std::int64_t dim) const {
  return shape()[normalize_dim("size", dim, ndim())];
}

std::string Tensor::describe() const {
  if (!defined()) return "undefined";
  return std::string(dtype_name(dtype())) + "[" + shape_str(shape()) + "] " + device().str();
}

void* Tensor::data_ptr() const {
  const TensorImpl& impl = checked(impl_, "data_ptr()");
  return static_cast<char*>(impl.storage->data()) +
         static_cast<std::size_t>(impl.offset) * dtype_size(impl.dtype);
}

void Tensor::check_dtype(DType expected, const char* op) const {
  if (dtype() != expected) {
    throw std::invalid_argument(std::string("[") + op + "] expected " + dtype_name(expected) +
                                ", got " + describe());
  }
}

Tensor Tensor::view(const Shape& new_shape) const {
  Shape resolved = new_shape;
  std::int64_t known = 1;
  int inferred = -1;
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    if (resolved[i] == -1) {
      if (inferred >= 0) throw std::invalid_argument("[reshape] only one dimension may be -1, got " + shape_str(new_shape));
      inferred = static_cast<int>(i);
    } else if (resolved[i] < 0) {
      throw std::invalid_argument("[reshape] negative extent in " + shape_str(new_shape));
    } else {
      known *= resolved[i];
    }
  }
  if (inferred >= 0) {
    if (known == 0 || numel() % known != 0) {
      throw std::invalid_argument("[reshape] cannot reshape " + shape_str(shape()) + " into " +
                                  shape_str(new_shape));
    }
    resolved[inferred] = numel() / known;
  }
  if (shape_numel(resolved) != numel()) {
    throw std::invalid_argument("[reshape] cannot reshape " + shape_str(shape()) + " (" +
                                std::to_string(numel()) + " elements) into " + shape_str(new_shape));
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset;
  impl->shape = resolved;
  impl->dtype = impl_->dtype;
  return Tensor(impl);
}

Tensor Tensor::narrow0(std::int64_t start, std::int64_t end) const {
  if (ndim() == 0) throw std::invalid_argument("[slice] cannot slice a scalar tensor");
  const std::int64_t rows = shape()[0];
  if (start < 0 || end > rows || start > end) {
    throw std::invalid_argument("[slice] rows [" + std::to_string(start) + ", " + std::to_string(end) +
                                ") are out of range for " + shape_str(shape()));
  }
  const std::int64_t row_elems = rows == 0 ? 0 : numel() / rows;
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset + start * row_elems;
  impl->shape = shape();
  impl->shape[0] = end - start;
  impl->dtype = impl_->dtype;
  return Tensor(impl);
}

void Tensor::set_data(const Tensor& source) {
  checked(impl_, "set_data()");
  checked(source.impl_ptr(), "set_data() source");
  if (impl_->grad_fn) throw std::logic_error("[set_data] only leaf tensors can be repointed");
  impl_->storage = source.impl()->storage;
  impl_->offset = source.impl()->offset;
  impl_->shape = source.impl()->shape;
  impl_->dtype = source.impl()->dtype;
  impl_->grad.reset();
}

bool Tensor::requires_grad() const { return defined() && impl_->requires_grad; }

Tensor& Tensor::set_requires_grad(bool value) {
  checked(impl_, "set_requires_grad()");
  if (impl_->grad_fn) {
    throw std::logic_error("[set_requires_grad] only leaf tensors can change requires_grad; detach() first");
  }
  if (value && !is_floating(dtype())) {
    throw std::invalid_argument("[set_requires_grad] only floating tensors can require grad, got " + describe());
  }
  impl_->requires_grad = value;
  return *this;
}

Tensor Tensor::grad() const {
  checked(impl_, "grad()");
  return Tensor(impl_->grad);
}

void Tensor::set_grad(const Tensor& grad) {
  checked(impl_, "set_grad()");
  if (grad.defined() && grad.shape() != shape()) {
    throw std::invalid_argument("[set_grad] gradient " + shape_str(grad.shape()) +
                                " does not match tensor " + shape_str(shape()));
  }
  impl_->grad = grad.impl_ptr();
}

void Tensor::zero_grad() {
  if (impl_) impl_->grad.reset();
}

bool Tensor::is_leaf() const { return !defined() || impl_->grad_fn == nullptr; }

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  return checked(impl_, "grad_fn()").grad_fn;
}

Tensor Tensor::detach() const {
  checked(impl_, "detach()");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset;
  impl->shape = impl_->shape;
  impl->dtype = impl_->dtype;
  return Tensor(impl);
}

}  // namespace nanossl
