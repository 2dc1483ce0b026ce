// The bookkeeping both caching allocators share (cpu/allocator.cpp and
// cuda/allocator.cpp): requests rounded up to a size class, a free list per class,
// and the byte counters. Where the memory comes from and goes back to is the
// allocator's business. Not thread-safe by itself: each allocator holds its own
// mutex around every call.
#pragma once
#include <algorithm>
#include <cstddef>
#include <unordered_map>
#include <vector>

namespace nanossl {

// Steps of `small_step` bytes up to `small_limit`, then steps of 1/8 of the
// enclosing power of two, so rounding wastes at most 12.5% while nearby sizes still
// share a class (and so a free list). A request of 0 bytes gets the smallest class.
inline std::size_t size_class(std::size_t bytes, std::size_t small_step, std::size_t small_limit) {
  if (bytes <= small_limit) return std::max(small_step, (bytes + small_step - 1) / small_step * small_step);
  std::size_t power = small_limit;
  while (power * 2 < bytes) power *= 2;  // power < bytes <= 2 * power
  const std::size_t step = power / 8;
  return (bytes + step - 1) / step * step;
}

class BlockCache {
 public:
  // A cached block of class `cls`, now counted in use; nullptr when none is free.
  void* reuse(std::size_t cls) {
    auto it = free_blocks_.find(cls);
    if (it == free_blocks_.end() || it->second.empty()) return nullptr;
    void* block = it->second.back();
    it->second.pop_back();
    cached_ -= cls;
    count_in_use(cls);
    return block;
  }
  // A block of class `cls` fresh from the system, now counted in use.
  void adopt(void* block, std::size_t cls) {
    block_class_[block] = cls;
    count_in_use(cls);
  }
  // A block back from its user onto its class's free list; false (and nothing
  // changes) when the block is not one this cache handed out.
  bool give_back(void* block) {
    auto it = block_class_.find(block);
    if (it == block_class_.end()) return false;
    const std::size_t cls = it->second;
    in_use_ -= cls;
    cached_ += cls;
    free_blocks_[cls].push_back(block);
    return true;
  }
  // Empties every free list, handing each block to release(block).
  template <class Release>
  void release_cached(Release release) {
    for (auto& [cls, blocks] : free_blocks_) {
      for (void* block : blocks) {
        block_class_.erase(block);
        release(block);
      }
      blocks.clear();
    }
    cached_ = 0;
  }

  std::size_t in_use() const { return in_use_; }  // bytes handed out (class sizes)
  std::size_t cached() const { return cached_; }  // bytes on free lists
  std::size_t peak() const { return peak_; }      // most bytes in use since reset_peak()
  void reset_peak() { peak_ = in_use_; }

 private:
  void count_in_use(std::size_t cls) {
    in_use_ += cls;
    peak_ = std::max(peak_, in_use_);
  }

  std::unordered_map<std::size_t, std::vector<void*>> free_blocks_;  // class -> cached blocks
  std::unordered_map<void*, std::size_t> block_class_;               // every block we own
  std::size_t in_use_ = 0, cached_ = 0, peak_ = 0;
};

}  // namespace nanossl
