// Small helpers of tensor/: dtype names and sizes, device parsing, shape utilities.
#include <sstream>
#include <stdexcept>

#include "tensor/device.h"
#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace nanossl {

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i64: return 8;
    case DType::u8: return 1;
  }
  throw std::invalid_argument("[dtype] unknown dtype");
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::i64: return "i64";
    case DType::u8: return "u8";
  }
  return "unknown";
}

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.rfind("cuda:", 0) == 0) {
    std::size_t used = 0;
    int index = -1;
    try {
      index = std::stoi(text.substr(5), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used > 0 && used == text.size() - 5 && index >= 0) return cuda(index);
  }
  throw std::invalid_argument("[device] cannot parse '" + text + "': expected cpu, cuda or cuda:N");
}

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

std::int64_t shape_numel(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t extent : shape) n *= extent;
  return n;
}

std::string shape_str(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::ostringstream out;
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? "x" : "") << shape[i];
  return out.str();
}

int normalize_dim(const char* op, std::int64_t dim, std::size_t ndim) {
  const auto n = static_cast<std::int64_t>(ndim);
  if (dim < -n || dim >= n) {
    throw std::invalid_argument(std::string("[") + op + "] dimension " + std::to_string(dim) +
                                " is out of range for a tensor with " + std::to_string(n) +
                                " dimensions");
  }
  return static_cast<int>(dim < 0 ? dim + n : dim);
}

}  // namespace nanossl
