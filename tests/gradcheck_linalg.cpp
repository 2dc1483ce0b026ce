// Gradient checks of matmul (2-D, batched, (B,M,K) @ (K,N), size-1 dimensions)
// and linear (with and without bias), in double on the CPU.
#include <gtest/gtest.h>

#include <tuple>

#include "autograd/gradcheck.h"
#include "autograd/ops/linalg.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::uniform;

namespace {
Tensor leaf(const Shape& shape, std::uint64_t seed) { return nanossl::testing::uniform_leaf(shape, -1.0, 1.0, seed); }
using Inputs = const std::vector<Tensor>&;

void check_matmul(const Shape& a, const Shape& b) {
  auto r = gradcheck([](Inputs in) { return matmul(in[0], in[1]); }, {leaf(a, 1), leaf(b, 2)});
  EXPECT_TRUE(r.ok) << shape_str(a) << " @ " << shape_str(b) << ": " << r.message;
  EXPECT_EQ(r.checked, shape_numel(a) + shape_numel(b));
}
}  // namespace

TEST(GradcheckLinalg, Matmul2d) {
  check_matmul({3, 4}, {4, 5});
  check_matmul({1, 4}, {4, 1});  // row times column
  check_matmul({4, 1}, {1, 3});  // outer product
  check_matmul({1, 1}, {1, 1});
}

TEST(GradcheckLinalg, MatmulBatched) {
  check_matmul({2, 3, 4}, {2, 4, 5});
  check_matmul({1, 1, 3}, {1, 3, 1});
  check_matmul({3, 2, 1}, {3, 1, 2});
}

TEST(GradcheckLinalg, MatmulBatchedTimes2d) {
  check_matmul({2, 3, 4}, {4, 5});
  check_matmul({3, 1, 2}, {2, 1});
}

TEST(GradcheckLinalg, MatmulOneSideRequiresGrad) {
  Tensor a = leaf({3, 4}, 3);
  Tensor b = uniform({4, 2}, -1.0, 1.0, DType::f64, 4);
  auto r = gradcheck([](Inputs in) { return matmul(in[0], in[1]); }, {a, b});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.checked, 12);
  Tensor b_leaf = b.clone();
  b_leaf.set_requires_grad();
  auto s = gradcheck([](Inputs in) { return matmul(in[1], in[0]); }, {b_leaf, a.detach()});
  EXPECT_TRUE(s.ok) << s.message;
  EXPECT_EQ(s.checked, 8);
}

TEST(GradcheckLinalg, LinearWithBias) {
  for (const auto& [rows, in, out] :
       {std::tuple{5, 4, 3}, std::tuple{1, 3, 1}, std::tuple{2, 1, 4}}) {
    auto r = gradcheck([](Inputs v) { return linear(v[0], v[1], v[2]); },
                       {leaf({rows, in}, 5), leaf({out, in}, 6), leaf({out}, 7)});
    EXPECT_TRUE(r.ok) << rows << "x" << in << " -> " << out << ": " << r.message;
  }
}

TEST(GradcheckLinalg, LinearWithoutBias) {
  auto r =
      gradcheck([](Inputs v) { return linear(v[0], v[1]); }, {leaf({4, 3}, 8), leaf({2, 3}, 9)});
  EXPECT_TRUE(r.ok) << r.message;
}
