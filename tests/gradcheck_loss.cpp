// Gradient checks of log_softmax and cross_entropy, in double on the CPU.
#include <gtest/gtest.h>

#include "autograd/gradcheck.h"
#include "autograd/ops/loss.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::uniform;

namespace {
Tensor leaf(const Shape& shape, std::uint64_t seed, double scale = 2.0) {
  return nanossl::testing::uniform_leaf(shape, -scale, scale, seed);
}
Tensor labels(const std::vector<std::int64_t>& values) {
  return Tensor::from_vector(values, {static_cast<std::int64_t>(values.size())});
}
using Inputs = const std::vector<Tensor>&;
}  // namespace

TEST(GradcheckLoss, LogSoftmax) {
  for (const Shape& s : {Shape{4, 5}, Shape{1, 7}, Shape{3, 1}}) {
    auto r = gradcheck([](Inputs in) { return log_softmax(in[0]); }, {leaf(s, 1)});
    EXPECT_TRUE(r.ok) << shape_str(s) << ": " << r.message;
    EXPECT_GT(r.checked, 0);
  }
}

TEST(GradcheckLoss, CrossEntropy) {
  Tensor y = labels({0, 3, 3, 1, 2});
  auto r = gradcheck([&](Inputs in) { return cross_entropy(in[0], y); }, {leaf({5, 4}, 2)});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(GradcheckLoss, CrossEntropySingleRowAndSingleClass) {
  Tensor one = labels({2});
  auto r = gradcheck([&](Inputs in) { return cross_entropy(in[0], one); }, {leaf({1, 3}, 3)});
  EXPECT_TRUE(r.ok) << r.message;
  Tensor zeros = labels({0, 0});
  auto c = gradcheck([&](Inputs in) { return cross_entropy(in[0], zeros); }, {leaf({2, 1}, 4)});
  EXPECT_TRUE(c.ok) << c.message;
}

TEST(GradcheckLoss, CrossEntropyLargeLogits) {
  Tensor y = labels({1, 0, 2});
  auto r = gradcheck([&](Inputs in) { return cross_entropy(in[0], y); }, {leaf({3, 3}, 5, 30.0)});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(GradcheckLoss, CrossEntropyAfterLogSoftmax) {
  // log_softmax is idempotent under cross_entropy; the chain exercises both backwards.
  Tensor y = labels({1, 2});
  auto r =
      gradcheck([&](Inputs in) { return cross_entropy(log_softmax(in[0]), y); }, {leaf({2, 4}, 6)});
  EXPECT_TRUE(r.ok) << r.message;
}
