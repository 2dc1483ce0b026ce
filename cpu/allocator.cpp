// The CPU caching allocator (see allocator.h). Requests are rounded up to a size
// class; a freed block goes onto its class's free list and the next request of
// that class takes it back, with no system call.
#include "cpu/allocator.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>

#include "base/block_cache.h"

namespace nanossl::cpu {
namespace {

constexpr std::size_t kAlignment = 64;
constexpr std::size_t kCheckAvailableFrom = std::size_t{16} << 20;  // blocks this large read /proc/meminfo

// 64-byte steps up to 4 KiB, then 1/8 of the enclosing power of two.
std::size_t host_size_class(std::size_t bytes) { return size_class(bytes, 64, 4096); }

// The default limit on tensor memory: 85% of the smaller of the machine's memory
// and the cgroup's limit. Linux overcommits, so without a limit an absurd batch is
// not refused by malloc but killed by the OOM killer once its pages are touched.
struct MemoryLimit {
  std::size_t bytes;
  std::string source;  // for the error message
};
MemoryLimit default_memory_limit() {
  if (const char* text = std::getenv("NANOSSL_CPU_MEMORY_LIMIT")) {
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    const double scale = *end == 'G' ? 1024.0 * 1024 * 1024 : *end == 'M' ? 1024.0 * 1024 : 1.0;
    if (value > 0) return {static_cast<std::size_t>(value * scale), std::string("NANOSSL_CPU_MEMORY_LIMIT=") + text};
  }
  std::size_t total = static_cast<std::size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");  // "max" where unlimited
  std::size_t cgroup_limit = 0;
  if (cgroup >> cgroup_limit && cgroup_limit > 0) total = std::min(total, cgroup_limit);
  return {total / 20 * 17, "85% of this machine's memory; NANOSSL_CPU_MEMORY_LIMIT=bytes, or with M or G, changes it"};
}

// MemAvailable of /proc/meminfo in bytes (the kernel's estimate of what can be
// allocated without swapping); 0 where it cannot be read.
std::size_t memory_available() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::size_t kib = 0;
  while (meminfo >> key >> kib) {
    if (key == "MemAvailable:") return kib * 1024;
    meminfo.ignore(64, '\n');
  }
  return 0;
}

std::string mib(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

struct Pool {
  std::mutex mutex;
  BlockCache blocks;
  std::atomic<bool> poison{false};
  MemoryLimit limit = default_memory_limit();
};

Pool& pool() {
  static Pool* instance = new Pool();  // never destroyed: tensors may outlive statics
  return *instance;
}

// "[cpu allocator] out of memory: a tensor of N bytes (X MiB) with Y MiB in use WHY; ..."
[[noreturn]] void out_of_memory(std::size_t bytes, std::size_t cls, std::size_t in_use, const std::string& why) {
  throw std::runtime_error("[cpu allocator] out of memory: a tensor of " + std::to_string(bytes) + " bytes (" + mib(cls) +
                           ") with " + mib(in_use) + " in use " + why + "; a smaller batch_size or model needs less");
}

// Refuses a new block of class `cls` that would pass the limit (after giving the
// cached blocks back; only tensors in use count against it) or, for a large one,
// what the machine has available now: other processes share it, and the earlier
// blocks are touched, so counted. Called with the pool's mutex held.
void check_fits(Pool& p, std::size_t bytes, std::size_t cls) {
  if (p.blocks.in_use() + p.blocks.cached() + cls > p.limit.bytes) p.blocks.release_cached([](void* b) { std::free(b); });
  if (p.blocks.in_use() + cls > p.limit.bytes) {
    out_of_memory(bytes, cls, p.blocks.in_use(), "exceeds the limit of " + mib(p.limit.bytes) + " (" + p.limit.source + ")");
  }
  if (cls < kCheckAvailableFrom) return;
  const std::size_t available = memory_available(), reserve = std::size_t{256} << 20;
  if (available > 0 && cls + reserve > available) {
    out_of_memory(bytes, cls, p.blocks.in_use(), "but only " + mib(available) + " of the machine's memory is available");
  }
}

}  // namespace

void* host_malloc(std::size_t bytes) {
  Pool& p = pool();
  const std::size_t cls = host_size_class(bytes);
  void* block = nullptr;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    block = p.blocks.reuse(cls);
    if (!block) check_fits(p, bytes, cls);
  }
  if (!block) {
    block = std::aligned_alloc(kAlignment, cls);
    std::lock_guard<std::mutex> lock(p.mutex);
    if (!block) out_of_memory(bytes, cls, p.blocks.in_use(), "and the system refused it");
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

std::size_t host_memory_limit() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  return pool().limit.bytes;
}

void host_set_memory_limit(std::size_t bytes) {
  std::lock_guard<std::mutex> lock(pool().mutex);
  pool().limit = {bytes, "set by host_set_memory_limit"};
}

}  // namespace nanossl::cpu
