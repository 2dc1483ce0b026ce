// The CPU caching allocator (see allocator.h). Requests are rounded up to a size
// class; a freed block goes onto its class's free list and the next request of
// that class takes it back, with no system call.
#include "cpu/allocator.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace nanossl::cpu {
namespace {

constexpr std::size_t kAlignment = 64;

// 64-byte steps up to 4 KiB, then steps of 1/8 of the enclosing power of two, so
// rounding wastes at most 12.5% while nearby sizes still share a class.
std::size_t size_class(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes <= 4096) return ((bytes + 63) / 64) * 64;
  std::size_t power = 4096;
  while (power * 2 < bytes) power *= 2;
  const std::size_t step = power / 8;
  return ((bytes + step - 1) / step) * step;
}

struct Pool {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;  // class -> blocks
  std::unordered_map<void*, std::size_t> block_class;               // live and cached
  std::size_t in_use = 0;
  std::size_t cached = 0;
  std::atomic<bool> poison{false};
};

Pool& pool() {
  static Pool* instance = new Pool();  // never destroyed: tensors may outlive statics
  return *instance;
}

}  // namespace

void* host_malloc(std::size_t bytes) {
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
    }
  }
  if (!block) {
    block = std::aligned_alloc(kAlignment, cls);
    if (!block) {
      throw std::runtime_error("[cpu allocator] out of memory allocating " + std::to_string(cls) +
                               " bytes (" + std::to_string(p.in_use) + " bytes in use)");
    }
    std::lock_guard<std::mutex> lock(p.mutex);
    p.block_class[block] = cls;
  }
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.in_use += cls;
  }
  if (p.poison.load(std::memory_order_relaxed)) std::memset(block, 0xFF, cls);
  return block;
}

void host_free(void* ptr) {
  if (!ptr) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  auto it = p.block_class.find(ptr);
  if (it == p.block_class.end()) return;  // not ours; nothing to do
  const std::size_t cls = it->second;
  p.in_use -= cls;
  p.cached += cls;
  p.free_blocks[cls].push_back(ptr);
}

std::size_t host_bytes_in_use() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  return pool().in_use;
}

std::size_t host_bytes_cached() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  return pool().cached;
}

void host_empty_cache() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  for (auto& [cls, blocks] : p.free_blocks) {
    for (void* block : blocks) {
      p.block_class.erase(block);
      std::free(block);
    }
    blocks.clear();
  }
  p.cached = 0;
}

void host_set_debug_poison(bool enabled) { pool().poison.store(enabled); }

}  // namespace nanossl::cpu
