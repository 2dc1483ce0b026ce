// The IDX format of MNIST and Fashion-MNIST: a big-endian header (two zero bytes,
// a type code, a dimension count, then one u32 per dimension) followed by the
// data. Files may be gzipped. Only unsigned bytes (type 0x08) are supported.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nanossl::data {

// Largest payload (product of the dimensions) accepted: 2 GiB of bytes.
constexpr std::int64_t kMaxIdxBytes = 2LL * 1024 * 1024 * 1024;

struct IdxArray {
  std::vector<std::int64_t> dims;  // (N) for labels, (N, rows, cols) for images
  std::vector<std::uint8_t> data;  // product(dims) bytes, row-major
};

// Parses IDX bytes, gzipped (1f 8b) or plain. `expected_dims` (1 or 3; 0 = any)
// is the dimension count the caller needs. Every error names `source`.
IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& source, int expected_dims = 0);
// The dimensions of IDX bytes after every check parse_idx makes, without keeping
// the data: a gzipped file is inflated through a small window (`data inspect`).
std::vector<std::int64_t> check_idx(const std::uint8_t* bytes, std::size_t size, const std::string& source);
// read_file + parse_idx.
IdxArray read_idx(const std::string& path, int expected_dims = 0);
// Writes a plain (uncompressed) u8 IDX file; for tests and exports.
std::vector<std::uint8_t> encode_idx(const IdxArray& array);

}  // namespace nanossl::data
