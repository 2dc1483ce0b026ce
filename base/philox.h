// Philox4x32-10, the counter-based generator of Salmon et al. (SC'11), as used by
// cuRAND and PyTorch: four 32-bit random words from (key, counter) with no state,
// so any element of any stream can be computed independently — on CPU or GPU,
// in any thread order — and still give the same numbers.
//
// nanossl's convention for a tensor of n random values drawn at `offset`:
//   element i uses word (i % 4) of philox(seed, stream, offset + i / 4),
// and normals pair elements (2j, 2j+1) through Box-Muller on one block's words.
#pragma once
#include <cmath>
#include <cstdint>

#include "base/host_device.h"

namespace nanossl {

struct PhiloxBlock {
  std::uint32_t word[4];
};

NANOSSL_HOST_DEVICE inline void philox_mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi,
                                              std::uint32_t& lo) {
  std::uint64_t product = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(product >> 32);
  lo = static_cast<std::uint32_t>(product);
}

// Ten rounds on the 128-bit counter (counter, stream) under the 64-bit key `seed`.
NANOSSL_HOST_DEVICE inline PhiloxBlock philox4x32(std::uint64_t seed, std::uint64_t stream,
                                                  std::uint64_t counter) {
  std::uint32_t c0 = static_cast<std::uint32_t>(counter), c1 = static_cast<std::uint32_t>(counter >> 32);
  std::uint32_t c2 = static_cast<std::uint32_t>(stream), c3 = static_cast<std::uint32_t>(stream >> 32);
  std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(0xD2511F53u, c0, hi0, lo0);
    philox_mulhilo(0xCD9E8D57u, c2, hi1, lo1);
    std::uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return PhiloxBlock{{c0, c1, c2, c3}};
}

// Uniform in [0, 1) with 24 random bits (exactly representable in float and double).
NANOSSL_HOST_DEVICE inline double philox_unit(std::uint32_t word) {
  return static_cast<double>(word >> 8) * (1.0 / 16777216.0);
}

// Element i of the uniform stream at `offset` (see the convention above).
NANOSSL_HOST_DEVICE inline double philox_uniform_at(std::uint64_t seed, std::uint64_t stream,
                                                    std::uint64_t offset, std::uint64_t i) {
  return philox_unit(philox4x32(seed, stream, offset + i / 4).word[i % 4]);
}

// Box-Muller on words (first, first+1) of a block: the cosine and sine normals.
NANOSSL_HOST_DEVICE inline void philox_normal_pair(const PhiloxBlock& block, unsigned first, double& cosine,
                                                   double& sine) {
  double u1 = (static_cast<double>(block.word[first] >> 8) + 1.0) * (1.0 / 16777216.0);  // (0, 1]
  double u2 = philox_unit(block.word[first + 1]);
  double radius = std::sqrt(-2.0 * std::log(u1));
  double angle = 6.283185307179586 * u2;
  cosine = radius * std::cos(angle);
  sine = radius * std::sin(angle);
}

// Element i of the standard-normal stream at `offset`: Box-Muller on the pair of
// words (2*(i/2)%4, +1) of block offset + i/4; even i takes the cosine branch.
NANOSSL_HOST_DEVICE inline double philox_normal_at(std::uint64_t seed, std::uint64_t stream,
                                                   std::uint64_t offset, std::uint64_t i) {
  double cosine, sine;
  philox_normal_pair(philox4x32(seed, stream, offset + i / 4), static_cast<unsigned>((i / 2) % 2) * 2, cosine, sine);
  return (i % 2 == 0) ? cosine : sine;
}

}  // namespace nanossl
