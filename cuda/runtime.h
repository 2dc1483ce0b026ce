// The CUDA runtime as the rest of nanossl sees it: device discovery, a caching
// device allocator, one stream, copies, and tensor-level fills. Plain C++ (no CUDA
// types), so CPU-only files can include it; in a build without CUDA every function
// here is a stub in cuda/no_cuda.cpp that throws "built without CUDA" (available()
// returns false).
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/dtype.h"

namespace nanossl::cuda {

bool built_with_cuda();
// True if the build has CUDA and a driver reports at least one device.
bool available();
int device_count();
// Throws a clear error ("no CUDA device ...") unless device `index` exists.
void require_device(int index);
void set_device(int index);

// Caching allocator: freed blocks are kept per size class and reused, so a
// training loop does not call cudaMalloc/cudaFree in steady state.
void* device_malloc(std::size_t bytes);
void device_free(void* ptr);
std::size_t bytes_in_use();
std::size_t peak_bytes_in_use();
void reset_peak_bytes();
void empty_cache();  // returns cached blocks to the driver
// Tests: fill every block handed out with 0xFF bytes (NaN for floats), so a
// kernel that leaves output elements unwritten is caught by a parity check.
void set_debug_poison(bool enabled);

// Page-locked host buffers for fast, async host->device batch copies.
void* pinned_malloc(std::size_t bytes);
void pinned_free(void* ptr);

// All kernels and copies run on one stream; copies to the host synchronise it.
void copy_host_to_device(void* dst, const void* src, std::size_t bytes);
void copy_device_to_host(void* dst, const void* src, std::size_t bytes);
void copy_device_to_device(void* dst, const void* src, std::size_t bytes);
void synchronize();

// Tensor-level helpers used by tensor/ (fill_, add_, mul_, dtype conversion, rand).
void fill(DType dtype, void* data, std::int64_t n, double value);
void axpy(DType dtype, std::int64_t n, double alpha, const void* x, void* y);  // y += alpha*x
void scale(DType dtype, void* data, std::int64_t n, double factor);
void convert(DType src_dtype, const void* src, DType dst_dtype, void* dst, std::int64_t n);
// Same Philox stream as tensor/random.cpp: element i from counter (offset + i/4), word i%4.
void fill_uniform(DType dtype, void* data, std::int64_t n, std::uint64_t seed, std::uint64_t offset);
void fill_normal(DType dtype, void* data, std::int64_t n, std::uint64_t seed, std::uint64_t offset);

}  // namespace nanossl::cuda
