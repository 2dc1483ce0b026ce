// Weighted kNN: hand-computed votes on 2-D points (k = 1 and 3, the temperature
// deciding between a near neighbour and a far majority), tie rules, per-class
// accuracy, k beyond the training set, chunking, a brute-force reference, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "ssl/knn.h"
#include "test_util.h"

using namespace nanossl;
using namespace nanossl::ssl;

namespace {

FeatureSet make_set(const std::vector<float>& features, std::int64_t dim, const std::vector<std::int64_t>& labels) {
  return {Tensor::from_vector(features, {static_cast<std::int64_t>(labels.size()), dim}),
          Tensor::from_vector(labels, {static_cast<std::int64_t>(labels.size())})};
}

// Four unit directions: 0 deg (class 0), +60 and -60 deg (class 1), 180 deg (class 2).
FeatureSet compass() {
  const float c = 0.5f, s = static_cast<float>(std::sqrt(3.0) / 2);
  return make_set({1, 0, c, s, c, -s, -1, 0}, 2, {0, 1, 1, 2});
}

KnnOptions options(std::int64_t k, double temperature, std::int64_t chunk = 1024) {
  KnnOptions o;
  o.k = k;
  o.temperature = temperature;
  o.chunk = chunk;
  return o;
}

template <class F>
void expect_error(F body, const std::string& piece) {
  try {
    body();
    FAIL() << "no exception thrown; expected one containing '" << piece << "'";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("[knn_classify]"), std::string::npos) << message;
    EXPECT_NE(message.find(piece), std::string::npos) << message;
  }
}

}  // namespace

// The query (3, 0) has cosine 1 with class 0's point and 0.5 with both class-1
// points. k = 1 takes the nearest. With k = 3 class 0 scores exp(0) = 1 and class 1
// 2 exp(-0.5 / T): class 0 wins iff T < 0.5 / ln 2 = 0.721.
TEST(Knn, NearestNeighbourAndTemperatureWeighting) {
  const FeatureSet train = compass();
  const FeatureSet query = make_set({3, 0}, 2, {0});
  EXPECT_EQ(knn_classify(train, query, 3, options(1, 0.1)).predictions, std::vector<std::int64_t>{0});
  EXPECT_EQ(knn_classify(train, query, 3, options(1, 10.0)).predictions, std::vector<std::int64_t>{0});
  EXPECT_EQ(knn_classify(train, query, 3, options(3, 0.1)).predictions, std::vector<std::int64_t>{0});
  EXPECT_EQ(knn_classify(train, query, 3, options(3, 0.7)).predictions, std::vector<std::int64_t>{0});
  EXPECT_EQ(knn_classify(train, query, 3, options(3, 0.75)).predictions, std::vector<std::int64_t>{1});
  EXPECT_EQ(knn_classify(train, query, 3, options(3, 1.0)).predictions, std::vector<std::int64_t>{1});
}

// The query (0, 1) is orthogonal to both training points (cosine exactly 0): k = 1
// takes the lower training index (class 2); with k = 2 both vote with equal weight
// and the lower class (1) wins.
TEST(Knn, SimilarityTiesPreferTheLowerTrainingIndex) {
  const FeatureSet train = make_set({1, 0, -1, 0}, 2, {2, 1});
  const FeatureSet query = make_set({0, 1}, 2, {0});
  EXPECT_EQ(knn_classify(train, query, 3, options(1, 0.1)).predictions, std::vector<std::int64_t>{2});
}

TEST(Knn, ScoreTiesPreferTheLowestClass) {
  const FeatureSet train = make_set({1, 0, -1, 0}, 2, {2, 1});
  const FeatureSet query = make_set({0, 1}, 2, {0});
  EXPECT_EQ(knn_classify(train, query, 3, options(2, 0.1)).predictions, std::vector<std::int64_t>{1});
}

// Queries whose nearest training point is clear: 0 deg (class 0, right), 60 deg
// (class 1, right), near 180 deg twice (class 2, right), near 80 deg labelled 0
// (nearest +60: class 1, wrong), near -85 deg labelled 2 (nearest -60: wrong).
TEST(Knn, TopOneAndPerClassAccuracy) {
  const FeatureSet train = compass();
  const float c = 0.5f, s = static_cast<float>(std::sqrt(3.0) / 2);
  const FeatureSet test = make_set({1, 0, c, s, -1, 0.2f, -2, 0, 0.2f, 1, 0.1f, -1}, 2, {0, 1, 2, 2, 0, 2});
  const KnnResult r = knn_classify(train, test, 4, options(1, 0.1));
  EXPECT_EQ(r.predictions, (std::vector<std::int64_t>{0, 1, 2, 2, 1, 1}));
  EXPECT_EQ(r.images, 6);
  EXPECT_NEAR(r.top1, 400.0 / 6.0, 1e-12);
  ASSERT_EQ(r.per_class.size(), 4u);
  EXPECT_DOUBLE_EQ(r.per_class[0], 50.0);
  EXPECT_DOUBLE_EQ(r.per_class[1], 100.0);
  EXPECT_NEAR(r.per_class[2], 200.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.per_class[3], 0.0);  // no test image of class 3
}

// k = 100 on 4 training points is k = 4: at T = 0.1 class 0 scores 1, class 1
// 2 exp(-5), class 2 exp(-20); at T = 10 class 1 (2 exp(-0.05) = 1.90) beats class 0
// (1) and class 2 (exp(-0.2) = 0.82).
TEST(Knn, KIsClampedToTheTrainingSet) {
  const FeatureSet train = compass();
  const FeatureSet query = make_set({1, 0}, 2, {0});
  EXPECT_EQ(knn_classify(train, query, 3, options(100, 0.1)).predictions, std::vector<std::int64_t>{0});
  EXPECT_EQ(knn_classify(train, query, 3, options(100, 10.0)).predictions,
            knn_classify(train, query, 3, options(4, 10.0)).predictions);
  EXPECT_EQ(knn_classify(train, query, 3, options(100, 10.0)).predictions, std::vector<std::int64_t>{1});
}

// Random clustered data: any chunk size gives the same predictions, which match a
// plain double-precision implementation of the formula.
TEST(Knn, ChunksAndReference) {
  const std::int64_t d = 8, classes = 5, n_train = 500, n_test = 203;
  auto make = [&](std::int64_t n, std::uint64_t seed) {
    const std::vector<double> noise = nanossl::testing::uniform({n, d}, -1.0, 1.0, DType::f64, seed).to_vector<double>();
    std::vector<float> x(static_cast<std::size_t>(n * d));
    std::vector<std::int64_t> y(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      y[static_cast<std::size_t>(i)] = i % classes;
      for (std::int64_t c = 0; c < d; ++c) {
        const double centre = c == i % classes ? 1.0 : 0.0;
        x[static_cast<std::size_t>(i * d + c)] = static_cast<float>(centre + 0.8 * noise[static_cast<std::size_t>(i * d + c)]);
      }
    }
    return make_set(x, d, y);
  };
  const FeatureSet train = make(n_train, 1), test = make(n_test, 2);
  const KnnResult whole = knn_classify(train, test, classes, options(20, 0.07));
  for (std::int64_t chunk : {1, 7, 64, 202, 203}) {
    const KnnResult part = knn_classify(train, test, classes, options(20, 0.07, chunk));
    EXPECT_EQ(part.predictions, whole.predictions) << "chunk " << chunk;
    EXPECT_EQ(part.top1, whole.top1) << "chunk " << chunk;
  }
  EXPECT_GT(whole.top1, 50.0);  // clearly above the 20% of chance

  // Reference: normalise in double, sort all similarities, vote.
  const auto xt = train.features.to(DType::f64).to_vector<double>();
  const auto xq = test.features.to(DType::f64).to_vector<double>();
  auto unit = [&](const std::vector<double>& x, std::int64_t i) {
    std::vector<double> v(x.begin() + i * d, x.begin() + (i + 1) * d);
    const double norm = std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0));
    for (double& e : v) e /= norm;
    return v;
  };
  const auto yt = train.labels.to_vector<std::int64_t>();
  for (std::int64_t q = 0; q < n_test; ++q) {
    const auto u = unit(xq, q);
    std::vector<std::pair<double, std::int64_t>> sims;
    for (std::int64_t j = 0; j < n_train; ++j) {
      const auto v = unit(xt, j);
      sims.emplace_back(-std::inner_product(u.begin(), u.end(), v.begin(), 0.0), j);
    }
    std::sort(sims.begin(), sims.end());
    std::vector<double> score(classes, 0.0);
    for (int r = 0; r < 20; ++r) score[static_cast<std::size_t>(yt[static_cast<std::size_t>(sims[r].second)])] += std::exp(-sims[r].first / 0.07);
    const auto best = std::max_element(score.begin(), score.end()) - score.begin();
    EXPECT_EQ(whole.predictions[static_cast<std::size_t>(q)], best) << "test row " << q;
  }
}

TEST(Knn, ZeroFeatureRowsDoNotProduceNaN) {
  const FeatureSet train = make_set({0, 0, 1, 0}, 2, {0, 1});
  const FeatureSet query = make_set({0, 0}, 2, {0});
  // All similarities are 0: a score tie between classes 0 and 1 with k = 2.
  EXPECT_EQ(knn_classify(train, query, 2, options(2, 0.1)).predictions, std::vector<std::int64_t>{0});
}

TEST(Knn, Errors) {
  const FeatureSet train = compass();
  const FeatureSet query = make_set({1, 0}, 2, {0});
  expect_error([&] { knn_classify(train, make_set({1, 0, 0}, 3, {0}), 3, options(1, 0.1)); }, "D = 2");
  expect_error([&] { knn_classify(train, query, 3, options(0, 0.1)); }, "k must be >= 1");
  expect_error([&] { knn_classify(train, query, 3, options(1, 0.0)); }, "temperature");
  expect_error([&] { knn_classify(train, query, 3, options(1, -1.0)); }, "temperature");
  expect_error([&] { knn_classify(train, query, 3, options(1, INFINITY)); }, "temperature");
  expect_error([&] { knn_classify(train, query, 3, options(1, NAN)); }, "temperature");
  expect_error([&] { knn_classify(train, query, 3, options(1, 0.1, 0)); }, "chunk");
  expect_error([&] { knn_classify(train, query, 0, options(1, 0.1)); }, "num_classes");
  expect_error([&] { knn_classify(train, query, 2, options(1, 0.1)); }, "train label 2 at row 3 is outside [0, 2)");
  expect_error([&] { knn_classify(train, make_set({1, 0}, 2, {-1}), 3, options(1, 0.1)); }, "test label -1");
  expect_error([&] { knn_classify(make_set({}, 2, {}), query, 3, options(1, 0.1)); }, "train set is empty");
  expect_error([&] { knn_classify(train, make_set({}, 2, {}), 3, options(1, 0.1)); }, "test set is empty");
  expect_error([&] { knn_classify(train, FeatureSet{}, 3, options(1, 0.1)); }, "test features are undefined");
  expect_error([&] { knn_classify({train.features.to(DType::f64), train.labels}, query, 3, options(1, 0.1)); },
               "f32 (N, D)");
  expect_error([&] { knn_classify({train.features, train.labels.narrow0(0, 3)}, query, 3, options(1, 0.1)); },
               "4 feature rows but 3 labels");
  expect_error([&] { knn_classify(make_set({1, NAN, 0, 1}, 2, {0, 1}), query, 3, options(1, 0.1)); },
               "train row 0 has a non-finite feature");
}
