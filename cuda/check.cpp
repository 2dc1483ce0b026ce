// The error side of CUDA_CHECK / CUBLAS_CHECK (cuda/check.h): turns a failed call
// into std::runtime_error("[cuda] <call> failed: <description> (<name>) at <file>:<line>"),
// with the file shortened to its last two path parts (cuda/allocator.cpp).
#include "cuda/check.h"

#include <stdexcept>
#include <string>
#include <string_view>

namespace nanossl::cuda {
namespace {

// "/work/main/cuda/allocator.cpp" -> "cuda/allocator.cpp".
std::string short_path(const char* file) {
  std::string_view path(file ? file : "?");
  std::size_t last = path.rfind('/');
  if (last == std::string_view::npos || last == 0) return std::string(path);
  std::size_t before = path.rfind('/', last - 1);
  return std::string(before == std::string_view::npos ? path : path.substr(before + 1));
}

[[noreturn]] void throw_failure(const char* call, const std::string& description,
                                const std::string& name, const char* file, int line) {
  throw std::runtime_error("[cuda] " + std::string(call) + " failed: " + description + " (" + name +
                           ") at " + short_path(file) + ":" + std::to_string(line));
}

}  // namespace

void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line) {
  throw_failure(call, cudaGetErrorString(error), cudaGetErrorName(error), file, line);
}

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  throw_failure(call, cublasGetStatusString(status), cublasGetStatusName(status), file, line);
}

}  // namespace nanossl::cuda
