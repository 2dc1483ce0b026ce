// The CPU caching allocator (see allocator.h). Requests are rounded up to a size
// class; a freed block goes onto its class's free list and the next request of
// that class takes it back, with no system call.
#include "cpu/allocator.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "base/block_cache.h"

namespace nanossl::cpu {
namespace {

constexpr std::size_t kAlignment = 64;

// 64-byte steps up to 4 KiB, then 1/8 of the enclosing power of two.
std::size_t host_size_class(std::size_t bytes) { return size_class(bytes, 64, 4096); }

struct Pool {
  std::mutex mutex;
  BlockCache blocks;
  std::atomic<bool> poison{false};
};

Pool& pool() {
  static Pool* instance = new Pool();  // never destroyed: tensors may outlive statics
  return *instance;
}

}  // namespace

void* host_malloc(std::size_t bytes) {
  Pool& p = pool();
  const std::size_t cls = host_size_class(bytes);
  void* block = nullptr;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    block = p.blocks.reuse(cls);
  }
  if (!block) {
    block = std::aligned_alloc(kAlignment, cls);
    std::lock_guard<std::mutex> lock(p.mutex);
    if (!block) {
      throw std::runtime_error("[cpu allocator] out of memory allocating " + std::to_string(cls) +
                               " bytes (" + std::to_string(p.blocks.in_use()) + " bytes in use)");
    }
    p.blocks.adopt(block, cls);
  }
  if (p.poison.load(std::memory_order_relaxed)) std::memset(block, 0xFF, cls);
  return block;
}

void host_free(void* ptr) {
  if (!ptr) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  p.blocks.give_back(ptr);  // a pointer that is not ours: nothing to do
}

std::size_t host_bytes_in_use() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  return pool().blocks.in_use();
}

std::size_t host_bytes_cached() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  return pool().blocks.cached();
}

void host_empty_cache() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  p.blocks.release_cached([](void* block) { std::free(block); });
}

void host_set_debug_poison(bool enabled) { pool().poison.store(enabled); }

}  // namespace nanossl::cpu
