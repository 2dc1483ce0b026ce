// The global random generator: a Philox seed and a running counter offset.
// Tensor::rand/randn reserve ceil(n/4) counters per call, so a sequence of draws is
// reproducible from the seed alone, on either device. The state is two integers,
// which is all a checkpoint needs to resume the stream exactly.
#pragma once
#include <cstdint>

namespace nanossl {

struct GeneratorState {
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;  // next unused Philox counter
};

void manual_seed(std::uint64_t seed);  // also resets the offset to 0
GeneratorState generator_state();
void set_generator_state(const GeneratorState& state);
// Reserves the counters for `count` values and returns the first; thread-safe.
std::uint64_t reserve_random_offset(std::uint64_t count);

}  // namespace nanossl
