// Tensor: a handle to shape + dtype + device + a window into refcounted storage,
// plus the autograd fields (requires_grad, grad, grad_fn). Copying a Tensor copies
// the handle, not the data. Every tensor is contiguous row-major (NCHW for images):
// ops return fresh contiguous tensors, reshape and dim-0 slices are views.
// Differentiable operations are free functions in autograd/ops/ (add, matmul, ...);
// this class only knows data, not math.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/shape.h"
#include "tensor/device.h"
#include "tensor/storage.h"

namespace nanossl {

// The graph node that produced a tensor. tensor/ only stores, copies and null-tests
// the pointer, so a declaration is enough: autograd/node.h defines it, and the
// shared_ptr made there carries its deleter. tensor/ includes nothing of autograd/.
namespace autograd { class Node; }

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  std::int64_t offset = 0;  // in elements, into storage
  Shape shape;
  DType dtype = DType::f32;
  // autograd
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;             // accumulated gradient (leaf tensors)
  std::shared_ptr<autograd::Node> grad_fn;      // the op that produced this tensor, if tracked
};

class Tensor {
 public:
  Tensor() = default;  // undefined tensor (e.g. "no bias")
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation (see tensor/creation.cpp, tensor/random.cpp) ----
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  // A CPU tensor in page-locked memory when a GPU is present (see pin_memory), so a
  // loader can build batches straight into memory that copies to the GPU asynchronously.
  static Tensor empty_pinned(const Shape& shape, DType dtype = DType::f32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32,
                     Device device = Device::cpu());
  static Tensor scalar(double value, DType dtype = DType::f32, Device device = Device::cpu());
  // [start, start+step, ...) up to end (exclusive), like numpy.arange.
  static Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::f32,
                       Device device = Device::cpu());
  // Copies `count` elements of host data; numel(shape) must equal the count.
  static Tensor from_data(const float* data, const Shape& shape, Device device = Device::cpu());
  static Tensor from_data(const double* data, const Shape& shape, Device device = Device::cpu());
  static Tensor from_data(const std::int64_t* data, const Shape& shape, Device device = Device::cpu());
  static Tensor from_data(const std::uint8_t* data, const Shape& shape, Device device = Device::cpu());
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape,
                            Device device = Device::cpu()) {
    return from_data(values.data(), shape, device);
  }
  // Uniform [0,1) and standard normal draws from the global Philox generator
  // (tensor/random.h); identical values on CPU and CUDA for the same seed and offset.
  static Tensor rand(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor randn(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  std::int64_t size(std::int64_t dim) const;  // negative dims count from the end
  std::size_t ndim() const { return shape().size(); }
  std::int64_t numel() const;
  DType dtype() const;
  Device device() const;
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype()); }
  // "f32[64x3x32x32] cpu", used in error messages.
  std::string describe() const;

  // ---- raw data ----
  void* data_ptr() const;
  // Typed pointer; throws if T does not match dtype().
  template <class T> T* data() const {
    check_dtype(dtype_of<T>(), "data<T>()");
    return static_cast<T*>(data_ptr());
  }
  // Copies to host memory (as the tensor's own dtype) / reads a one-element tensor.
  template <class T> std::vector<T> to_vector() const;
  double item() const;

  // ---- copies and moves (not differentiable: results are fresh leaves) ----
  Tensor to(Device device) const;
  Tensor to(DType dtype) const;
  Tensor clone() const;
  // A CPU copy in page-locked memory, whose copy to a GPU (to(Device::cuda()))
  // runs asynchronously on the stream; the source must then stay unchanged until
  // the stream has consumed it. Without a GPU this is an ordinary CPU copy.
  Tensor pin_memory() const;
  bool is_pinned() const;
  // In-place data updates, for optimizers and initialisers; never recorded by autograd.
  Tensor& copy_(const Tensor& src);  // same shape; any device/dtype pair
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }
  Tensor& add_(const Tensor& other, double alpha = 1.0);  // this += alpha * other (same shape)
  Tensor& mul_(double factor);
  // Makes this tensor (every handle to it) refer to `source`'s data, shape, dtype
  // and device, keeping its autograd flags and dropping its gradient: how a
  // module moves its parameters to another device in place.
  void set_data(const Tensor& source);

  // ---- views ----
  // Same storage, new shape with equal numel; one -1 entry is inferred. Not
  // differentiable; the differentiable version is nanossl::reshape (autograd/ops/shape.h).
  Tensor view(const Shape& shape) const;
  // Rows [start, end) along dim 0, sharing storage. Not differentiable (see nanossl::slice).
  Tensor narrow0(std::int64_t start, std::int64_t end) const;

  // ---- autograd fields ----
  bool requires_grad() const;
  Tensor& set_requires_grad(bool value = true);  // leaf tensors only
  Tensor grad() const;                           // undefined until a backward reaches it
  void set_grad(const Tensor& grad);
  void zero_grad();                              // drops the gradient (set to none)
  bool is_leaf() const;
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  // A tensor sharing this one's storage but cut from the graph.
  Tensor detach() const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& other) const { return impl_ == other.impl_; }

  void check_dtype(DType expected, const char* op) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Prints dtype, shape, device and values (elided past a few per row), like PyTorch.
std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::string to_string(const Tensor& t);

}  // namespace nanossl
