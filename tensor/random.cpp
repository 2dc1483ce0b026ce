// The global Philox generator and Tensor::rand / Tensor::randn.
#include "tensor/random.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "base/philox.h"
#include "cuda/runtime.h"
#include "tensor/tensor.h"

namespace nanossl {
namespace {

std::mutex& generator_mutex() {
  static std::mutex m;
  return m;
}
GeneratorState& state() {
  static GeneratorState s{0x5eed, 0};
  return s;
}

enum class Distribution { uniform, normal };

Tensor draw(const Shape& shape, DType dtype, Device device, Distribution dist) {
  if (!is_floating(dtype)) {
    throw std::invalid_argument(std::string("[rand] needs f32 or f64, got ") + dtype_name(dtype));
  }
  Tensor out = Tensor::empty(shape, dtype, device);
  const std::int64_t n = out.numel();
  if (n == 0) return out;
  const std::uint64_t seed = generator_state().seed;
  const std::uint64_t offset = reserve_random_offset(static_cast<std::uint64_t>(n));
  if (device.is_cuda()) {
    if (dist == Distribution::uniform) cuda::fill_uniform(dtype, out.data_ptr(), n, seed, offset);
    else cuda::fill_normal(dtype, out.data_ptr(), n, seed, offset);
    return out;
  }
  // One Philox block gives four consecutive elements (the convention of philox.h).
  auto fill = [&](auto* data) {
    using T = std::remove_pointer_t<decltype(data)>;
    const std::int64_t blocks = (n + 3) / 4;
#pragma omp parallel for if (blocks > 1024)
    for (std::int64_t b = 0; b < blocks; ++b) {
      const PhiloxBlock block = philox4x32(seed, 0, offset + static_cast<std::uint64_t>(b));
      double values[4];
      if (dist == Distribution::uniform) {
        for (int w = 0; w < 4; ++w) values[w] = philox_unit(block.word[w]);
      } else {
        philox_normal_pair(block, 0, values[0], values[1]);
        philox_normal_pair(block, 2, values[2], values[3]);
      }
      for (std::int64_t i = 4 * b; i < std::min(n, 4 * b + 4); ++i) data[i] = static_cast<T>(values[i - 4 * b]);
    }
  };
  if (dtype == DType::f32) fill(out.data<float>());
  else fill(out.data<double>());
  return out;
}

}  // namespace

void manual_seed(std::uint64_t seed) {
  std::lock_guard<std::mutex> lock(generator_mutex());
  state() = GeneratorState{seed, 0};
}

GeneratorState generator_state() {
  std::lock_guard<std::mutex> lock(generator_mutex());
  return state();
}

void set_generator_state(const GeneratorState& s) {
  std::lock_guard<std::mutex> lock(generator_mutex());
  state() = s;
}

std::uint64_t reserve_random_offset(std::uint64_t count) {
  std::lock_guard<std::mutex> lock(generator_mutex());
  const std::uint64_t first = state().offset;
  state().offset += (count + 3) / 4;
  return first;
}

Tensor Tensor::rand(const Shape& shape, DType dtype, Device device) {
  return draw(shape, dtype, device, Distribution::uniform);
}

Tensor Tensor::randn(const Shape& shape, DType dtype, Device device) {
  return draw(shape, dtype, device, Distribution::normal);
}

}  // namespace nanossl
