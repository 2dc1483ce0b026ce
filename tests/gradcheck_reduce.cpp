// Gradient checks of the reductions (sum, mean, max) over single dims, several
// dims, negative dims and all dims, with and without keepdim, in double on the CPU.
#include <gtest/gtest.h>

#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::randn_leaf;

namespace {

using Inputs = const std::vector<Tensor>&;
using Dims = std::vector<std::int64_t>;

struct Case {
  Shape shape;
  Dims dims;
};

// Single dims, runs of adjacent dims, separated dims, negative dims, all dims,
// and size-1 dims being reduced or kept.
const std::vector<Case> kCases = {
    {{5}, {}},          {{5}, {0}},           {{3, 4}, {0}},       {{3, 4}, {1}},
    {{3, 4}, {-1}},     {{3, 4}, {}},         {{2, 3, 4}, {0, 2}}, {{2, 3, 4}, {1, 2}},
    {{2, 3, 4}, {-3, -2}}, {{2, 1, 3}, {1}},  {{2, 1, 3}, {0, 2}}, {{1, 4, 1, 2}, {0, 1, 3}},
    {{2, 3, 2, 2}, {0, 2, 3}}, {{}, {}},
};

}  // namespace

TEST(GradcheckReduce, Sum) {
  for (const Case& c : kCases) {
    for (bool keepdim : {false, true}) {
      auto r = gradcheck([&](Inputs in) { return sum(in[0], c.dims, keepdim); }, {randn_leaf(c.shape)});
      EXPECT_TRUE(r.ok) << shape_str(c.shape) << " keepdim " << keepdim << ": " << r.message;
      EXPECT_GT(r.checked, 0);
    }
  }
}

TEST(GradcheckReduce, Mean) {
  for (const Case& c : kCases) {
    for (bool keepdim : {false, true}) {
      auto r = gradcheck([&](Inputs in) { return mean(in[0], c.dims, keepdim); }, {randn_leaf(c.shape)});
      EXPECT_TRUE(r.ok) << shape_str(c.shape) << " keepdim " << keepdim << ": " << r.message;
    }
  }
}

TEST(GradcheckReduce, MaxWithoutTies) {
  // Random normals have no ties, so the max is differentiable at every point.
  for (const Case& c : kCases) {
    for (bool keepdim : {false, true}) {
      auto r = gradcheck([&](Inputs in) { return max(in[0], c.dims, keepdim); }, {randn_leaf(c.shape)});
      EXPECT_TRUE(r.ok) << shape_str(c.shape) << " keepdim " << keepdim << ": " << r.message;
    }
  }
}

TEST(GradcheckReduce, ReductionsInsideExpressions) {
  // x - max(x) (the log-softmax shift) and a normalisation by the mean.
  auto shift = gradcheck(
      [](Inputs in) { return sum(exp(sub(in[0], max(in[0], {1}, true))), {1}); }, {randn_leaf({3, 5})});
  EXPECT_TRUE(shift.ok) << shift.message;
  auto centred = gradcheck(
      [](Inputs in) { return div(in[0], add_scalar(mean(mul(in[0], in[0]), {0}, true), 1.0)); },
      {randn_leaf({4, 3})});
  EXPECT_TRUE(centred.ok) << centred.message;
}
