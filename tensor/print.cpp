// Printing: "tensor(f32[2x3] cpu) [[1, 2, 3], [4, 5, 6]]", eliding long rows
// and many rows as PyTorch does, so a large tensor prints in a few lines.
#include <iomanip>
#include <ostream>
#include <sstream>

#include "tensor/tensor.h"

namespace nanossl {
namespace {

constexpr std::int64_t kEdge = 3;  // items shown at each end of an elided dimension

void print_level(std::ostream& os, const std::vector<double>& values, const Shape& shape,
                 std::size_t dim, std::int64_t offset, bool integral) {
  if (shape.empty()) {
    os << values[0];
    return;
  }
  std::int64_t stride = 1;
  for (std::size_t d = dim + 1; d < shape.size(); ++d) stride *= shape[d];
  const std::int64_t extent = shape[dim];
  os << "[";
  for (std::int64_t i = 0; i < extent; ++i) {
    if (extent > 2 * kEdge && i == kEdge) {
      os << "..., ";
      i = extent - kEdge - 1;
      continue;
    }
    if (dim + 1 == shape.size()) {
      if (integral) os << static_cast<long long>(values[offset + i]);
      else os << values[offset + i];
    } else {
      print_level(os, values, shape, dim + 1, offset + i * stride, integral);
    }
    if (i + 1 < extent) os << (dim + 1 == shape.size() ? ", " : ",\n ");
  }
  os << "]";
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  os << "tensor(" << t.describe() << (t.requires_grad() ? ", requires_grad" : "") << ") ";
  const Tensor host = t.to(Device::cpu()).to(DType::f64);
  const std::vector<double> values = host.to_vector<double>();
  if (values.empty()) return os << "[]";
  std::ostringstream body;
  body << std::setprecision(6);
  print_level(body, values, t.shape(), 0, 0, !is_floating(t.dtype()));
  return os << body.str();
}

std::string to_string(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

}  // namespace nanossl
