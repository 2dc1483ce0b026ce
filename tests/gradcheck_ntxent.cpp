// Gradient check of ssl::nt_xent (composed of l2_normalize, cat, matmul, transpose,
// a constant mask and cross_entropy) in double on the CPU, through both views.
#include <gtest/gtest.h>

#include <string>

#include "autograd/gradcheck.h"
#include "ssl/ntxent.h"
#include "test_util.h"

using namespace nanossl;

namespace {
using Inputs = const std::vector<Tensor>&;

struct Case {
  std::int64_t N, D;
  double tau;
};
}  // namespace

TEST(GradcheckNtXent, BothViews) {
  std::uint64_t seed = 1;
  for (const Case& c : {Case{1, 3, 0.5}, Case{2, 3, 0.1}, Case{3, 8, 1.0}, Case{4, 5, 0.5}, Case{6, 4, 0.2}}) {
    Tensor z1 = nanossl::testing::uniform_leaf({c.N, c.D}, -1.0, 1.0, ++seed);
    Tensor z2 = nanossl::testing::uniform_leaf({c.N, c.D}, -1.0, 1.0, ++seed);
    const double tau = c.tau;
    auto r = gradcheck([tau](Inputs in) { return ssl::nt_xent(in[0], in[1], tau); }, {z1, z2});
    const std::string where = "N " + std::to_string(c.N) + " D " + std::to_string(c.D) + " tau " + std::to_string(tau);
    EXPECT_TRUE(r.ok) << where << ": " << r.message;
    EXPECT_EQ(r.checked, 2 * c.N * c.D) << where;
  }
}

TEST(GradcheckNtXent, OneViewRequiresGrad) {
  // Only z2 is a leaf needing grad; z1 is a constant (e.g. a stop-gradient target).
  Tensor z1 = nanossl::testing::uniform({3, 4}, -1.0, 1.0, DType::f64, 20);
  Tensor z2 = nanossl::testing::uniform_leaf({3, 4}, -1.0, 1.0, 21);
  auto r = gradcheck([](Inputs in) { return ssl::nt_xent(in[0], in[1], 0.3); }, {z1, z2});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.checked, 12);
}
