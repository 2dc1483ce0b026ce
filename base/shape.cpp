// Counting, printing and checking shapes.
#include "base/shape.h"

#include <sstream>

#include "base/error.h"

namespace nanossl {

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
    op_error(op, "dimension " + std::to_string(dim) + " is out of range for a tensor with " +
                     std::to_string(n) + " dimensions");
  }
  return static_cast<int>(dim < 0 ? dim + n : dim);
}

}  // namespace nanossl
