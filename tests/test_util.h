// Helpers shared by the test suites: random inputs, element-wise comparison with
// `atol + |ref| * rtol` tolerances, and skipping CUDA tests where no GPU exists.
#pragma once
#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <stdexcept>
#include <cstdint>
#include <string>
#include <vector>

#include "base/philox.h"
#include "cuda/runtime.h"
#include "tensor/tensor.h"

#define NANOSSL_REQUIRE_CUDA()                                        \
  do {                                                                \
    if (!::nanossl::cuda::available()) GTEST_SKIP() << "no CUDA device"; \
  } while (0)

namespace nanossl::testing {

// Expects `f` to throw a std::exception whose message contains every one of `parts`.
template <class F>
void expect_error(F f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning " << *parts.begin();
  } catch (const std::exception& e) {
    const std::string message = e.what();
    for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

// A fresh directory under /tmp, removed with everything in it at the end.
struct TempDir {
  std::string path;
  TempDir() {
    char pattern[] = "/tmp/nanossl_test_XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    path = made;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path + "/" + name; }
};

// Calls `parse` on copies of `bytes` with one byte flipped (masks 0x01, 0x40, 0x80,
// 0xff) at about `positions` evenly spaced offsets. Each call must return or throw
// a std::exception with a message — never crash; at least one must be rejected.
template <class Parse>
void expect_byte_flips_are_safe(const std::vector<std::uint8_t>& bytes, Parse parse, std::size_t positions = 100) {
  int rejected = 0, total = 0;
  for (std::size_t pos = 0; pos < bytes.size(); pos += std::max<std::size_t>(1, bytes.size() / positions)) {
    for (std::uint8_t mask : {0x01, 0x40, 0x80, 0xff}) {
      std::vector<std::uint8_t> copy = bytes;
      copy[pos] ^= mask;
      ++total;
      try {
        parse(copy);
      } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()), "");
        ++rejected;
      }
    }
  }
  EXPECT_GT(total, 100);
  EXPECT_GT(rejected, 0);  // flipping the signature at least must be caught
}

// Uniform values in [lo, hi) from a seeded Philox stream, on the CPU.
inline Tensor uniform(const Shape& shape, double lo, double hi, DType dtype, std::uint64_t seed) {
  Tensor t = Tensor::empty(shape, DType::f64);
  double* data = t.data<double>();
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    data[i] = lo + (hi - lo) * philox_uniform_at(seed, 11, 0, static_cast<std::uint64_t>(i));
  }
  return t.to(dtype);
}

// A leaf requiring grad with values uniform in [lo, hi) (f64 by default, for gradcheck).
inline Tensor uniform_leaf(const Shape& shape, double lo, double hi, std::uint64_t seed,
                           DType dtype = DType::f64) {
  Tensor t = uniform(shape, lo, hi, dtype, seed);
  t.set_requires_grad();
  return t;
}

// A leaf requiring grad with standard-normal f64 values from the global generator.
inline Tensor randn_leaf(const Shape& shape) {
  Tensor t = Tensor::randn(shape, DType::f64);
  t.set_requires_grad();
  return t;
}

// The same values as a CPU leaf and a GPU leaf, both requiring grad (CUDA parity tests).
struct DevicePair {
  Tensor cpu, gpu;
};
inline DevicePair leaf_pair(const Shape& shape, double lo, double hi, std::uint64_t seed,
                            DType dtype = DType::f32) {
  DevicePair p{uniform(shape, lo, hi, dtype, seed), Tensor()};
  p.gpu = p.cpu.to(Device::cuda());
  p.cpu.set_requires_grad();
  p.gpu.set_requires_grad();
  return p;
}

// Passes if every element satisfies |actual - expected| <= atol + rtol*|expected|
// (NaN never passes); otherwise names the worst element. Compares on the host in
// double; shapes must match.
inline ::testing::AssertionResult all_close(const Tensor& actual, const Tensor& expected, double atol,
                                            double rtol) {
  if (!actual.defined() || !expected.defined()) {
    return ::testing::AssertionFailure() << "undefined tensor: " << actual.describe() << " vs " << expected.describe();
  }
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "shape " << shape_str(actual.shape()) << " vs "
                                         << shape_str(expected.shape());
  }
  const std::vector<double> a = actual.to(Device::cpu()).to(DType::f64).to_vector<double>();
  const std::vector<double> e = expected.to(Device::cpu()).to(DType::f64).to_vector<double>();
  std::size_t failures = 0, worst = 0;
  double worst_excess = -1.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double limit = atol + rtol * std::fabs(e[i]);
    const double diff = std::fabs(a[i] - e[i]);
    const bool ok = diff <= limit;  // false for NaN
    if (!ok) {
      ++failures;
      const double excess = std::isnan(diff) ? 1e300 : diff - limit;
      if (excess > worst_excess) { worst_excess = excess; worst = i; }
    }
  }
  if (failures == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << failures << " of " << a.size() << " elements differ; worst at "
                                       << worst << ": " << a[worst] << " vs " << e[worst];
}

}  // namespace nanossl::testing
