// Tensor basics: creation, dtypes, views and copies, printing, the Philox stream,
// the caching allocator, and the errors bad arguments get.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops/shape.h"
#include "base/philox.h"
#include "cpu/allocator.h"
#include "tensor/random.h"
#include "tensor/tensor.h"
#include "test_util.h"

using namespace nanossl;

TEST(Tensor, CreationFillsValues) {
  Tensor z = Tensor::zeros({2, 3});
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.numel(), 6);
  EXPECT_EQ(z.dtype(), DType::f32);
  for (float v : z.to_vector<float>()) EXPECT_EQ(v, 0.0f);
  for (double v : Tensor::ones({4}, DType::f64).to_vector<double>()) EXPECT_EQ(v, 1.0);
  for (std::int64_t v : Tensor::full({3}, 7, DType::i64).to_vector<std::int64_t>()) EXPECT_EQ(v, 7);
  EXPECT_EQ(Tensor::scalar(2.5).item(), 2.5);
  EXPECT_EQ(Tensor::scalar(2.5).ndim(), 0u);
}

TEST(Tensor, ArangeMatchesNumpy) {
  EXPECT_EQ(Tensor::arange(0, 5, 1, DType::i64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(Tensor::arange(1, 2, 0.25, DType::f64).to_vector<double>(), (std::vector<double>{1, 1.25, 1.5, 1.75}));
  EXPECT_EQ(Tensor::arange(5, 0, 1).numel(), 0);
  EXPECT_THROW(Tensor::arange(0, 1, 0), std::invalid_argument);
}

TEST(Tensor, FromDataRoundTripsEveryDtype) {
  std::vector<std::uint8_t> bytes{0, 1, 255};
  EXPECT_EQ(Tensor::from_vector(bytes, {3}).to_vector<std::uint8_t>(), bytes);
  std::vector<std::int64_t> labels{-4, 9};
  EXPECT_EQ(Tensor::from_vector(labels, {2}).to_vector<std::int64_t>(), labels);
  std::vector<double> values{1.5, -2.0, 3.25, 4.0};
  Tensor t = Tensor::from_vector(values, {2, 2});
  EXPECT_EQ(t.to_vector<double>(), values);
  EXPECT_THROW(t.to_vector<float>(), std::invalid_argument);
}

TEST(Tensor, DtypeConversion) {
  Tensor t = Tensor::from_vector(std::vector<double>{1.75, -2.5, 300.0}, {3});
  EXPECT_EQ(t.to(DType::f32).to_vector<float>(), (std::vector<float>{1.75f, -2.5f, 300.0f}));
  EXPECT_EQ(t.to(DType::i64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, -2, 300}));
  Tensor img = Tensor::from_vector(std::vector<std::uint8_t>{0, 128, 255}, {3});
  EXPECT_EQ(img.to(DType::f32).to_vector<float>(), (std::vector<float>{0, 128, 255}));
}

TEST(Tensor, ViewSharesStorageAndCloneDoesNot) {
  Tensor t = Tensor::arange(0, 12);
  Tensor v = t.view({3, -1});
  EXPECT_EQ(v.shape(), (Shape{3, 4}));
  EXPECT_EQ(v.data_ptr(), t.data_ptr());
  v.fill_(1.0);
  EXPECT_EQ(t.to_vector<float>()[11], 1.0f);
  Tensor c = t.clone();
  c.fill_(2.0);
  EXPECT_EQ(t.to_vector<float>()[0], 1.0f);
  EXPECT_THROW(t.view({5, -1}), std::invalid_argument);
  EXPECT_THROW(t.view({-1, -1}), std::invalid_argument);
}

TEST(Tensor, Narrow0IsARowView) {
  Tensor t = Tensor::arange(0, 12).view({4, 3});
  Tensor rows = t.narrow0(1, 3);
  EXPECT_EQ(rows.shape(), (Shape{2, 3}));
  EXPECT_EQ(rows.to_vector<float>(), (std::vector<float>{3, 4, 5, 6, 7, 8}));
  EXPECT_THROW(t.narrow0(2, 5), std::invalid_argument);
  EXPECT_THROW(t.narrow0(3, 2), std::invalid_argument);
}

TEST(Tensor, PermuteAndTransposeCopy) {
  Tensor t = Tensor::arange(0, 24).view({2, 3, 4});
  Tensor p = permute(t, {2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  const auto src = t.to_vector<float>(), dst = p.to_vector<float>();
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(dst[(a * 2 + b) * 3 + c], src[(b * 3 + c) * 4 + a]);
  Tensor tr = transpose(Tensor::arange(0, 6).view({2, 3}), 0, 1);
  EXPECT_EQ(tr.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_THROW(permute(t, {0, 0, 1}), std::invalid_argument);
  EXPECT_THROW(permute(t, {0, 1}), std::invalid_argument);
}

TEST(Tensor, CatAlongEachDim) {
  Tensor a = Tensor::arange(0, 4).view({2, 2});
  Tensor b = Tensor::arange(4, 10).view({2, 3});
  EXPECT_EQ(cat({a, b}, 1).to_vector<float>(), (std::vector<float>{0, 1, 4, 5, 6, 2, 3, 7, 8, 9}));
  Tensor c = Tensor::arange(10, 12).view({1, 2});
  EXPECT_EQ(cat({a, c}, 0).to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 10, 11}));
  try {
    cat({a, b}, 0);
    FAIL() << "cat of 2x2 and 2x3 along dim 0 should throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[cat] shapes 2x2 and 2x3"), std::string::npos) << e.what();
  }
}

TEST(Tensor, IndexSelectGathersRowsAndChecksRange) {
  Tensor t = Tensor::arange(0, 6).view({3, 2});
  Tensor idx = Tensor::from_vector(std::vector<std::int64_t>{2, 0, 2}, {3});
  EXPECT_EQ(index_select(t, idx).to_vector<float>(), (std::vector<float>{4, 5, 0, 1, 4, 5}));
  Tensor bad = Tensor::from_vector(std::vector<std::int64_t>{3}, {1});
  EXPECT_THROW(index_select(t, bad), std::invalid_argument);
  EXPECT_THROW(index_select(t, Tensor::zeros({1})), std::invalid_argument);
}

TEST(Tensor, ItemNeedsOneElement) {
  EXPECT_THROW(Tensor::zeros({2}).item(), std::invalid_argument);
  EXPECT_EQ(Tensor::full({1, 1}, 3.0).item(), 3.0);
}

TEST(Tensor, InPlaceUpdates) {
  Tensor y = Tensor::ones({3});
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  y.add_(x, -2.0).mul_(0.5);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{-0.5f, -1.5f, -2.5f}));
  EXPECT_THROW(y.add_(Tensor::ones({4})), std::invalid_argument);
  EXPECT_THROW(y.add_(Tensor::ones({3}, DType::f64)), std::invalid_argument);
}

TEST(Tensor, PrintingShowsShapeAndElidesLongRows) {
  Tensor t = Tensor::arange(0, 6).view({2, 3});
  const std::string text = to_string(t);
  EXPECT_NE(text.find("f32[2x3] cpu"), std::string::npos) << text;
  EXPECT_NE(text.find("[[0, 1, 2],\n [3, 4, 5]]"), std::string::npos) << text;
  const std::string long_text = to_string(Tensor::arange(0, 100, 1, DType::i64));
  EXPECT_NE(long_text.find("0, 1, 2, ..., 97, 98, 99"), std::string::npos) << long_text;
}

TEST(Random, SameSeedSameNumbersAndStreamAdvances) {
  manual_seed(42);
  Tensor a = Tensor::rand({1000});
  Tensor b = Tensor::rand({1000});
  manual_seed(42);
  Tensor a2 = Tensor::rand({1000});
  EXPECT_EQ(a.to_vector<float>(), a2.to_vector<float>());
  EXPECT_NE(a.to_vector<float>(), b.to_vector<float>());
  for (float v : a.to_vector<float>()) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LT(v, 1.0f);
  }
  // f64 draws the same stream as f32.
  manual_seed(42);
  Tensor a64 = Tensor::rand({1000}, DType::f64);
  EXPECT_EQ(a64.to(DType::f32).to_vector<float>(), a.to_vector<float>());
}

TEST(Random, NormalHasUnitMoments) {
  manual_seed(7);
  const auto v = Tensor::randn({200000}, DType::f64).to_vector<double>();
  double mean = 0, sq = 0;
  for (double x : v) { mean += x; sq += x * x; }
  mean /= v.size();
  const double var = sq / v.size() - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.02);
}

TEST(Random, PhiloxMatchesPublishedKnownAnswer) {
  // Random123's known-answer test for philox4x32-10: counter = key = all zeros.
  PhiloxBlock b = philox4x32(0, 0, 0);
  EXPECT_EQ(b.word[0], 0x6627e8d5u);
  EXPECT_EQ(b.word[1], 0xe169c58du);
  EXPECT_EQ(b.word[2], 0xbc57ac4cu);
  EXPECT_EQ(b.word[3], 0x9b00dbd8u);
}

TEST(Allocator, ReusesFreedBuffers) {
  void* first = nullptr;
  {
    Tensor t = Tensor::empty({1000, 100});
    first = t.data_ptr();
  }
  const std::size_t cached = cpu::host_bytes_cached();
  EXPECT_GE(cached, 400000u);
  Tensor again = Tensor::empty({1000, 100});
  EXPECT_EQ(again.data_ptr(), first);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(again.data_ptr()) % 64, 0u);
}

TEST(Allocator, ABeyondTheLimitRequestIsRefusedNamingItsSize) {
  const std::size_t limit = cpu::host_memory_limit();
  EXPECT_GT(limit, std::size_t{64} << 20);  // a default was found
  cpu::host_set_memory_limit(std::size_t{64} << 20);
  nanossl::testing::expect_error([] { Tensor::empty({1024, 1024, 32}); },  // 128 MiB of f32
               {"[cpu allocator] out of memory", "134217728 bytes", "limit of 64.0 MiB"});
  Tensor fits = Tensor::empty({1024, 1024, 8});  // 32 MiB: still served
  EXPECT_EQ(fits.numel(), 1024 * 1024 * 8);
  cpu::host_set_memory_limit(limit);
}

TEST(Tensor, SetDataRepointsEveryHandle) {
  Tensor parameter = Tensor::zeros({2, 2});
  parameter.set_requires_grad();
  Tensor alias = parameter;  // e.g. an optimizer's copy of the handle
  parameter.set_grad(Tensor::ones({2, 2}));
  parameter.set_data(Tensor::full({3}, 5.0, DType::f64));
  EXPECT_EQ(alias.shape(), (Shape{3}));
  EXPECT_EQ(alias.dtype(), DType::f64);
  EXPECT_EQ(alias.to_vector<double>(), (std::vector<double>{5, 5, 5}));
  EXPECT_TRUE(alias.requires_grad());
  EXPECT_FALSE(alias.grad().defined());
}

TEST(Tensor, PinMemoryKeepsValues) {
  Tensor t = Tensor::randn({4, 5});
  Tensor pinned = t.pin_memory();
  EXPECT_EQ(pinned.to_vector<float>(), t.to_vector<float>());
  EXPECT_EQ(pinned.is_pinned(), cuda::available());
}

TEST(Device, ParsesNames) {
  EXPECT_TRUE(Device::parse("cpu").is_cpu());
  EXPECT_EQ(Device::parse("cuda:1").index, 1);
  EXPECT_THROW(Device::parse("gpu"), std::invalid_argument);
  EXPECT_THROW(Device::parse("cuda:x"), std::invalid_argument);
}

TEST(Device, CudaTensorWithoutGpuThrowsClearly) {
  if (cuda::available()) GTEST_SKIP() << "a GPU is present";
  try {
    Tensor::zeros({2}, DType::f32, Device::cuda());
    FAIL() << "expected an exception";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos) << e.what();
  }
}

TEST(Random, TensorDrawsFollowThePerElementFormula) {
  // rand/randn fill four elements per Philox block; each must equal the
  // element-wise definition in base/philox.h (which the GPU kernels use).
  manual_seed(11);
  const GeneratorState state = generator_state();
  const auto u = Tensor::rand({7}, DType::f64).to_vector<double>();
  const auto z = Tensor::randn({7}, DType::f64).to_vector<double>();
  for (std::uint64_t i = 0; i < 7; ++i) {
    EXPECT_EQ(u[i], philox_uniform_at(state.seed, 0, state.offset, i));
    EXPECT_EQ(z[i], philox_normal_at(state.seed, 0, state.offset + 2, i));  // 7 values used 2 blocks
  }
}
