// Gradient checks of the shape ops (reshape, flatten, permute, transpose, slice,
// index_select, cat), in double on the CPU.
#include <gtest/gtest.h>

#include "autograd/gradcheck.h"
#include "autograd/ops/shape.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::randn_leaf;

namespace {
using Inputs = const std::vector<Tensor>&;
}  // namespace

TEST(GradcheckShape, Reshape) {
  for (const Shape& s : {Shape{6}, Shape{2, 3}, Shape{1, 6, 1}}) {
    auto r = gradcheck([](Inputs in) { return reshape(in[0], {3, -1}); }, {randn_leaf(s)});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(GradcheckShape, Flatten) {
  auto r = gradcheck([](Inputs in) { return flatten(in[0]); }, {randn_leaf({2, 3, 1, 2})});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(GradcheckShape, PermuteAndTranspose) {
  auto r = gradcheck([](Inputs in) { return permute(in[0], {2, 0, 3, 1}); }, {randn_leaf({2, 3, 1, 4})});
  EXPECT_TRUE(r.ok) << r.message;
  auto t = gradcheck([](Inputs in) { return transpose(in[0], 0, -1); }, {randn_leaf({3, 1, 2})});
  EXPECT_TRUE(t.ok) << t.message;
}

TEST(GradcheckShape, Slice) {
  auto r = gradcheck([](Inputs in) { return slice(in[0], 1, 3); }, {randn_leaf({4, 2})});
  EXPECT_TRUE(r.ok) << r.message;
  auto one = gradcheck([](Inputs in) { return slice(in[0], 0, 1); }, {randn_leaf({1, 3, 2})});
  EXPECT_TRUE(one.ok) << one.message;
}

TEST(GradcheckShape, IndexSelectWithRepeatedRows) {
  Tensor idx = Tensor::from_vector(std::vector<std::int64_t>{3, 0, 3, 1, 3}, {5});
  auto r = gradcheck([&](Inputs in) { return index_select(in[0], idx); }, {randn_leaf({4, 2, 2})});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(GradcheckShape, CatAlongEveryDim) {
  for (std::int64_t dim : {0, 1, 2}) {
    Shape a{2, 3, 2}, b{2, 3, 2};
    b[static_cast<std::size_t>(dim)] = 1;
    auto r = gradcheck([&](Inputs in) { return cat({in[0], in[1]}, dim); }, {randn_leaf(a), randn_leaf(b)});
    EXPECT_TRUE(r.ok) << "dim " << dim << ": " << r.message;
  }
  // Only one part needs a gradient.
  Tensor constant = Tensor::randn({1, 3}, DType::f64);
  auto r = gradcheck([&](Inputs in) { return cat({constant, in[0]}, 0); }, {randn_leaf({2, 3})});
  EXPECT_TRUE(r.ok) << r.message;
}
