// The bf16 GEMM micro-kernel (cpu/gemm_bf16.cpp), where the CPU has AVX512_BF16.
// It rounds each operand to bfloat16 as it packs it and sums the exact products in
// float, so on operands that are already bf16 values it must agree with a double
// reference to float accuracy: the tests feed it such operands (every shape, odd K,
// all transposes, alpha/beta, threads, the convolution's implicit B panels), and
// check separately how far it lands from fp32 on arbitrary operands (bf16's 2^-9).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/ops/conv.h"
#include "commands/run_directory.h"
#include "cpu/gemm.h"
#include "tensor/tensor.h"

namespace {

using nanossl::cpu::GemmKernel;
using std::int64_t;

// The bf16 value nearest x (ties to even), as a float.
float round_bf16(double value) {
  const float x = static_cast<float>(value);
  std::uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
  float y;
  std::memcpy(&y, &bits, sizeof y);
  return y;
}

class GemmBf16 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!nanossl::cpu::cpu_has_avx512_bf16()) GTEST_SKIP() << "CPU has no AVX512_BF16";
    nanossl::cpu::set_gemm_kernel(GemmKernel::avx512_bf16);
  }
  void TearDown() override {
    nanossl::cpu::set_gemm_kernel(GemmKernel::automatic);
    omp_set_num_threads(threads_before_);
  }
  int threads_before_ = omp_get_max_threads();
};

struct Dims {
  int64_t M, N, K;
};

// C = alpha * op(A) op(B) + beta * C on bf16-valued A, B (alpha a power of two, so
// alpha * A is one too), against the double reference; `exact`: to float accuracy,
// else within bf16's rounding of arbitrary operands.
void check(const Dims& s, bool trans_a, bool trans_b, float alpha, float beta, bool bf16_operands) {
  std::mt19937 gen(static_cast<unsigned>(s.M * 31 + s.N * 17 + s.K + trans_a * 2 + trans_b));
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  auto values = [&](int64_t n) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (float& x : v) x = bf16_operands ? round_bf16(dist(gen)) : static_cast<float>(dist(gen));
    return v;
  };
  const int64_t lda = trans_a ? s.M : s.K, ldb = trans_b ? s.K : s.N;
  const std::vector<float> A = values(s.M * s.K), B = values(s.K * s.N);
  std::vector<float> C = values(s.M * s.N);
  const std::vector<double> Ad(A.begin(), A.end()), Bd(B.begin(), B.end());
  std::vector<double> expected(C.begin(), C.end());
  nanossl::cpu::gemm_reference<double>(trans_a, trans_b, s.M, s.N, s.K, alpha, Ad.data(), lda, Bd.data(), ldb, beta,
                                       expected.data(), s.N);
  nanossl::cpu::gemm<float>(trans_a, trans_b, s.M, s.N, s.K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), s.N);
  // Float sums of K products of magnitude <= 1: K * 2^-23 and a margin. Arbitrary
  // operands: each product is off by about 2 * 2^-9 relative, and the errors add
  // as a random walk: 4 * sqrt(K) * 2^-8 is a bound the test must never reach.
  const double bound = bf16_operands ? 4e-7 * (1.0 + static_cast<double>(s.K))
                                     : 4.0 * std::sqrt(static_cast<double>(s.K)) / 256.0;
  int64_t bad = 0;
  for (int64_t i = 0; i < s.M * s.N; ++i) {
    if (!(std::abs(C[i] - expected[i]) <= bound) && bad++ < 3) {
      ADD_FAILURE() << s.M << "x" << s.N << "x" << s.K << " ta=" << trans_a << " tb=" << trans_b << " at " << i
                    << ": got " << C[i] << ", want " << expected[i] << " (bound " << bound << ")";
    }
  }
  EXPECT_EQ(bad, 0);
}

TEST_F(GemmBf16, ReportsItsName) { EXPECT_STREQ(nanossl::cpu::gemm_kernel_name(), "avx512_bf16"); }

TEST_F(GemmBf16, MatchesTheReferenceOnBf16OperandsEveryShapeAndTranspose) {
  // Odd K (a zero pads the last pair), edges of the 8 x 32 tile, several K blocks.
  const Dims shapes[] = {{1, 1, 1},    {1, 1, 2},     {1, 17, 3},   {13, 1, 5},   {7, 11, 13},
                          {8, 32, 16},  {9, 33, 17},   {15, 31, 29}, {17, 47, 67}, {31, 65, 301},
                          {64, 96, 576}, {37, 129, 1031}};
  for (const Dims& s : shapes)
    for (int t = 0; t < 4; ++t) check(s, (t & 1) != 0, (t & 2) != 0, 1.0f, 0.0f, true);
}

TEST_F(GemmBf16, AlphaBetaAndThreads) {
  for (int threads : {1, 3}) {
    omp_set_num_threads(threads);
    for (int t = 0; t < 4; ++t) {
      check({203, 301, 555}, (t & 1) != 0, (t & 2) != 0, 0.5f, 1.0f, true);
      check({19, 41, 53}, (t & 1) != 0, (t & 2) != 0, -2.0f, -1.5f, true);
    }
  }
}

TEST_F(GemmBf16, ArbitraryOperandsLandWithinBf16Rounding) {
  for (int t = 0; t < 4; ++t) check({64, 96, 576}, (t & 1) != 0, (t & 2) != 0, 1.0f, 0.0f, false);
}

TEST_F(GemmBf16, NanInAnOperandReachesTheResult) {
  std::vector<float> A(4 * 4, 1.0f), B(4 * 4, 1.0f), C(4 * 4, 0.0f);
  A[5] = std::numeric_limits<float>::quiet_NaN();  // row 1
  nanossl::cpu::gemm<float>(false, false, 4, 4, 4, 1.0f, A.data(), 4, B.data(), 4, 0.0f, C.data(), 4);
  EXPECT_TRUE(std::isnan(C[4]));
  EXPECT_EQ(C[0], 4.0f);
}

// The convolution packs B straight from the images (gemm_implicit_b); the bf16
// kernel pairs those float panels. On bf16-valued images and weights it must give
// the fp32 kernel's output to float accuracy.
TEST_F(GemmBf16, ConvolutionMatchesFp32OnBf16Values) {
  using nanossl::Tensor;
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  auto bf16_tensor = [&](nanossl::Shape shape) {
    Tensor t = Tensor::zeros(shape);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = round_bf16(dist(gen));
    return t;
  };
  for (int64_t side : {6, 13, 24}) {
    const Tensor x = bf16_tensor({3, 5, side, side}), w = bf16_tensor({7, 5, 3, 3});
    const Tensor bf16 = nanossl::conv2d(x, w, Tensor(), {1, 1, 1});
    nanossl::cpu::set_gemm_kernel(GemmKernel::automatic);
    const Tensor fp32 = nanossl::conv2d(x, w, Tensor(), {1, 1, 1});
    nanossl::cpu::set_gemm_kernel(GemmKernel::avx512_bf16);
    const float* a = bf16.data<float>();
    const float* b = fp32.data<float>();
    for (int64_t i = 0; i < bf16.numel(); ++i) ASSERT_NEAR(a[i], b[i], 2e-5) << "side " << side << " at " << i;
  }
  // And it is the bf16 kernel that ran: on arbitrary floats the two differ.
  const Tensor x = Tensor::randn({2, 5, 8, 8}), w = Tensor::randn({7, 5, 3, 3});
  const Tensor bf16 = nanossl::conv2d(x, w, Tensor(), {1, 1, 1});
  nanossl::cpu::set_gemm_kernel(GemmKernel::automatic);
  const Tensor fp32 = nanossl::conv2d(x, w, Tensor(), {1, 1, 1});
  double largest = 0.0;
  for (int64_t i = 0; i < bf16.numel(); ++i)
    largest = std::max(largest, static_cast<double>(std::abs(bf16.data<float>()[i] - fp32.data<float>()[i])));
  EXPECT_GT(largest, 1e-3);
  EXPECT_LT(largest, 0.2);  // |out| is about 6 here: a few bf16 ulps
}

// `precision: bf16` of a training run (commands/run_directory.h): the bf16 kernel
// while the run lives, the automatic one after; fp32 changes nothing; another
// value is refused by name.
TEST_F(GemmBf16, RunPrecisionScope) {
  nanossl::cpu::set_gemm_kernel(GemmKernel::automatic);
  const std::string automatic = nanossl::cpu::gemm_kernel_name();
  {
    const nanossl::GemmPrecision precision("bf16");
    EXPECT_STREQ(nanossl::cpu::gemm_kernel_name(), "avx512_bf16");
  }
  EXPECT_EQ(nanossl::cpu::gemm_kernel_name(), automatic);
  {
    const nanossl::GemmPrecision precision("fp32");
    EXPECT_EQ(nanossl::cpu::gemm_kernel_name(), automatic);
  }
  EXPECT_THROW(nanossl::GemmPrecision("fp16"), std::invalid_argument);
}

}  // namespace
