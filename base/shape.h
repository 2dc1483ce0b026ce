// Shapes are plain vectors of extents; helpers to count, print and check them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nanossl {

using Shape = std::vector<std::int64_t>;

std::int64_t shape_numel(const Shape& shape);
// "64x1568"; "scalar" for an empty shape.
std::string shape_str(const Shape& shape);
// Normalises a possibly negative dimension index against `ndim`; throws naming `op`.
int normalize_dim(const char* op, std::int64_t dim, std::size_t ndim);

}  // namespace nanossl
