// Random draws keyed by what they are for, not by call order: every random
// choice of the data layer is a pure function of (seed, epoch, index, view, slot),
// computed with Philox. So a batch does not depend on how many loader threads
// made it, or in which order, and a resumed run sees exactly the same batches.
#pragma once
#include <cstdint>

#include "base/philox.h"

namespace nanossl::data {

class KeyedRandom {
 public:
  // `purpose` separates independent uses (augmentation, corruption, shuffling)
  // that would otherwise share keys.
  KeyedRandom(std::uint64_t seed, std::uint64_t purpose, std::uint64_t epoch, std::uint64_t index,
              std::uint64_t view = 0)
      : seed_(seed ^ (purpose * 0x9E3779B97F4A7C15ull)),
        stream_((epoch << 40) ^ (view << 32) ^ index ^ (purpose << 56)),
        // the stream packs epoch, view and index; index < 2^32 keeps them apart
        counter_(0) {}

  // The next 32 random bits of this key's sequence.
  std::uint32_t bits() {
    if (word_ == 4) {
      block_ = philox4x32(seed_, stream_, counter_++);
      word_ = 0;
    }
    return block_.word[word_++];
  }
  // Uniform in [0, 1) with 24 random bits.
  double uniform() { return philox_unit(bits()); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool bernoulli(double p) { return uniform() < p; }
  // Integer in [0, n), n > 0: 64 random bits scaled by n (Lemire's multiply-shift),
  // so no value is favoured by more than n / 2^64.
  std::int64_t below(std::int64_t n) {
    const std::uint64_t r = (static_cast<std::uint64_t>(bits()) << 32) | bits();
    return static_cast<std::int64_t>((static_cast<unsigned __int128>(r) * static_cast<std::uint64_t>(n)) >> 64);
  }
  // Standard normal (Box-Muller on two uniforms).
  double normal();

 private:
  std::uint64_t seed_, stream_, counter_;
  PhiloxBlock block_{};
  int word_ = 4;
};

// Purposes of the data layer's random streams.
enum Purpose : std::uint64_t {
  kPurposeAugment = 1,
  kPurposeCorrupt = 2,
  kPurposeShuffle = 3,
  kPurposeSubset = 4,
  kPurposeGenerate = 5,
};

}  // namespace nanossl::data
