// gemm<float> with every micro-kernel the CPU has (AVX-512, AVX2, generic) and
// gemm<double>, against gemm_reference<double>: edge shapes, all transposes,
// submatrix strides, alpha/beta, beta = 0 over NaN, one and several threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/gemm.h"

namespace {

using nanossl::cpu::GemmKernel;
using std::int64_t;

struct Case {
  int64_t M, N, K;
  bool trans_a, trans_b;
  double alpha, beta;
  int64_t pad;  // extra columns in every leading dimension (a submatrix view)
};

std::string describe(const Case& c) {
  return "M=" + std::to_string(c.M) + " N=" + std::to_string(c.N) + " K=" + std::to_string(c.K) +
         " ta=" + std::to_string(c.trans_a) + " tb=" + std::to_string(c.trans_b) +
         " alpha=" + std::to_string(c.alpha) + " beta=" + std::to_string(c.beta) +
         " pad=" + std::to_string(c.pad);
}

std::vector<double> random_values(int64_t count, std::mt19937& gen) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> v(static_cast<std::size_t>(count));
  for (double& x : v) x = dist(gen);
  return v;
}

// Runs gemm<T> on the case and checks every element of C (including the padding
// columns, which must stay untouched) against gemm_reference<double>.
template <class T>
void check_case(const Case& c, double tolerance) {
  std::mt19937 gen(static_cast<unsigned>(c.M * 7919 + c.N * 104729 + c.K * 31 + c.trans_a * 2 +
                                         c.trans_b));
  const int64_t a_rows = c.trans_a ? c.K : c.M, a_cols = c.trans_a ? c.M : c.K;
  const int64_t b_rows = c.trans_b ? c.N : c.K, b_cols = c.trans_b ? c.K : c.N;
  const int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.N + c.pad;
  const std::vector<double> A = random_values(a_rows * lda, gen);
  const std::vector<double> B = random_values(b_rows * ldb, gen);
  std::vector<double> C = random_values(c.M * ldc, gen);
  std::vector<double> expected = C;
  nanossl::cpu::gemm_reference<double>(c.trans_a, c.trans_b, c.M, c.N, c.K, c.alpha, A.data(),
                                       lda, B.data(), ldb, c.beta, expected.data(), ldc);

  std::vector<T> a(A.begin(), A.end()), b(B.begin(), B.end()), out(C.begin(), C.end());
  if (c.beta == 0.0)  // C is write-only: NaN in it must not leak into the result.
    for (int64_t i = 0; i < c.M; ++i)
      for (int64_t j = 0; j < c.N; ++j) out[i * ldc + j] = std::numeric_limits<T>::quiet_NaN();
  nanossl::cpu::gemm<T>(c.trans_a, c.trans_b, c.M, c.N, c.K, static_cast<T>(c.alpha), a.data(),
                        lda, b.data(), ldb, static_cast<T>(c.beta), out.data(), ldc);

  // Entries of A and B are at most 1, so |error| grows at most like K * eps.
  const double bound = tolerance * (1.0 + static_cast<double>(c.K));
  int64_t bad = 0;
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      const double want = j < c.N ? expected[i * ldc + j] : C[i * ldc + j];
      const double got = static_cast<double>(out[i * ldc + j]);
      if (!(std::abs(got - want) <= bound) && bad++ < 3)
        ADD_FAILURE() << describe(c) << " at (" << i << "," << j << "): got " << got
                      << ", want " << want;
    }
  EXPECT_EQ(bad, 0) << describe(c);
}

std::vector<Case> edge_cases() {
  const int64_t sizes[][3] = {{1, 1, 1},   {1, 1, 7},    {1, 17, 1},   {13, 1, 5},  {2, 3, 4},
                              {7, 11, 13}, {8, 32, 16},  {9, 33, 17},  {6, 16, 3},  {15, 31, 29},
                              {17, 47, 67}, {31, 65, 300}, {64, 96, 576}, {37, 129, 1031}};
  std::vector<Case> cases;
  for (const auto& s : sizes)
    for (int t = 0; t < 4; ++t) cases.push_back({s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, 1.0, 0.0, 0});
  return cases;
}

// Alpha/beta variants and submatrix strides, on shapes with ragged edges.
std::vector<Case> scaling_cases() {
  std::vector<Case> cases;
  const double scalars[][2] = {{1.0, 1.0}, {-0.5, 0.0}, {2.0, -1.5}, {0.0, 0.5}, {0.0, 0.0}, {0.75, 1.0}};
  for (const auto& ab : scalars)
    for (int t = 0; t < 4; ++t) {
      cases.push_back({23, 37, 19, (t & 1) != 0, (t & 2) != 0, ab[0], ab[1], 0});
      cases.push_back({19, 41, 53, (t & 1) != 0, (t & 2) != 0, ab[0], ab[1], 5});
    }
  cases.push_back({5, 7, 0, false, false, 1.0, 0.5, 3});  // K = 0: C = beta * C
  cases.push_back({5, 7, 0, true, true, 1.0, 0.0, 0});
  return cases;
}

// Large enough to be split over threads and over several K / M / N blocks.
std::vector<Case> blocked_cases() {
  std::vector<Case> cases;
  for (int t = 0; t < 4; ++t) {
    cases.push_back({203, 301, 555, (t & 1) != 0, (t & 2) != 0, 1.0, 0.0, 0});
    cases.push_back({97, 4199, 45, (t & 1) != 0, (t & 2) != 0, -1.0, 0.5, 2});
    cases.push_back({300, 67, 260, (t & 1) != 0, (t & 2) != 0, 0.5, 1.0, 9});
  }
  cases.push_back({16, 16, 4500, false, true, 1.0, 0.0, 0});   // long K: many K blocks
  cases.push_back({1100, 40, 50, true, false, 1.0, 0.0, 0});    // tall: several M blocks
  return cases;
}

// Forces a micro-kernel for one test and restores the automatic choice after.
class GemmKernelTest : public ::testing::TestWithParam<GemmKernel> {
 protected:
  void SetUp() override {
    const GemmKernel kernel = GetParam();
    if (kernel == GemmKernel::avx512 && !nanossl::cpu::cpu_has_avx512())
      GTEST_SKIP() << "CPU has no AVX-512";
    if (kernel == GemmKernel::avx2 && !nanossl::cpu::cpu_has_avx2_fma())
      GTEST_SKIP() << "CPU has no AVX2/FMA";
    nanossl::cpu::set_gemm_kernel(kernel);
  }
  void TearDown() override {
    nanossl::cpu::set_gemm_kernel(GemmKernel::automatic);
    omp_set_num_threads(threads_before_);
  }
  int threads_before_ = omp_get_max_threads();
};

constexpr double kFloatTolerance = 1e-6;  // per unit of K; float eps is 1.2e-7

TEST_P(GemmKernelTest, EdgeShapesAllTransposes) {
  for (const Case& c : edge_cases()) check_case<float>(c, kFloatTolerance);
}

TEST_P(GemmKernelTest, AlphaBetaAndStrides) {
  for (const Case& c : scaling_cases()) check_case<float>(c, kFloatTolerance);
}

TEST_P(GemmKernelTest, BlockedSingleThread) {
  omp_set_num_threads(1);
  for (const Case& c : blocked_cases()) check_case<float>(c, kFloatTolerance);
}

TEST_P(GemmKernelTest, BlockedMultiThread) {
  omp_set_num_threads(3);  // uneven split, even on a 2-core machine
  for (const Case& c : blocked_cases()) check_case<float>(c, kFloatTolerance);
}

TEST_P(GemmKernelTest, CorrectInsideParallelRegion) {
  const Case c{45, 70, 130, false, true, 1.0, 0.0, 0};
  int failures = 0;
#pragma omp parallel num_threads(2) reduction(+ : failures)
  {
    check_case<float>(c, kFloatTolerance);
    failures += ::testing::Test::HasFailure() ? 1 : 0;
  }
  EXPECT_EQ(failures, 0);
}

TEST_P(GemmKernelTest, ReportsItsName) {
  const char* expected[] = {"", "avx512", "avx2", "generic"};
  EXPECT_STREQ(nanossl::cpu::gemm_kernel_name(), expected[static_cast<int>(GetParam())]);
}

std::string kernel_name(const ::testing::TestParamInfo<GemmKernel>& info) {
  const char* names[] = {"automatic", "avx512", "avx2", "generic"};
  return names[static_cast<int>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(Kernels, GemmKernelTest,
                         ::testing::Values(GemmKernel::avx512, GemmKernel::avx2, GemmKernel::generic),
                         kernel_name);

TEST(Gemm, AutomaticKernelMatchesCpu) {
  nanossl::cpu::set_gemm_kernel(GemmKernel::automatic);
  const std::string name = nanossl::cpu::gemm_kernel_name();
  if (nanossl::cpu::cpu_has_avx512()) EXPECT_EQ(name, "avx512");
  else if (nanossl::cpu::cpu_has_avx2_fma()) EXPECT_EQ(name, "avx2");
  else EXPECT_EQ(name, "generic");
}

TEST(Gemm, ForcingAKernelTheCpuLacksThrows) {
  using nanossl::cpu::set_gemm_kernel;
  if (nanossl::cpu::cpu_has_avx512()) EXPECT_NO_THROW(set_gemm_kernel(GemmKernel::avx512));
  else EXPECT_THROW(set_gemm_kernel(GemmKernel::avx512), std::runtime_error);
  if (nanossl::cpu::cpu_has_avx2_fma()) EXPECT_NO_THROW(set_gemm_kernel(GemmKernel::avx2));
  else EXPECT_THROW(set_gemm_kernel(GemmKernel::avx2), std::runtime_error);
  EXPECT_NO_THROW(set_gemm_kernel(GemmKernel::generic));
  set_gemm_kernel(GemmKernel::automatic);
}

TEST(Gemm, DoubleMatchesReference) {
  for (const Case& c : edge_cases()) check_case<double>(c, 1e-14);
  for (const Case& c : scaling_cases()) check_case<double>(c, 1e-14);
  for (const Case& c : blocked_cases()) check_case<double>(c, 1e-14);
}

TEST(Gemm, FloatReferenceMatchesDouble) {
  check_case<float>({7, 11, 13, true, false, 1.5, 0.0, 2}, kFloatTolerance);
}

TEST(Gemm, EmptyShapesLeaveCUntouched) {
  std::vector<float> C{1, 2, 3};
  nanossl::cpu::gemm<float>(false, false, 0, 3, 4, 1.0f, nullptr, 4, nullptr, 3, 0.0f, C.data(), 3);
  nanossl::cpu::gemm<float>(false, false, 1, 0, 4, 1.0f, nullptr, 4, nullptr, 0, 0.0f, C.data(), 0);
  EXPECT_EQ(C, (std::vector<float>{1, 2, 3}));
}

}  // namespace
