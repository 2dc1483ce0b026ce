// Reading and writing safetensors files: the header is built and parsed with
// nlohmann/json; a load checks the whole layout before it allocates anything, and
// one reader serves a file (pread) and bytes in memory (parse_safetensors, fuzzed);
// a save goes through base/file_write.h (atomic: tmp file, fsync, rename; a failed
// write names the file and errno's text).
#include "nn/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "base/file_write.h"

namespace nanossl::nn {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data; nanossl writes its tensors' bytes as they are");

namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the limit the reference implementation uses
const char* const kWho = "[safetensors] ";

std::runtime_error file_error(const std::string& path, const std::string& what) {
  return std::runtime_error(kWho + path + ": " + what);
}

std::string errno_text() { return std::strerror(errno); }

// Our headers nest three levels ({name: {"shape": [...]}}). Deeper JSON is refused
// while it is parsed: nlohmann's dump(), copy and comparison recurse once per level,
// so a header of a few hundred KB of '[' would otherwise overflow the stack.
constexpr int kMaxHeaderDepth = 16;

nlohmann::json::parser_callback_t limit_depth(const std::string& path) {
  return [path](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxHeaderDepth) {
      throw file_error(path, "JSON header nested deeper than " + std::to_string(kMaxHeaderDepth) + " levels");
    }
    return true;
  };
}

// A header value as quoted in an error message, cut to 100 characters.
std::string shown(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > 100) text = text.substr(0, 97) + "...";
  return text;
}

// Closes a descriptor on every path out of a function.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

void read_all_at(int fd, void* data, std::size_t bytes, std::uint64_t offset, const std::string& path) {
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::pread(fd, p, std::min<std::size_t>(bytes, 1u << 30), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw file_error(path, "read failed: " + errno_text());
    if (n == 0) throw file_error(path, "file ended while reading (changed during the load?)");
    p += n;
    bytes -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

bool parse_dtype(const std::string& name, DType& dtype) {
  if (name == "F32") dtype = DType::f32;
  else if (name == "F64") dtype = DType::f64;
  else if (name == "I64") dtype = DType::i64;
  else if (name == "U8") dtype = DType::u8;
  else return false;
  return true;
}

// One tensor's header entry, validated on its own.
struct Entry {
  std::string name;
  DType dtype = DType::f32;
  Shape shape;
  std::uint64_t begin = 0, end = 0;
};

Entry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& info) {
  const std::string where = "tensor '" + name + "'";
  if (!info.is_object()) throw file_error(path, where + " is not a JSON object");
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!info.contains(key)) throw file_error(path, where + " has no \"" + key + "\"");
  }
  Entry e;
  e.name = name;
  const nlohmann::json& dtype = info["dtype"];
  if (!dtype.is_string()) throw file_error(path, where + ": \"dtype\" is not a string");
  if (!parse_dtype(dtype.get<std::string>(), e.dtype)) {
    throw file_error(path, where + " has unsupported dtype '" + dtype.get<std::string>() +
                               "' (nanossl reads F32, F64, I64, U8)");
  }
  const nlohmann::json& shape = info["shape"];
  if (!shape.is_array()) throw file_error(path, where + ": \"shape\" is not an array");
  std::uint64_t numel = 1;  // product of the non-zero extents, checked for overflow
  bool has_zero = false;
  for (const nlohmann::json& extent : shape) {
    if (!extent.is_number_unsigned()) {
      throw file_error(path, where + ": shape entry " + shown(extent) + " is not a non-negative integer");
    }
    const std::uint64_t n = extent.get<std::uint64_t>();
    if (n > static_cast<std::uint64_t>(INT64_MAX)) throw file_error(path, where + ": absurd extent " + shown(extent));
    if (n == 0) has_zero = true;
    else if (__builtin_mul_overflow(numel, n, &numel) || numel > (UINT64_MAX >> 4)) {
      throw file_error(path, where + ": absurd shape " + shown(shape));
    }
    e.shape.push_back(static_cast<std::int64_t>(n));
  }
  if (has_zero) numel = 0;
  const nlohmann::json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    throw file_error(path, where + ": \"data_offsets\" " + shown(offsets) +
                               " is not a pair of non-negative integers");
  }
  e.begin = offsets[0].get<std::uint64_t>();
  e.end = offsets[1].get<std::uint64_t>();
  const std::uint64_t needed = numel * dtype_size(e.dtype);
  if (e.end < e.begin || e.end - e.begin != needed) {
    throw file_error(path, where + ": shape " + shape_str(e.shape) + " of " + dtype.get<std::string>() +
                               " needs " + std::to_string(needed) + " bytes but data_offsets " +
                               shown(offsets) + " do not span that");
  }
  return e;
}

// Byte ranges must tile [0, data_bytes) exactly: no overlap, no hole, nothing past the end.
void check_layout(const std::string& path, std::vector<Entry>& entries, std::uint64_t data_bytes) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : (a.end != b.end ? a.end < b.end : a.name < b.name);
  });
  std::uint64_t expected = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < expected) {
      throw file_error(path, "tensor '" + e.name + "' data_offsets [" + std::to_string(e.begin) + ", " +
                                 std::to_string(e.end) + "] overlap tensor '" + previous->name + "' (ends at " +
                                 std::to_string(expected) + ")");
    }
    if (e.begin > expected) {
      throw file_error(path, "hole in the data: bytes [" + std::to_string(expected) + ", " +
                                 std::to_string(e.begin) + ") belong to no tensor (before '" + e.name + "')");
    }
    expected = e.end;
    previous = &e;
  }
  if (data_bytes != expected) {
    throw file_error(path, "data section is " + std::to_string(data_bytes) + " bytes but the tensors end at byte " +
                               std::to_string(expected) + (data_bytes < expected ? " (truncated file?)" : ""));
  }
}

}  // namespace

const char* safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::i64: return "I64";
    case DType::u8: return "U8";
  }
  throw std::invalid_argument("[safetensors] unknown dtype");
}

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Host copies and the header, in sorted-name order (the map's order).
  std::vector<Tensor> host;
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") throw file_error(path, "'__metadata__' cannot name a tensor");
    if (name.empty()) throw file_error(path, "a tensor has an empty name");
    if (!tensor.defined()) throw file_error(path, "tensor '" + name + "' is undefined");
    host.push_back(tensor.device().is_cpu() ? tensor : tensor.to(Device::cpu()));
    const std::uint64_t bytes = tensor.nbytes();
    header[name] = {{"dtype", safetensors_dtype_name(tensor.dtype())},
                    {"shape", tensor.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    throw file_error(path, std::string("cannot encode the header (names and metadata must be UTF-8): ") + e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string head(8, '\0');  // the little-endian header length, then the header
  for (int i = 0; i < 8; ++i) head[i] = static_cast<char>(static_cast<std::uint64_t>(text.size()) >> (8 * i));
  head += text;

  AtomicFile file(path, "[safetensors]");
  file.write(head);
  for (const Tensor& t : host) {
    if (t.nbytes() > 0) file.write(t.data_ptr(), t.nbytes());
  }
  file.commit();
}

namespace {

// Reads `bytes` bytes at `offset` of the file into `data`; throws on failure.
using ReadAt = std::function<void(void* data, std::size_t bytes, std::uint64_t offset)>;

// The one reader behind load_safetensors and parse_safetensors: validates the
// header length, the JSON and the whole layout against `file_bytes` before it
// allocates any tensor, then reads each tensor's bytes with `read_at`.
std::map<std::string, Tensor> read_safetensors(const std::string& path, std::uint64_t file_bytes, const ReadAt& read_at,
                                               std::map<std::string, std::string>* metadata) {
  if (file_bytes < 8) {
    throw file_error(path, "file is " + std::to_string(file_bytes) + " bytes, shorter than the 8-byte header length");
  }
  unsigned char length_bytes[8];
  read_at(length_bytes, 8, 0);
  std::uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | length_bytes[i];
  if (header_bytes > kMaxHeaderBytes) {
    throw file_error(path, "absurd header length " + std::to_string(header_bytes) + " (limit " +
                               std::to_string(kMaxHeaderBytes) + ")");
  }
  if (8 + header_bytes > file_bytes) {
    throw file_error(path, "header length " + std::to_string(header_bytes) + " goes beyond the file (" +
                               std::to_string(file_bytes) + " bytes; truncated?)");
  }
  std::string text(header_bytes, '\0');
  read_at(text.data(), header_bytes, 8);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, limit_depth(path));
  } catch (const nlohmann::json::exception& e) {
    throw file_error(path, std::string("invalid JSON header: ") + e.what());
  }
  if (!header.is_object()) throw file_error(path, "the JSON header is not an object");

  std::vector<Entry> entries;
  std::map<std::string, std::string> meta;
  for (const auto& [name, info] : header.items()) {
    if (name != "__metadata__") {
      entries.push_back(parse_entry(path, name, info));
      continue;
    }
    if (!info.is_object()) throw file_error(path, "\"__metadata__\" is not a JSON object");
    for (const auto& [key, value] : info.items()) {
      if (!value.is_string()) throw file_error(path, "metadata \"" + key + "\" is not a string: " + shown(value));
      meta[key] = value.get<std::string>();
    }
  }
  const std::uint64_t data_start = 8 + header_bytes;
  check_layout(path, entries, file_bytes - data_start);

  std::map<std::string, Tensor> tensors;
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    if (t.nbytes() > 0) read_at(t.data_ptr(), t.nbytes(), data_start + e.begin);
    tensors.emplace(e.name, std::move(t));
  }
  if (metadata != nullptr) *metadata = std::move(meta);
  return tensors;
}

}  // namespace

std::map<std::string, Tensor> load_safetensors(const std::string& path,
                                               std::map<std::string, std::string>* metadata) {
  FileDescriptor f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) throw file_error(path, "cannot open: " + errno_text());
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw file_error(path, "cannot stat: " + errno_text());
  if (!S_ISREG(st.st_mode)) throw file_error(path, "not a regular file");
  const ReadAt read_at = [&](void* data, std::size_t bytes, std::uint64_t offset) {
    read_all_at(f.fd, data, bytes, offset, path);
  };
  return read_safetensors(path, static_cast<std::uint64_t>(st.st_size), read_at, metadata);
}

std::map<std::string, Tensor> parse_safetensors(const void* data, std::size_t size, const std::string& name,
                                                std::map<std::string, std::string>* metadata) {
  const ReadAt read_at = [&](void* out, std::size_t bytes, std::uint64_t offset) {
    // read_safetensors only asks for ranges it has checked against `size`; this is a second guard.
    if (offset > size || bytes > size - offset) throw file_error(name, "read beyond the end of the buffer");
    if (bytes > 0) std::memcpy(out, static_cast<const char*>(data) + offset, bytes);
  };
  return read_safetensors(name, size, read_at, metadata);
}

}  // namespace nanossl::nn
