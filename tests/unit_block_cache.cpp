// base/block_cache.h: the size classes and the free-list bookkeeping both caching
// allocators use (the CUDA one is exercised here too, without a GPU).
#include <gtest/gtest.h>

#include <vector>

#include "base/block_cache.h"

namespace nanossl {
namespace {

TEST(SizeClass, SmallRequestsRoundUpToTheStep) {
  EXPECT_EQ(size_class(0, 64, 4096), 64u);
  EXPECT_EQ(size_class(1, 64, 4096), 64u);
  EXPECT_EQ(size_class(64, 64, 4096), 64u);
  EXPECT_EQ(size_class(65, 64, 4096), 128u);
  EXPECT_EQ(size_class(4096, 64, 4096), 4096u);
}

TEST(SizeClass, LargeRequestsRoundToAnEighthOfTheirPowerOfTwo) {
  // 4097..8192 bytes: steps of 4096 / 8 = 512.
  EXPECT_EQ(size_class(4097, 64, 4096), 4608u);
  EXPECT_EQ(size_class(8192, 64, 4096), 8192u);
  // 1 MiB + 1 with the device's steps (512 up to 1 MiB): steps of 128 KiB.
  EXPECT_EQ(size_class((1u << 20) + 1, 512, 1u << 20), (1u << 20) + (128u << 10));
  // Never more than 12.5% wasted.
  for (std::size_t bytes = 4097; bytes < (1u << 22); bytes = bytes * 3 / 2 + 7) {
    const std::size_t cls = size_class(bytes, 64, 4096);
    EXPECT_GE(cls, bytes);
    EXPECT_LE(static_cast<double>(cls - bytes), 0.125 * static_cast<double>(bytes)) << bytes;
  }
}

TEST(BlockCache, AFreedBlockIsReusedByItsClassOnly) {
  BlockCache cache;
  int storage[2];
  void* a = &storage[0];
  EXPECT_EQ(cache.reuse(64), nullptr);
  cache.adopt(a, 64);
  EXPECT_EQ(cache.in_use(), 64u);
  EXPECT_TRUE(cache.give_back(a));
  EXPECT_EQ(cache.in_use(), 0u);
  EXPECT_EQ(cache.cached(), 64u);
  EXPECT_EQ(cache.reuse(128), nullptr);  // another class does not take it
  EXPECT_EQ(cache.reuse(64), a);
  EXPECT_EQ(cache.cached(), 0u);
  EXPECT_EQ(cache.in_use(), 64u);
}

TEST(BlockCache, RefusesABlockItNeverHandedOut) {
  BlockCache cache;
  int other = 0;
  EXPECT_FALSE(cache.give_back(&other));
  EXPECT_EQ(cache.cached(), 0u);
}

TEST(BlockCache, PeakAndReleaseCached) {
  BlockCache cache;
  int storage[3];
  cache.adopt(&storage[0], 64);
  cache.adopt(&storage[1], 128);
  EXPECT_EQ(cache.peak(), 192u);
  cache.give_back(&storage[1]);
  EXPECT_EQ(cache.peak(), 192u);
  cache.reset_peak();
  EXPECT_EQ(cache.peak(), 64u);
  std::vector<void*> released;
  cache.release_cached([&](void* block) { released.push_back(block); });
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0], &storage[1]);
  EXPECT_EQ(cache.cached(), 0u);
  EXPECT_FALSE(cache.give_back(&storage[1]));  // released: no longer ours
  EXPECT_TRUE(cache.give_back(&storage[0]));
}

}  // namespace
}  // namespace nanossl
