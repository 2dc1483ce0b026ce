// The caching device allocator (cuda/runtime.h). Requests are rounded up to a size
// class; a freed block goes onto its class's free list and the next request of
// that class takes it back without calling cudaMalloc or cudaFree, which would
// synchronise the device. A training loop allocates the same activation sizes
// every step, so after its first step it stops calling the driver at all.
//
// Why immediate reuse is safe: every kernel and copy runs on the one stream
// (cuda/stream.h). When a block is freed, kernels that read or write it may still
// be queued; any later user of the block enqueues its work on the same stream,
// behind them, so it cannot touch the block before they finish.
#include <atomic>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>

#include "base/block_cache.h"
#include "cuda/check.h"
#include "cuda/runtime.h"
#include "cuda/stream.h"

namespace nanossl::cuda {
namespace {

constexpr std::size_t kHugeLimit = std::size_t(1) << 50;  // 1 PiB: beyond any GPU

// 512-byte steps up to 1 MiB, then steps of 1/8 of the enclosing power of two
// (128 KiB steps to 2 MiB, 256 KiB to 4 MiB, ...).
std::size_t device_size_class(std::size_t bytes) {
  if (bytes > kHugeLimit) return bytes;  // no rounding: cudaMalloc will refuse it anyway
  return size_class(bytes, 512, std::size_t(1) << 20);
}

struct Pool {
  std::mutex mutex;
  BlockCache blocks;
  std::atomic<bool> poison{false};
};

Pool& pool() {
  static Pool* instance = new Pool();  // never destroyed: tensors may outlive statics
  return *instance;
}

// "1.50 GiB" for messages.
std::string human_bytes(std::size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 5) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit == 0 ? "%.0f %s" : "%.2f %s", value, units[unit]);
  return text;
}

// Returns every cached block to the driver; the caller holds p.mutex.
void release_cached(Pool& p) {
  // cudaFree waits for the device: no kernel still uses the block.
  p.blocks.release_cached([](void* block) { CUDA_CHECK(cudaFree(block)); });
}

// cudaMalloc, and on out-of-memory a second try after emptying the cache. The
// caller holds p.mutex.
void* allocate_from_driver(Pool& p, std::size_t requested, std::size_t cls) {
  void* block = nullptr;
  cudaError_t error = cudaMalloc(&block, cls);
  if (error == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear it before retrying
    release_cached(p);
    error = cudaMalloc(&block, cls);
  }
  if (error == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    std::string message = "[cuda] out of memory allocating " + human_bytes(requested) + " (" +
                          std::to_string(requested) + " bytes) on the GPU; " +
                          human_bytes(p.blocks.in_use()) + " in use by tensors";
    std::size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
      message += ", " + human_bytes(free_bytes) + " free of " + human_bytes(total_bytes);
    } else {
      cudaGetLastError();
    }
    throw std::runtime_error(message);
  }
  if (error != cudaSuccess) throw_cuda_error(error, "cudaMalloc(&block, cls)", __FILE__, __LINE__);
  p.blocks.adopt(block, cls);
  return block;
}

}  // namespace

void* device_malloc(std::size_t bytes) {
  if (!available()) require_device(0);  // throws the "no CUDA device" message
  if (bytes == 0) return nullptr;
  Pool& p = pool();
  const std::size_t cls = device_size_class(bytes);
  void* block = nullptr;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    block = p.blocks.reuse(cls);
    if (!block) block = allocate_from_driver(p, bytes, cls);
  }
  if (p.poison.load(std::memory_order_relaxed)) {
    CUDA_CHECK(cudaMemsetAsync(block, 0xFF, cls, stream()));
  }
  return block;
}

void device_free(void* ptr) {
  if (!ptr) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  if (!p.blocks.give_back(ptr)) {
    throw std::invalid_argument("[cuda] device_free: pointer was not returned by device_malloc");
  }
}

std::size_t bytes_in_use() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  return pool().blocks.in_use();
}

std::size_t peak_bytes_in_use() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  return pool().blocks.peak();
}

void reset_peak_bytes() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  pool().blocks.reset_peak();
}

void empty_cache() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  release_cached(p);
}

void set_debug_poison(bool enabled) { pool().poison.store(enabled); }

}  // namespace nanossl::cuda
