// Creating tensors, moving them between devices and dtypes, and the in-place data
// updates used by optimizers (fill_, add_, mul_, copy_). None of this is recorded
// by autograd.
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "cpu/tensor_kernels.h"
#include "cuda/runtime.h"
#include "tensor/tensor.h"

namespace nanossl {
namespace {

void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) {
    throw std::invalid_argument(std::string("[") + op + "] shapes differ: " + shape_str(a.shape()) +
                                " and " + shape_str(b.shape()));
  }
}

template <class T>
Tensor from_host(const T* data, const Shape& shape, Device device) {
  for (std::int64_t extent : shape) {
    if (extent < 0) throw std::invalid_argument("[from_data] negative extent in " + shape_str(shape));
  }
  Tensor out = Tensor::empty(shape, dtype_of<T>(), device);
  const std::size_t bytes = out.nbytes();
  if (bytes == 0) return out;
  if (device.is_cpu()) {
    std::memcpy(out.data_ptr(), data, bytes);
  } else {
    cuda::copy_host_to_device(out.data_ptr(), data, bytes);
  }
  return out;
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (std::int64_t extent : shape) {
    if (extent < 0) throw std::invalid_argument("[empty] negative extent in " + shape_str(shape));
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype), device);
  return Tensor(impl);
}

Tensor Tensor::empty_pinned(const Shape& shape, DType dtype) {
  if (!cuda::available()) return empty(shape, dtype);
  for (std::int64_t extent : shape) {
    if (extent < 0) throw std::invalid_argument("[empty_pinned] negative extent in " + shape_str(shape));
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype),
                                            Device::cpu(), /*pinned=*/true);
  return Tensor(impl);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor out = empty(shape, dtype, device);
  out.fill_(value);
  return out;
}

Tensor Tensor::scalar(double value, DType dtype, Device device) { return full({}, value, dtype, device); }

Tensor Tensor::arange(double start, double end, double step, DType dtype, Device device) {
  if (step == 0.0 || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step)) {
    throw std::invalid_argument("[arange] needs finite bounds and a non-zero step");
  }
  const double count = std::ceil((end - start) / step);
  const std::int64_t n = count > 0 ? static_cast<std::int64_t>(count) : 0;
  Tensor host = empty({n}, dtype, Device::cpu());
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* data = host.data<T>();
    for (std::int64_t i = 0; i < n; ++i) data[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return device.is_cpu() ? host : host.to(device);
}

Tensor Tensor::from_data(const float* data, const Shape& shape, Device device) { return from_host(data, shape, device); }
Tensor Tensor::from_data(const double* data, const Shape& shape, Device device) { return from_host(data, shape, device); }
Tensor Tensor::from_data(const std::int64_t* data, const Shape& shape, Device device) { return from_host(data, shape, device); }
Tensor Tensor::from_data(const std::uint8_t* data, const Shape& shape, Device device) { return from_host(data, shape, device); }

template <class T>
std::vector<T> Tensor::to_vector() const {
  check_dtype(dtype_of<T>(), "to_vector");
  std::vector<T> values(static_cast<std::size_t>(numel()));
  if (values.empty()) return values;
  if (device().is_cpu()) {
    std::memcpy(values.data(), data_ptr(), nbytes());
  } else {
    cuda::copy_device_to_host(values.data(), data_ptr(), nbytes());
  }
  return values;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
template std::vector<std::uint8_t> Tensor::to_vector<std::uint8_t>() const;

double Tensor::item() const {
  if (numel() != 1) {
    throw std::invalid_argument("[item] needs a one-element tensor, got " + describe());
  }
  return dispatch_dtype(dtype(), [&](auto zero) -> double {
    using T = decltype(zero);
    return static_cast<double>(to_vector<T>()[0]);
  });
}

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  Tensor out = empty(shape(), dtype(), target);
  out.copy_(*this);
  return out;
}

Tensor Tensor::to(DType target) const {
  if (dtype() == target) return *this;
  Tensor out = empty(shape(), target, device());
  out.copy_(*this);
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  out.copy_(*this);
  return out;
}

Tensor Tensor::pin_memory() const {
  if (!device().is_cpu()) throw std::invalid_argument("[pin_memory] needs a CPU tensor, got " + describe());
  if (is_pinned()) return *this;
  Tensor out = empty_pinned(shape(), dtype());
  out.copy_(*this);
  return out;
}

bool Tensor::is_pinned() const { return impl() && impl()->storage->pinned(); }

Tensor& Tensor::copy_(const Tensor& src) {
  check_same_shape("copy_", *this, src);
  if (numel() == 0) return *this;
  const Device dst_device = device(), src_device = src.device();
  if (src.dtype() != dtype()) {
    // Convert on the source's device, then move the bytes.
    Tensor converted = empty(src.shape(), dtype(), src_device);
    if (src_device.is_cpu()) {
      dispatch_dtype(src.dtype(), [&](auto s) {
        dispatch_dtype(dtype(), [&](auto d) {
          cpu::convert(src.data<decltype(s)>(), converted.data<decltype(d)>(), numel());
        });
      });
    } else {
      cuda::convert(src.dtype(), src.data_ptr(), dtype(), converted.data_ptr(), numel());
    }
    return copy_(converted);
  }
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    if (data_ptr() != src.data_ptr()) std::memcpy(data_ptr(), src.data_ptr(), nbytes());
  } else if (dst_device.is_cpu()) {
    cuda::copy_device_to_host(data_ptr(), src.data_ptr(), nbytes());
  } else if (src_device.is_cpu()) {
    cuda::copy_host_to_device(data_ptr(), src.data_ptr(), nbytes());
  } else {
    cuda::copy_device_to_device(data_ptr(), src.data_ptr(), nbytes());
  }
  return *this;
}

Tensor& Tensor::fill_(double value) {
  if (numel() == 0) return *this;
  if (device().is_cpu()) {
    dispatch_dtype(dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::fill(data<T>(), numel(), static_cast<T>(value));
    });
  } else {
    cuda::fill(dtype(), data_ptr(), numel(), value);
  }
  return *this;
}

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  check_same_shape("add_", *this, other);
  if (other.dtype() != dtype() || !(other.device() == device())) {
    throw std::invalid_argument("[add_] expected " + describe() + ", got " + other.describe());
  }
  if (!is_floating(dtype())) throw std::invalid_argument("[add_] needs a floating tensor, got " + describe());
  if (numel() == 0) return *this;
  if (device().is_cpu()) {
    if (dtype() == DType::f32) cpu::axpy(numel(), static_cast<float>(alpha), other.data<float>(), data<float>());
    else cpu::axpy(numel(), alpha, other.data<double>(), data<double>());
  } else {
    cuda::axpy(dtype(), numel(), alpha, other.data_ptr(), data_ptr());
  }
  return *this;
}

Tensor& Tensor::mul_(double factor) {
  if (!is_floating(dtype())) throw std::invalid_argument("[mul_] needs a floating tensor, got " + describe());
  if (numel() == 0) return *this;
  if (device().is_cpu()) {
    if (dtype() == DType::f32) cpu::scale(data<float>(), numel(), static_cast<float>(factor));
    else cpu::scale(data<double>(), numel(), factor);
  } else {
    cuda::scale(dtype(), data_ptr(), numel(), factor);
  }
  return *this;
}

}  // namespace nanossl
