// Elementwise ops and reductions against hand-computed values in f32 and f64:
// broadcast plans and semantics, scalar ops, unary math, reductions with keepdim
// and negative dims, argmax, tie handling in max's backward, error messages, and
// large inputs that take the parallel and blocked kernel paths.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"
#include "cpu/broadcast.h"
#include "test_util.h"

using namespace nanossl;

namespace {

using Values = std::vector<double>;

Tensor make(const Values& values, const Shape& shape, DType dtype) {
  return Tensor::from_vector(values, shape).to(dtype);
}

Values values_of(const Tensor& t) { return t.to(DType::f64).to_vector<double>(); }

// Expects `fn` to throw std::invalid_argument whose message contains every part.
template <class F>
void expect_error(F fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no exception; expected one containing '" << parts.front() << "'";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << message << "' lacks '" << part << "'";
    }
  }
}

Tensor arange24(DType dtype) { return Tensor::arange(0, 24, 1, dtype).view({2, 3, 4}); }

class UnitElementwise : public ::testing::TestWithParam<DType> {};

}  // namespace

// ---- broadcast plans ----

TEST(BroadcastPlan, SimplifiesToFastPaths) {
  const cpu::BroadcastPlan same = cpu::make_broadcast_plan("add", {3, 4}, {3, 4});
  EXPECT_EQ(same.ndim, 1);
  EXPECT_EQ(same.shape[0], 12);
  EXPECT_EQ(same.a_stride[0], 1);
  EXPECT_EQ(same.b_stride[0], 1);

  const cpu::BroadcastPlan scalar = cpu::make_broadcast_plan("mul", {2, 3}, {});
  EXPECT_EQ(scalar.ndim, 1);
  EXPECT_EQ(scalar.numel, 6);
  EXPECT_EQ(scalar.a_stride[0], 1);
  EXPECT_EQ(scalar.b_stride[0], 0);

  const cpu::BroadcastPlan bias = cpu::make_broadcast_plan("add", {8, 3, 5, 5}, {1, 3, 1, 1});
  ASSERT_EQ(bias.ndim, 3);
  EXPECT_EQ(bias.shape[0], 8);
  EXPECT_EQ(bias.shape[1], 3);
  EXPECT_EQ(bias.shape[2], 25);
  EXPECT_EQ(bias.a_stride[0], 75);
  EXPECT_EQ(bias.a_stride[1], 25);
  EXPECT_EQ(bias.a_stride[2], 1);
  EXPECT_EQ(bias.b_stride[0], 0);
  EXPECT_EQ(bias.b_stride[1], 1);
  EXPECT_EQ(bias.b_stride[2], 0);

  const cpu::BroadcastPlan one = cpu::make_broadcast_plan("add", {}, {1, 1});
  EXPECT_EQ(one.ndim, 1);
  EXPECT_EQ(one.numel, 1);
}

TEST(BroadcastPlan, ShapesAndErrors) {
  EXPECT_EQ(cpu::broadcast_shape("add", {3, 1, 5}, {4, 1}), (Shape{3, 4, 5}));
  EXPECT_EQ(cpu::broadcast_shape("add", {1}, {2, 3}), (Shape{2, 3}));
  EXPECT_EQ(cpu::broadcast_shape("add", {0, 3}, {3}), (Shape{0, 3}));
  EXPECT_EQ(cpu::make_broadcast_plan("add", {0, 3}, {1}).numel, 0);
  expect_error([] { cpu::broadcast_shape("add", {3, 4}, {5}); }, {"[add] shapes 3x4 and 5 cannot broadcast"});
  expect_error([] { cpu::make_broadcast_plan("div", {2, 3}, {3, 1, 2}); },
               {"[div] shapes 2x3 and 3x1x2 cannot broadcast"});
  // 9 dims that cannot merge (alternating broadcast pattern).
  expect_error([] { cpu::make_broadcast_plan("mul", {2, 1, 2, 1, 2, 1, 2, 1, 2}, {1, 2, 1, 2, 1, 2, 1, 2, 1}); },
               {"[mul]", "more than 8 dims"});
}

// ---- binary ops ----

TEST_P(UnitElementwise, AddBroadcastsRowsAndScalars) {
  const DType dt = GetParam();
  Tensor a = make({1, 2, 3, 4, 5, 6}, {2, 3}, dt);
  Tensor out = add(a, make({10, 20, 30}, {3}, dt));
  EXPECT_EQ(out.shape(), (Shape{2, 3}));
  EXPECT_EQ(out.dtype(), dt);
  EXPECT_EQ(values_of(out), (Values{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ(values_of(add(make({0.5}, {}, dt), a)), (Values{1.5, 2.5, 3.5, 4.5, 5.5, 6.5}));
  EXPECT_EQ(values_of(a + make({100}, {1}, dt)), (Values{101, 102, 103, 104, 105, 106}));
}

TEST_P(UnitElementwise, MulIsAnOuterProductOfColumnAndRow) {
  const DType dt = GetParam();
  Tensor out = mul(make({1, 2, 3}, {3, 1}, dt), make({1, 10, 100, 1000}, {1, 4}, dt));
  EXPECT_EQ(out.shape(), (Shape{3, 4}));
  EXPECT_EQ(values_of(out), (Values{1, 10, 100, 1000, 2, 20, 200, 2000, 3, 30, 300, 3000}));
}

TEST_P(UnitElementwise, SubAndDivBroadcastBothWays) {
  const DType dt = GetParam();
  Tensor col = make({10, 20}, {2, 1}, dt), row = make({1, 2, 4}, {3}, dt);
  EXPECT_EQ(values_of(sub(col, row)), (Values{9, 8, 6, 19, 18, 16}));
  EXPECT_EQ(values_of(sub(row, col)), (Values{-9, -8, -6, -19, -18, -16}));
  EXPECT_EQ(values_of(div(col, row)), (Values{10, 5, 2.5, 20, 10, 5}));
  EXPECT_EQ(values_of(div(row, make({2}, {}, dt))), (Values{0.5, 1, 2}));
  // (3,1,2) with (2,1): out (3,2,2), out[i,j,k] = a[i,0,k] - b[j,0].
  Tensor a = make({1, 2, 3, 4, 5, 6}, {3, 1, 2}, dt), b = make({10, 100}, {2, 1}, dt);
  Tensor out = sub(a, b);
  EXPECT_EQ(out.shape(), (Shape{3, 2, 2}));
  EXPECT_EQ(values_of(out), (Values{-9, -8, -99, -98, -7, -6, -97, -96, -5, -4, -95, -94}));
}

TEST_P(UnitElementwise, LargeBroadcastMatchesALoop) {
  // 300x7x50 + 7x1: more than one parallel chunk, chunks starting mid-row.
  const DType dt = GetParam();
  Tensor a = nanossl::testing::uniform({300, 7, 50}, -1, 1, dt, 1);
  Tensor b = nanossl::testing::uniform({7, 1}, -1, 1, dt, 2);
  const Values out = values_of(mul(a, b)), va = values_of(a), vb = values_of(b);
  ASSERT_EQ(out.size(), va.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < va.size(); ++i) {
    const double expected = dt == DType::f32 ? static_cast<double>(static_cast<float>(va[i]) *
                                                                   static_cast<float>(vb[(i / 50) % 7]))
                                             : va[i] * vb[(i / 50) % 7];
    mismatches += out[i] != expected;
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST_P(UnitElementwise, EmptyTensorsBroadcast) {
  const DType dt = GetParam();
  Tensor out = add(Tensor::zeros({0, 3}, dt), Tensor::ones({3}, dt));
  EXPECT_EQ(out.shape(), (Shape{0, 3}));
  EXPECT_EQ(out.numel(), 0);
}

// ---- unary and scalar ops ----

TEST_P(UnitElementwise, UnaryMath) {
  const DType dt = GetParam();
  const double tol = dt == DType::f32 ? 1e-6 : 1e-14;
  Tensor x = make({1, 4, 9}, {3}, dt);
  EXPECT_TRUE(nanossl::testing::all_close(sqrt(x), make({1, 2, 3}, {3}, dt), tol, tol));
  EXPECT_TRUE(nanossl::testing::all_close(pow(x, 0.5), make({1, 2, 3}, {3}, dt), tol, tol));
  EXPECT_TRUE(nanossl::testing::all_close(pow(x, 2.0), make({1, 16, 81}, {3}, dt), 0, 0));
  EXPECT_TRUE(nanossl::testing::all_close(pow(x, -1.0), make({1, 0.25, 1.0 / 9}, {3}, dt), tol, tol));
  EXPECT_TRUE(nanossl::testing::all_close(exp(make({0, 1}, {2}, dt)), make({1, std::exp(1.0)}, {2}, dt), tol, tol));
  EXPECT_TRUE(nanossl::testing::all_close(log(make({1, std::exp(2.0)}, {2}, dt)), make({0, 2}, {2}, dt), tol, tol));
  EXPECT_EQ(values_of(neg(make({1, -2, 0}, {3}, dt))), (Values{-1, 2, 0}));
  EXPECT_EQ(values_of(relu(make({-1, 0, 2.5, -0.5}, {2, 2}, dt))), (Values{0, 0, 2.5, 0}));
}

TEST_P(UnitElementwise, ReluKeepsNaN) {
  const DType dt = GetParam();
  const Values out = values_of(relu(make({std::numeric_limits<double>::quiet_NaN(), -1}, {2}, dt)));
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_EQ(out[1], 0);
}

TEST_P(UnitElementwise, ScalarOpsAndOperators) {
  const DType dt = GetParam();
  Tensor x = make({1, 2, 3}, {3}, dt);
  EXPECT_EQ(values_of(add_scalar(x, 0.5)), (Values{1.5, 2.5, 3.5}));
  EXPECT_EQ(values_of(mul_scalar(x, -2)), (Values{-2, -4, -6}));
  EXPECT_EQ(values_of(x + 1.0), (Values{2, 3, 4}));
  EXPECT_EQ(values_of(1.0 - x), (Values{0, -1, -2}));
  EXPECT_EQ(values_of(x - 1.0), (Values{0, 1, 2}));
  EXPECT_EQ(values_of(2.0 * x), (Values{2, 4, 6}));
  EXPECT_EQ(values_of(x / 2.0), (Values{0.5, 1, 1.5}));
  EXPECT_EQ(values_of(-x), (Values{-1, -2, -3}));
  EXPECT_EQ(values_of(x * x - x / x), (Values{0, 3, 8}));
}

// ---- reductions ----

TEST_P(UnitElementwise, SumOverDimsWithKeepdimAndNegativeDims) {
  const DType dt = GetParam();
  Tensor x = arange24(dt);
  Tensor all = sum(x);
  EXPECT_EQ(all.shape(), Shape{});
  EXPECT_EQ(all.item(), 276);
  Tensor d1 = sum(x, {1});
  EXPECT_EQ(d1.shape(), (Shape{2, 4}));
  EXPECT_EQ(values_of(d1), (Values{12, 15, 18, 21, 48, 51, 54, 57}));
  Tensor last = sum(x, {-1}, true);
  EXPECT_EQ(last.shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(values_of(last), (Values{6, 22, 38, 54, 70, 86}));
  Tensor outer = sum(x, {0, -1});
  EXPECT_EQ(outer.shape(), (Shape{3}));
  EXPECT_EQ(values_of(outer), (Values{60, 92, 124}));
  EXPECT_EQ(sum(x, {2, 0}, true).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(sum(x, {}, true).shape(), (Shape{1, 1, 1}));
}

TEST_P(UnitElementwise, MeanOverDims) {
  const DType dt = GetParam();
  Tensor x = arange24(dt);
  EXPECT_EQ(mean(x).item(), 11.5);
  EXPECT_EQ(values_of(mean(x, {0, 2})), (Values{7.5, 11.5, 15.5}));
  Tensor rows = mean(x, {-1}, true);
  EXPECT_EQ(rows.shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(values_of(rows), (Values{1.5, 5.5, 9.5, 13.5, 17.5, 21.5}));
}

TEST_P(UnitElementwise, MaxOverDims) {
  const DType dt = GetParam();
  Tensor x = arange24(dt);
  EXPECT_EQ(max(x).item(), 23);
  Tensor d1 = max(x, {1});
  EXPECT_EQ(d1.shape(), (Shape{2, 4}));
  EXPECT_EQ(values_of(d1), (Values{8, 9, 10, 11, 20, 21, 22, 23}));
  Tensor keep = max(x, {0, -1}, true);
  EXPECT_EQ(keep.shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(values_of(keep), (Values{15, 19, 23}));
  EXPECT_EQ(values_of(max(neg(x), {0})), values_of(neg(sum(x, {0}, false) - max(x, {0}))));
}

TEST_P(UnitElementwise, MaxPropagatesNaN) {
  const DType dt = GetParam();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = make({1, nan, 3, 4, 5, 6}, {2, 3}, dt);
  const Values rows = values_of(max(x, {1}));
  EXPECT_TRUE(std::isnan(rows[0]));
  EXPECT_EQ(rows[1], 6);
  EXPECT_EQ(argmax(x, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 2}));
}

TEST_P(UnitElementwise, ArgmaxTakesTheFirstMaximum) {
  const DType dt = GetParam();
  Tensor x = make({1, 3, 3, 2, 5, 0, 5, -1}, {2, 4}, dt);
  Tensor rows = argmax(x, 1);
  EXPECT_EQ(rows.dtype(), DType::i64);
  EXPECT_EQ(rows.shape(), (Shape{2}));
  EXPECT_EQ(rows.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(argmax(x, -1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(argmax(x, 0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 1, 0}));
  Tensor cube = arange24(dt);
  EXPECT_EQ(argmax(cube, 1).shape(), (Shape{2, 4}));
  EXPECT_EQ(argmax(cube, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>(8, 2)));
}

TEST_P(UnitElementwise, LargeReductionsMatchDoubleReferences) {
  const DType dt = GetParam();
  const double rtol = dt == DType::f32 ? 1e-6 : 1e-12;
  // Long rows (blocked), many short rows, and tall columns (blocked over rows).
  for (const Shape& shape : {Shape{2, 100003}, Shape{5000, 13}, Shape{70001, 3}}) {
    Tensor x = nanossl::testing::uniform(shape, -1, 2, dt, 7);
    const Values v = values_of(x);
    const std::int64_t rows = shape[0], cols = shape[1];
    Values row_sum(rows, 0.0), col_sum(cols, 0.0), row_max(rows, -1e300), col_max(cols, -1e300);
    for (std::int64_t i = 0; i < rows; ++i) {
      for (std::int64_t j = 0; j < cols; ++j) {
        const double e = v[i * cols + j];
        row_sum[i] += e;
        col_sum[j] += e;
        row_max[i] = std::max(row_max[i], e);
        col_max[j] = std::max(col_max[j], e);
      }
    }
    EXPECT_TRUE(nanossl::testing::all_close(sum(x, {1}), make(row_sum, {rows}, dt), 1e-6, rtol))
        << shape_str(shape);
    EXPECT_TRUE(nanossl::testing::all_close(sum(x, {0}), make(col_sum, {cols}, dt), 1e-6, rtol))
        << shape_str(shape);
    EXPECT_EQ(values_of(max(x, {1})), values_of(make(row_max, {rows}, dt))) << shape_str(shape);
    EXPECT_EQ(values_of(max(x, {0})), values_of(make(col_max, {cols}, dt))) << shape_str(shape);
  }
}

TEST_P(UnitElementwise, SumDoesNotDependOnTheThreadCount) {
  const DType dt = GetParam();
  Tensor x = nanossl::testing::uniform({3, 200000}, -1, 1, dt, 9);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const Values one = values_of(sum(x, {1})), one_col = values_of(sum(x.view({600, 1000}), {0}));
  omp_set_num_threads(std::max(threads, 3));
  EXPECT_EQ(values_of(sum(x, {1})), one);
  EXPECT_EQ(values_of(sum(x.view({600, 1000}), {0})), one_col);
  omp_set_num_threads(threads);
}

TEST_P(UnitElementwise, EmptyReductions) {
  const DType dt = GetParam();
  Tensor empty = Tensor::zeros({3, 0}, dt);
  EXPECT_EQ(values_of(sum(empty, {1})), (Values{0, 0, 0}));
  EXPECT_EQ(sum(empty, {0}).shape(), (Shape{0}));
  expect_error([&] { max(empty, {1}); }, {"[max]", "size 0", "3x0"});
  expect_error([&] { argmax(empty, 1); }, {"[argmax]", "size 0"});
}

// ---- gradients with ties ----

TEST(UnitElementwiseGrad, MaxSharesTheGradientAmongTies) {
  Tensor x = Tensor::from_vector(Values{1, 3, 3, 2}, {4});
  x.set_requires_grad();
  backward(max(x, {0}));
  EXPECT_EQ(values_of(x.grad()), (Values{0, 0.5, 0.5, 0}));

  // Ties across several reduced dims share equally over the whole set.
  Tensor y = Tensor::from_vector(Values{1, 1, 1, 0}, {2, 2});
  y.set_requires_grad();
  backward(mul_scalar(max(y), 3.0));
  EXPECT_TRUE(nanossl::testing::all_close(y.grad(), Tensor::from_vector(Values{1, 1, 1, 0}, {2, 2}), 1e-15, 0));
}

TEST(UnitElementwiseGrad, BroadcastGradientsAreSummed) {
  Tensor a = Tensor::ones({2, 3}, DType::f64), b = Tensor::from_vector(Values{1, 2, 3}, {3});
  a.set_requires_grad();
  b.set_requires_grad();
  backward(sum(mul(a, b)));
  EXPECT_EQ(values_of(a.grad()), (Values{1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(values_of(b.grad()), (Values{2, 2, 2}));
  EXPECT_EQ(b.grad().shape(), (Shape{3}));
}

TEST(UnitElementwiseGrad, ReluGradientIsZeroAtAndBelowZero) {
  Tensor x = Tensor::from_vector(Values{-1, 0, 2}, {3});
  x.set_requires_grad();
  backward(sum(relu(x)));
  EXPECT_EQ(values_of(x.grad()), (Values{0, 0, 1}));
}

// ---- errors ----

TEST(UnitElementwiseErrors, MessagesNameTheOpAndShapes) {
  Tensor a = Tensor::zeros({3, 4}), b = Tensor::zeros({5});
  expect_error([&] { add(a, b); }, {"[add] shapes 3x4 and 5 cannot broadcast"});
  expect_error([&] { mul(b, a); }, {"[mul] shapes 5 and 3x4 cannot broadcast"});
  expect_error([&] { sub(a, Tensor::zeros({3, 4}, DType::f64)); }, {"[sub]", "different dtypes"});
  expect_error([&] { div(Tensor::zeros({2}, DType::i64), Tensor::zeros({2}, DType::i64)); },
               {"[div]", "f32 or f64"});
  expect_error([&] { exp(Tensor::zeros({2}, DType::u8)); }, {"[exp]", "f32 or f64"});
  expect_error([&] { sum_to_shape(a, {5}); }, {"[sum_to_shape]", "3x4", "5"});
  expect_error([&] { sum_to_shape(a, {2, 3, 4}); }, {"[sum_to_shape]"});
}

TEST(UnitElementwiseErrors, ReductionDims) {
  Tensor x = Tensor::zeros({2, 3, 4});
  expect_error([&] { sum(x, {1, -2}); }, {"[sum]", "listed twice"});
  expect_error([&] { mean(x, {3}); }, {"[mean]", "out of range"});
  expect_error([&] { max(x, {-4}); }, {"[max]", "out of range"});
  expect_error([&] { argmax(x, 5); }, {"[argmax]", "out of range"});
  expect_error([&] { sum(Tensor::zeros({2}, DType::i64)); }, {"[sum]", "f32 or f64"});
}

INSTANTIATE_TEST_SUITE_P(Dtypes, UnitElementwise, ::testing::Values(DType::f32, DType::f64),
                         [](const ::testing::TestParamInfo<DType>& info) {
                           return std::string(dtype_name(info.param));
                         });
