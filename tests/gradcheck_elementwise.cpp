// Gradient checks of the elementwise ops (add, sub, mul, div with broadcasting;
// neg, exp, log, sqrt, pow, relu, scalar ops; sum_to_shape and expand_to), in
// double on the CPU.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/ops/broadcast.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::randn_leaf;
using nanossl::testing::uniform_leaf;  // positive inputs for log/sqrt/pow, divisors away from 0

namespace {

using Inputs = const std::vector<Tensor>&;

// Pairs of shapes covering same-shape, broadcasting both ways, size-1 dims and
// scalar operands.
const std::vector<std::pair<Shape, Shape>> kShapePairs = {
    {{3, 4}, {3, 4}},    {{3, 1, 5}, {4, 1}}, {{1}, {2, 3}},     {{2, 3}, {}},
    {{1, 1}, {3, 1}},    {{2, 1, 3}, {2, 4, 1}}, {{4}, {3, 1}}, {{2, 3, 4}, {1, 3, 1}},
};

}  // namespace

TEST(GradcheckElementwise, AddBroadcasts) {
  for (const auto& [sa, sb] : kShapePairs) {
    auto r = gradcheck([](Inputs in) { return add(in[0], in[1]); }, {randn_leaf(sa), randn_leaf(sb)});
    EXPECT_TRUE(r.ok) << shape_str(sa) << " + " << shape_str(sb) << ": " << r.message;
    EXPECT_GT(r.checked, 0);
  }
}

TEST(GradcheckElementwise, SubBroadcasts) {
  for (const auto& [sa, sb] : kShapePairs) {
    auto r = gradcheck([](Inputs in) { return sub(in[0], in[1]); }, {randn_leaf(sa), randn_leaf(sb)});
    EXPECT_TRUE(r.ok) << shape_str(sa) << " - " << shape_str(sb) << ": " << r.message;
  }
}

TEST(GradcheckElementwise, MulBroadcasts) {
  for (const auto& [sa, sb] : kShapePairs) {
    auto r = gradcheck([](Inputs in) { return mul(in[0], in[1]); }, {randn_leaf(sa), randn_leaf(sb)});
    EXPECT_TRUE(r.ok) << shape_str(sa) << " * " << shape_str(sb) << ": " << r.message;
  }
}

TEST(GradcheckElementwise, DivBroadcasts) {
  std::uint64_t seed = 10;
  for (const auto& [sa, sb] : kShapePairs) {
    auto r = gradcheck([](Inputs in) { return div(in[0], in[1]); },
                       {randn_leaf(sa), uniform_leaf(sb, 0.5, 2.0, ++seed)});
    EXPECT_TRUE(r.ok) << shape_str(sa) << " / " << shape_str(sb) << ": " << r.message;
  }
}

TEST(GradcheckElementwise, SameTensorOnBothSides) {
  Tensor x = uniform_leaf({3, 2}, 0.5, 2.0, 3);
  auto square = gradcheck([](Inputs in) { return mul(in[0], in[0]); }, {x});
  EXPECT_TRUE(square.ok) << square.message;
  auto ratio = gradcheck([](Inputs in) { return div(add(in[0], in[0]), in[0]); }, {x});
  EXPECT_TRUE(ratio.ok) << ratio.message;
}

TEST(GradcheckElementwise, OnlyOneInputNeedsGrad) {
  Tensor constant = nanossl::testing::uniform({4, 1}, 0.5, 2.0, DType::f64, 4);
  for (int which = 0; which < 2; ++which) {
    auto mul_r = gradcheck([&](Inputs in) { return which ? mul(constant, in[0]) : mul(in[0], constant); },
                           {randn_leaf({3, 1, 5})});
    EXPECT_TRUE(mul_r.ok) << mul_r.message;
    auto div_r = gradcheck([&](Inputs in) { return which ? div(constant, in[0]) : div(in[0], constant); },
                           {uniform_leaf({3, 1, 5}, 0.5, 2.0, 5)});
    EXPECT_TRUE(div_r.ok) << div_r.message;
  }
}

TEST(GradcheckElementwise, NegAndScalarOps) {
  for (const Shape& s : {Shape{5}, Shape{2, 1, 3}, Shape{}}) {
    auto n = gradcheck([](Inputs in) { return neg(in[0]); }, {randn_leaf(s)});
    EXPECT_TRUE(n.ok) << n.message;
    auto a = gradcheck([](Inputs in) { return add_scalar(in[0], 2.5); }, {randn_leaf(s)});
    EXPECT_TRUE(a.ok) << a.message;
    auto m = gradcheck([](Inputs in) { return mul_scalar(in[0], -1.5); }, {randn_leaf(s)});
    EXPECT_TRUE(m.ok) << m.message;
  }
}

TEST(GradcheckElementwise, Operators) {
  auto r = gradcheck([](Inputs in) { return (2.0 - in[0] * 3.0) / 4.0 + in[1] - (-in[0] + 1.0); },
                     {randn_leaf({2, 3}), randn_leaf({3})});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(GradcheckElementwise, Exp) {
  for (const Shape& s : {Shape{4}, Shape{3, 1, 2}, Shape{1}}) {
    auto r = gradcheck([](Inputs in) { return exp(in[0]); }, {randn_leaf(s)});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(GradcheckElementwise, LogOfPositiveInputs) {
  for (const Shape& s : {Shape{4}, Shape{3, 1, 2}, Shape{1}}) {
    auto r = gradcheck([](Inputs in) { return log(in[0]); }, {uniform_leaf(s, 0.2, 3.0, 6)});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(GradcheckElementwise, SqrtOfPositiveInputs) {
  for (const Shape& s : {Shape{4}, Shape{3, 1, 2}, Shape{1}}) {
    auto r = gradcheck([](Inputs in) { return sqrt(in[0]); }, {uniform_leaf(s, 0.2, 3.0, 7)});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(GradcheckElementwise, PowWithSeveralExponents) {
  for (double e : {2.0, 3.0, 1.0, 0.5, -1.5, 0.0}) {
    auto r = gradcheck([e](Inputs in) { return pow(in[0], e); }, {uniform_leaf({3, 1, 4}, 0.3, 2.0, 8)});
    EXPECT_TRUE(r.ok) << "exponent " << e << ": " << r.message;
  }
  // Integer exponents are defined for negative inputs too.
  auto cube = gradcheck([](Inputs in) { return pow(in[0], 3.0); }, {randn_leaf({2, 5})});
  EXPECT_TRUE(cube.ok) << cube.message;
}

TEST(GradcheckElementwise, ReluAwayFromTheKink) {
  for (const Shape& s : {Shape{7}, Shape{3, 1, 4}, Shape{1}}) {
    auto r = gradcheck([](Inputs in) { return relu(in[0]); }, {randn_leaf(s)});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(GradcheckElementwise, SumToShape) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 4}, {4}}, {{3, 4}, {3, 1}}, {{2, 3, 4}, {1, 3, 1}}, {{2, 3}, {}}, {{2, 3}, {2, 3}}};
  for (const auto& [from, to] : cases) {
    auto r = gradcheck([to](Inputs in) { return sum_to_shape(in[0], to); }, {randn_leaf(from)});
    EXPECT_TRUE(r.ok) << shape_str(from) << " -> " << shape_str(to) << ": " << r.message;
  }
}

TEST(GradcheckElementwise, ExpandTo) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{4}, {3, 4}}, {{3, 1}, {3, 4}}, {{1, 3, 1}, {2, 3, 4}}, {{}, {2, 3}}};
  for (const auto& [from, to] : cases) {
    auto r = gradcheck([to](Inputs in) { return expand_to(in[0], to); }, {randn_leaf(from)});
    EXPECT_TRUE(r.ok) << shape_str(from) << " -> " << shape_str(to) << ": " << r.message;
  }
}

TEST(GradcheckElementwise, Composite) {
  // A small softplus-like expression mixing every family.
  auto r = gradcheck(
      [](Inputs in) {
        Tensor z = add(mul(in[0], in[1]), in[2]);          // (4,3) * (3) + (4,1)
        return sqrt(add_scalar(log(add_scalar(exp(z), 1.0)), 0.1));
      },
      {randn_leaf({4, 3}), randn_leaf({3}), randn_leaf({4, 1})});
  EXPECT_TRUE(r.ok) << r.message;
}
