// The linear probe on Gaussian blobs (accuracy, falling loss, bitwise determinism,
// the seed), standardisation of constant dimensions, the folded raw-feature
// classifier, feature concatenation and the feature cache, and their errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/keyed_random.h"
#include "nn/safetensors.h"
#include "ssl/linear_probe.h"
#include "test_util.h"

using namespace nanossl;
using namespace nanossl::ssl;

namespace {

constexpr std::int64_t kDim = 16, kClasses = 4;

// n points in kDim dimensions, class i % 4, centred at 4 on axis (2 * class) plus
// a shift of 5 on every axis (so standardisation has work to do), unit noise.
// `extra` appends constant columns with the given values.
FeatureSet blobs(std::int64_t n, std::uint64_t seed, const std::vector<float>& extra = {}) {
  const std::int64_t d = kDim + static_cast<std::int64_t>(extra.size());
  std::vector<float> x(static_cast<std::size_t>(n * d));
  std::vector<std::int64_t> y(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    data::KeyedRandom rng(seed, 99, 0, static_cast<std::uint64_t>(i));
    const std::int64_t label = i % kClasses;
    y[static_cast<std::size_t>(i)] = label;
    for (std::int64_t c = 0; c < kDim; ++c) {
      x[static_cast<std::size_t>(i * d + c)] = static_cast<float>(5.0 + (c == 2 * label ? 4.0 : 0.0) + rng.normal());
    }
    for (std::size_t e = 0; e < extra.size(); ++e) x[static_cast<std::size_t>(i * d + kDim) + e] = extra[e];
  }
  return {Tensor::from_vector(x, {n, d}), Tensor::from_vector(y, {n})};
}

ProbeOptions quick(std::int64_t epochs = 20) {
  ProbeOptions o;
  o.epochs = epochs;
  o.batch_size = 64;
  return o;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

template <class F>
void expect_error(F body, const std::string& op, const std::string& piece) {
  try {
    body();
    FAIL() << "no exception thrown; expected one containing '" << piece << "'";
  } catch (const std::exception& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("[" + op + "]"), std::string::npos) << message;
    EXPECT_NE(message.find(piece), std::string::npos) << message;
  }
}

}  // namespace

TEST(LinearProbe, SeparatesGaussianBlobs) {
  const FeatureSet train = blobs(800, 1), test = blobs(400, 2);
  const ProbeResult r = train_linear_probe(train, test, kClasses, quick());
  EXPECT_GT(r.test_top1, 95.0);
  EXPECT_GT(r.train_top1, 95.0);
  ASSERT_EQ(r.test_per_class.size(), static_cast<std::size_t>(kClasses));
  for (double p : r.test_per_class) EXPECT_GT(p, 85.0);
  ASSERT_EQ(r.epoch_loss.size(), 20u);
  EXPECT_LT(r.epoch_loss.back(), 0.5 * r.epoch_loss.front());
  EXPECT_LT(r.epoch_loss.front(), std::log(4.0));  // zero init starts at ln C and falls within the epoch
  EXPECT_EQ(r.weight.shape(), (Shape{kClasses, kDim}));
  EXPECT_EQ(r.bias.shape(), (Shape{kClasses}));
}

// The returned classifier applies to raw features: it reproduces the probe's
// predictions (up to f32 rounding of the fold on near-ties).
TEST(LinearProbe, FoldedClassifierAppliesToRawFeatures) {
  const FeatureSet train = blobs(800, 1), test = blobs(400, 2);
  const ProbeResult r = train_linear_probe(train, test, kClasses, quick());
  const auto x = test.features.to_vector<float>();
  const auto y = test.labels.to_vector<std::int64_t>();
  const auto w = r.weight.to_vector<float>();
  const auto b = r.bias.to_vector<float>();
  int right = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    std::int64_t best = 0;
    double best_logit = -1e300;
    for (std::int64_t c = 0; c < kClasses; ++c) {
      double logit = b[static_cast<std::size_t>(c)];
      for (std::int64_t k = 0; k < kDim; ++k) logit += static_cast<double>(w[static_cast<std::size_t>(c * kDim + k)]) * x[i * kDim + static_cast<std::size_t>(k)];
      if (logit > best_logit) { best_logit = logit; best = c; }
    }
    right += best == y[i];
  }
  EXPECT_NEAR(100.0 * right / static_cast<double>(y.size()), r.test_top1, 0.5);
}

TEST(LinearProbe, IsBitwiseDeterministicAndUsesTheSeed) {
  const FeatureSet train = blobs(300, 1), test = blobs(100, 2);
  const ProbeResult a = train_linear_probe(train, test, kClasses, quick(5));
  const ProbeResult b = train_linear_probe(train, test, kClasses, quick(5));
  EXPECT_TRUE(bitwise_equal(a.weight, b.weight));
  EXPECT_TRUE(bitwise_equal(a.bias, b.bias));
  EXPECT_EQ(a.epoch_loss, b.epoch_loss);
  EXPECT_EQ(a.train_top1, b.train_top1);
  EXPECT_EQ(a.test_top1, b.test_top1);
  EXPECT_EQ(a.test_per_class, b.test_per_class);

  ProbeOptions other = quick(5);
  other.seed = 1;
  const ProbeResult c = train_linear_probe(train, test, kClasses, other);
  EXPECT_FALSE(bitwise_equal(a.weight, c.weight));
}

// A constant column (5.0) and an all-zero column standardise to 0: no NaN, no
// effect on accuracy, and their weights stay exactly 0 (they never get a gradient).
TEST(LinearProbe, StandardisationHandlesConstantDimensions) {
  const FeatureSet train = blobs(800, 1, {5.0f, 0.0f}), test = blobs(400, 2, {5.0f, 0.0f});
  const ProbeResult r = train_linear_probe(train, test, kClasses, quick());
  EXPECT_GT(r.test_top1, 95.0);
  const auto w = r.weight.to_vector<float>();
  const auto b = r.bias.to_vector<float>();
  for (float v : w) EXPECT_TRUE(std::isfinite(v));
  for (float v : b) EXPECT_TRUE(std::isfinite(v));
  for (std::int64_t c = 0; c < kClasses; ++c) {
    EXPECT_EQ(w[static_cast<std::size_t>(c * (kDim + 2) + kDim)], 0.0f);
    EXPECT_EQ(w[static_cast<std::size_t>(c * (kDim + 2) + kDim + 1)], 0.0f);
  }
  for (double loss : r.epoch_loss) EXPECT_TRUE(std::isfinite(loss));
}

TEST(LinearProbe, WorksWithoutStandardisationAndWithWeightDecay) {
  const FeatureSet train = blobs(800, 1), test = blobs(400, 2);
  ProbeOptions o = quick();
  o.standardize = false;
  o.lr = 0.01;
  EXPECT_GT(train_linear_probe(train, test, kClasses, o).test_top1, 95.0);

  // Weight decay shrinks the weight, not the bias.
  ProbeOptions decayed = quick();
  decayed.weight_decay = 0.1;
  const ProbeResult plain = train_linear_probe(train, test, kClasses, quick());
  const ProbeResult small = train_linear_probe(train, test, kClasses, decayed);
  auto norm = [](const Tensor& t) {
    double s = 0;
    for (float v : t.to_vector<float>()) s += static_cast<double>(v) * v;
    return s;
  };
  EXPECT_LT(norm(small.weight), 0.5 * norm(plain.weight));
  EXPECT_GT(small.test_top1, 90.0);
}

TEST(LinearProbe, Errors) {
  const FeatureSet train = blobs(40, 1), test = blobs(20, 2);
  auto with = [](auto change) {
    ProbeOptions o = quick(1);
    change(o);
    return o;
  };
  const std::string op = "linear_probe";
  expect_error([&] { train_linear_probe(train, test, kClasses, with([](ProbeOptions& o) { o.epochs = 0; })); }, op, "epochs");
  expect_error([&] { train_linear_probe(train, test, kClasses, with([](ProbeOptions& o) { o.batch_size = 0; })); }, op, "batch_size");
  expect_error([&] { train_linear_probe(train, test, kClasses, with([](ProbeOptions& o) { o.lr = 0; })); }, op, "lr");
  expect_error([&] { train_linear_probe(train, test, kClasses, with([](ProbeOptions& o) { o.lr = NAN; })); }, op, "lr");
  expect_error([&] { train_linear_probe(train, test, kClasses, with([](ProbeOptions& o) { o.momentum = 1.0; })); }, op, "momentum");
  expect_error([&] { train_linear_probe(train, test, kClasses, with([](ProbeOptions& o) { o.momentum = 0.0; })); }, op, "Nesterov");
  expect_error([&] { train_linear_probe(train, test, kClasses, with([](ProbeOptions& o) { o.weight_decay = -1; })); }, op, "weight_decay");
  expect_error([&] { train_linear_probe(train, test, 0, quick(1)); }, op, "num_classes");
  expect_error([&] { train_linear_probe(train, test, 3, quick(1)); }, op, "train label 3 at row 3 is outside [0, 3)");
  expect_error([&] { train_linear_probe(train, blobs(20, 2, {1.0f}), kClasses, quick(1)); }, op,
               "train features have D = 16 but test features have D = 17");
  expect_error([&] { train_linear_probe(train, {test.features.narrow0(0, 0), test.labels.narrow0(0, 0)}, kClasses, quick(1)); },
               op, "test set is empty");
  expect_error([&] { train_linear_probe({train.features, train.labels.to(DType::f32)}, test, kClasses, quick(1)); },
               op, "train labels must be an i64 (N) CPU tensor");
  FeatureSet bad = blobs(40, 1);
  bad.features.data<float>()[5] = NAN;
  expect_error([&] { train_linear_probe(bad, test, kClasses, quick(1)); }, op, "dimension 5 holds a non-finite value");
}

// ---- feature sets ----

TEST(ConcatFeatures, JoinsColumnsAndChecksRows) {
  const FeatureSet a{Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}),
                     Tensor::from_vector(std::vector<std::int64_t>{0, 1}, {2})};
  const FeatureSet b{Tensor::from_vector(std::vector<float>{5, 6, 7, 8, 9, 10}, {2, 3}),
                     Tensor::from_vector(std::vector<std::int64_t>{0, 1}, {2})};
  const FeatureSet ab = concat_features(a, b);
  EXPECT_EQ(ab.features.shape(), (Shape{2, 5}));
  EXPECT_EQ(ab.features.to_vector<float>(), (std::vector<float>{1, 2, 5, 6, 7, 3, 4, 8, 9, 10}));
  EXPECT_EQ(ab.labels.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1}));

  const FeatureSet three{Tensor::zeros({3, 2}), Tensor::zeros({3}, DType::i64)};
  expect_error([&] { concat_features(a, three); }, "concat_features", "2 rows vs 3");
  const FeatureSet relabelled{b.features, Tensor::from_vector(std::vector<std::int64_t>{0, 2}, {2})};
  expect_error([&] { concat_features(a, relabelled); }, "concat_features", "labels differ at row 1 (1 vs 2)");
  expect_error([&] { concat_features(a, FeatureSet{}); }, "concat_features", "second features are undefined");
}

// The blobs of two "encoders" that each see half the class information: together
// they separate all four classes.
TEST(ConcatFeatures, CombinedFeaturesProbeBetter) {
  const FeatureSet train = blobs(800, 1), test = blobs(400, 2);
  auto columns = [](const FeatureSet& s, std::int64_t from, std::int64_t to) {
    const auto x = s.features.to_vector<float>();
    const std::int64_t n = s.features.size(0);
    std::vector<float> out;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t c = from; c < to; ++c) out.push_back(x[static_cast<std::size_t>(i * kDim + c)]);
    return FeatureSet{Tensor::from_vector(out, {n, to - from}), s.labels};
  };
  // Columns 0..3 carry classes 0 and 1 (axes 0, 2); columns 4..7 classes 2 and 3.
  const FeatureSet left_train = columns(train, 0, 4), right_train = columns(train, 4, 8);
  const FeatureSet left_test = columns(test, 0, 4), right_test = columns(test, 4, 8);
  const double left = train_linear_probe(left_train, left_test, kClasses, quick()).test_top1;
  const double both = train_linear_probe(concat_features(left_train, right_train),
                                         concat_features(left_test, right_test), kClasses, quick())
                          .test_top1;
  EXPECT_LT(left, 85.0);  // classes 2 and 3 look alike: about 75%
  EXPECT_GT(both, 95.0);
}

TEST(FeatureCache, RoundTripsAndRejectsIncompleteFiles) {
  nanossl::testing::TempDir dir;
  const FeatureSet set = blobs(50, 3);
  save_features(dir.file("f.safetensors"), set);
  const FeatureSet back = load_features(dir.file("f.safetensors"));
  EXPECT_TRUE(bitwise_equal(back.features, set.features));
  EXPECT_TRUE(bitwise_equal(back.labels, set.labels));

  nn::save_safetensors(dir.file("no_labels.safetensors"), {{"features", set.features}});
  expect_error([&] { load_features(dir.file("no_labels.safetensors")); }, "load_features", "no tensor named 'labels'");
  nn::save_safetensors(dir.file("short.safetensors"), {{"features", set.features}, {"labels", set.labels.narrow0(0, 10)}});
  expect_error([&] { load_features(dir.file("short.safetensors")); }, "load_features", "50 feature rows but 10 labels");
}
