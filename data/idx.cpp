// IDX parsing: header checks (magic, type code, dimensions), the payload length
// against the header, and gzip inflation bounded by the size the header declares,
// so neither a lying header nor a gzip bomb can make it allocate without limit.
#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

#include "data/codec.h"

namespace nanossl::data {

namespace {

constexpr std::uint8_t kTypeU8 = 0x08;
constexpr int kMaxDims = 4;

std::runtime_error idx_error(const std::string& source, const std::string& what) {
  return std::runtime_error("[idx] " + source + ": " + what);
}

std::uint32_t big_endian32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::string hex32(std::uint32_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 0xf];
  return s;
}

// The header's dimensions, checked; the header is 4 + 4 * dims.size() bytes.
std::vector<std::int64_t> parse_header(const std::uint8_t* bytes, std::size_t size, const std::string& source,
                                       int expected_dims) {
  if (size < 4) throw idx_error(source, "truncated: " + std::to_string(size) + " bytes is shorter than the 4-byte magic");
  const std::uint32_t magic = big_endian32(bytes);
  if (bytes[0] != 0 || bytes[1] != 0) {
    throw idx_error(source, "wrong magic " + hex32(magic) + " (an IDX file starts with two zero bytes, e.g. 0x00000803)");
  }
  if (bytes[2] != kTypeU8) {
    throw idx_error(source, "unsupported type code 0x" + hex32(bytes[2]).substr(8) + " in magic " + hex32(magic) +
                                " (only 0x08, unsigned bytes, is supported)");
  }
  const int ndims = bytes[3];
  if (ndims < 1 || ndims > kMaxDims) {
    throw idx_error(source, "absurd dimension count " + std::to_string(ndims) + " in magic " + hex32(magic));
  }
  if (expected_dims != 0 && ndims != expected_dims) {
    throw idx_error(source, "wrong magic " + hex32(magic) + ": expected " + std::to_string(expected_dims) +
                                " dimensions (magic " + hex32(0x800u + static_cast<std::uint32_t>(expected_dims)) +
                                "), found " + std::to_string(ndims));
  }
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndims);
  if (size < header) {
    throw idx_error(source, "truncated: " + std::to_string(size) + " bytes is shorter than the " +
                                std::to_string(header) + "-byte header");
  }
  std::vector<std::int64_t> dims;
  std::int64_t total = 1;
  for (int d = 0; d < ndims; ++d) {
    const std::int64_t n = big_endian32(bytes + 4 + 4 * d);
    if (n == 0) throw idx_error(source, "absurd dimensions: dimension " + std::to_string(d) + " is 0");
    total *= n;  // at most (2^32)^4 would overflow, so check after each step
    if (total > kMaxIdxBytes) {
      throw idx_error(source, "absurd dimensions: the header declares more than " + std::to_string(kMaxIdxBytes) +
                                  " bytes of data");
    }
    dims.push_back(n);
  }
  return dims;
}

std::int64_t product(const std::vector<std::int64_t>& dims) {
  std::int64_t total = 1;
  for (std::int64_t d : dims) total *= d;
  return total;
}

std::string dims_str(const std::vector<std::int64_t>& dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

IdxArray parse_plain(const std::uint8_t* bytes, std::size_t size, const std::string& source, int expected_dims,
                     bool keep = true) {
  IdxArray array;
  array.dims = parse_header(bytes, size, source, expected_dims);
  const std::size_t header = 4 + 4 * array.dims.size();
  const auto payload = static_cast<std::size_t>(product(array.dims));
  if (size - header != payload) {
    throw idx_error(source, std::string(size - header < payload ? "truncated" : "trailing bytes") + ": the header (" +
                                dims_str(array.dims) + ") declares " + std::to_string(payload) +
                                " bytes of data, the file holds " + std::to_string(size - header));
  }
  if (keep) array.data.assign(bytes + header, bytes + size);
  return array;
}

// Inflates a gzip stream: first the header, then exactly the payload it declares
// (growing the buffer only as data arrives), then checks that the stream ends.
// With `keep` false the payload passes through a 1 MiB window and only its length
// is checked, so a file can be validated in memory independent of its size.
IdxArray parse_gzip(const std::uint8_t* bytes, std::size_t size, const std::string& source, int expected_dims,
                    bool keep = true) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw idx_error(source, "cannot start zlib");
  struct Ender {
    z_stream* zs;
    ~Ender() { inflateEnd(zs); }
  } ender{&zs};
  zs.next_in = const_cast<Bytef*>(bytes);
  std::size_t input_left = size;
  bool ended = false;

  // Inflates into out[filled, limit); returns the new fill level.
  auto inflate_into = [&](std::vector<std::uint8_t>& out, std::size_t filled, std::size_t limit) {
    while (filled < limit && !ended) {
      const std::size_t chunk = std::min<std::size_t>(limit - filled, std::size_t{1} << 24);
      if (out.size() < filled + chunk) out.resize(filled + chunk);
      zs.next_out = out.data() + filled;
      zs.avail_out = static_cast<uInt>(chunk);
      if (zs.avail_in == 0 && input_left > 0) {
        zs.avail_in = static_cast<uInt>(std::min<std::size_t>(input_left, 1u << 30));
        input_left -= zs.avail_in;
      }
      const int status = inflate(&zs, Z_NO_FLUSH);
      filled += chunk - zs.avail_out;
      if (status == Z_STREAM_END) {
        ended = true;
      } else if (status == Z_BUF_ERROR && zs.avail_in == 0 && input_left == 0) {
        throw idx_error(source, "truncated gzip stream after " + std::to_string(zs.total_out) + " inflated bytes");
      } else if (status != Z_OK && status != Z_BUF_ERROR) {
        throw idx_error(source, std::string("corrupt gzip stream: ") + (zs.msg ? zs.msg : "zlib error " + std::to_string(status)));
      }
    }
    out.resize(filled);
    return filled;
  };

  std::vector<std::uint8_t> head;
  std::size_t got = inflate_into(head, 0, 4);
  if (got == 4 && head[3] >= 1 && head[3] <= kMaxDims) got = inflate_into(head, got, 4 + 4 * std::size_t{head[3]});
  IdxArray array;
  array.dims = parse_header(head.data(), head.size(), source + " (inflated)", expected_dims);
  const auto payload = static_cast<std::size_t>(product(array.dims));
  std::size_t have = 0;
  if (keep) {
    have = inflate_into(array.data, 0, payload);
  } else {
    std::vector<std::uint8_t> window;
    while (have < payload && !ended) have += inflate_into(window, 0, std::min<std::size_t>(payload - have, 1u << 20));
  }
  if (have < payload) {
    throw idx_error(source, "truncated: the header (" + dims_str(array.dims) + ") declares " + std::to_string(payload) +
                                " bytes of data, the gzip stream holds " + std::to_string(have));
  }
  if (!ended) {
    std::vector<std::uint8_t> extra;
    if (inflate_into(extra, 0, 1) > 0) {
      throw idx_error(source, "trailing bytes: the gzip stream holds more than the " + std::to_string(payload) +
                                  " bytes of data the header (" + dims_str(array.dims) + ") declares");
    }
  }
  if (!ended) throw idx_error(source, "truncated gzip stream: no end marker");
  return array;
}

}  // namespace

IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& source, int expected_dims) {
  if (size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) return parse_gzip(bytes, size, source, expected_dims);
  return parse_plain(bytes, size, source, expected_dims);
}

std::vector<std::int64_t> check_idx(const std::uint8_t* bytes, std::size_t size, const std::string& source) {
  if (size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) return parse_gzip(bytes, size, source, 0, false).dims;
  return parse_plain(bytes, size, source, 0, false).dims;
}

IdxArray read_idx(const std::string& path, int expected_dims) {
  const std::vector<std::uint8_t> bytes = read_file(path);
  return parse_idx(bytes.data(), bytes.size(), path, expected_dims);
}

std::vector<std::uint8_t> encode_idx(const IdxArray& array) {
  if (array.dims.empty() || array.dims.size() > static_cast<std::size_t>(kMaxDims) ||
      static_cast<std::size_t>(product(array.dims)) != array.data.size()) {
    throw std::invalid_argument("[idx] cannot encode " + std::to_string(array.data.size()) + " bytes as dimensions (" +
                                dims_str(array.dims) + ")");
  }
  std::vector<std::uint8_t> out = {0, 0, kTypeU8, static_cast<std::uint8_t>(array.dims.size())};
  for (std::int64_t d : array.dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(d >> shift));
  }
  out.insert(out.end(), array.data.begin(), array.data.end());
  return out;
}

}  // namespace nanossl::data
