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
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuda/check.h"
#include "cuda/runtime.h"
#include "cuda/stream.h"

namespace nanossl::cuda {
namespace {

constexpr std::size_t kSmallStep = 512;          // small requests: multiples of 512 B
constexpr std::size_t kSmallLimit = 1 << 20;     // up to 1 MiB
constexpr std::size_t kHugeLimit = std::size_t(1) << 50;  // 1 PiB: beyond any GPU

// 512-byte steps up to 1 MiB, then steps of 1/8 of the enclosing power of two
// (128 KiB steps to 2 MiB, 256 KiB to 4 MiB, ...), so rounding wastes at most 12.5%
// and nearby sizes share a class.
std::size_t size_class(std::size_t bytes) {
  if (bytes <= kSmallLimit) {
    return std::max(kSmallStep, (bytes + kSmallStep - 1) / kSmallStep * kSmallStep);
  }
  if (bytes > kHugeLimit) return bytes;  // no rounding: cudaMalloc will refuse it anyway
  std::size_t power = kSmallLimit;
  while (power * 2 < bytes) power *= 2;  // power < bytes <= 2 * power
  const std::size_t step = power / 8;
  return (bytes + step - 1) / step * step;
}

struct Pool {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;  // class -> cached blocks
  std::unordered_map<void*, std::size_t> block_class;               // every block we own
  std::size_t in_use = 0;   // bytes of blocks handed out (class sizes)
  std::size_t peak = 0;
  std::size_t cached = 0;   // bytes of blocks on free lists
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
  for (auto& [cls, blocks] : p.free_blocks) {
    for (void* block : blocks) {
      p.block_class.erase(block);
      CUDA_CHECK(cudaFree(block));  // cudaFree waits for the device: no kernel still uses it
    }
    blocks.clear();
  }
  p.cached = 0;
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
                          human_bytes(p.in_use) + " in use by tensors";
    std::size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
      message += ", " + human_bytes(free_bytes) + " free of " + human_bytes(total_bytes);
    } else {
      cudaGetLastError();
    }
    throw std::runtime_error(message);
  }
  if (error != cudaSuccess) throw_cuda_error(error, "cudaMalloc(&block, cls)", __FILE__, __LINE__);
  p.block_class[block] = cls;
  return block;
}

}  // namespace

void* device_malloc(std::size_t bytes) {
  if (!available()) require_device(0);  // throws the "no CUDA device" message
  if (bytes == 0) return nullptr;
  Pool& p = pool();
  const std::size_t cls = size_class(bytes);
  void* block = nullptr;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    auto it = p.free_blocks.find(cls);
    if (it != p.free_blocks.end() && !it->second.empty()) {
      block = it->second.back();
      it->second.pop_back();
      p.cached -= cls;
    } else {
      block = allocate_from_driver(p, bytes, cls);
    }
    p.in_use += cls;
    p.peak = std::max(p.peak, p.in_use);
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
  auto it = p.block_class.find(ptr);
  if (it == p.block_class.end()) {
    throw std::invalid_argument("[cuda] device_free: pointer was not returned by device_malloc");
  }
  const std::size_t cls = it->second;
  p.in_use -= cls;
  p.cached += cls;
  p.free_blocks[cls].push_back(ptr);
}

std::size_t bytes_in_use() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  return pool().in_use;
}

std::size_t peak_bytes_in_use() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  return pool().peak;
}

void reset_peak_bytes() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  pool().peak = pool().in_use;
}

void empty_cache() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  release_cached(p);
}

void set_debug_poison(bool enabled) { pool().poison.store(enabled); }

}  // namespace nanossl::cuda
