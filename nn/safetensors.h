// The safetensors file format (https://github.com/huggingface/safetensors): an
// 8-byte little-endian header length, a JSON header naming each tensor's dtype,
// shape and byte range, then the raw data. Written atomically; every load is validated.
#pragma once
#include <cstddef>
#include <map>
#include <string>

#include "tensor/tensor.h"

namespace nanossl::nn {

// Writes `tensors` (CUDA ones are copied to the host) and string `metadata` to
// `path`: the data in sorted-name order, contiguous, the header padded with
// spaces to a multiple of 8. Atomic (base/file_write.h): the bytes go to
// "PATH.tmp-XXXXXX", which is fsynced and renamed over `path`, and then the
// directory is fsynced, so `path` holds either the old file or the complete new
// one. A failed write throws WriteError naming the file and the system's reason.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads every tensor of `path` into CPU tensors, and the "__metadata__" entries into
// `*metadata` when given. Throws std::runtime_error naming the file and the problem
// for a truncated file, an absurd header length, invalid JSON, an unsupported dtype,
// a shape that disagrees with its byte range, overlapping or gapped byte ranges, or
// a data section whose size is not the end of the last range, or JSON nested deeper
// than 16 levels.
std::map<std::string, Tensor> load_safetensors(const std::string& path,
                                               std::map<std::string, std::string>* metadata = nullptr);

// The same reader over a file's bytes held in memory (`size` bytes at `data`), with
// the same checks and messages, `name` standing for the path; load_safetensors is
// this with the bytes read from the file as needed. Used by the fuzz target.
std::map<std::string, Tensor> parse_safetensors(const void* data, std::size_t size, const std::string& name,
                                                std::map<std::string, std::string>* metadata = nullptr);

// The safetensors name of a dtype ("F32", "F64", "I64", "U8").
const char* safetensors_dtype_name(DType dtype);

}  // namespace nanossl::nn
