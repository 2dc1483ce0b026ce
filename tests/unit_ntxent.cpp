// ssl/ntxent: nt_xent's value and gradients against a naive double-precision
// reference written here with plain loops (its hand-derived gradient is itself
// checked by central differences), input errors, contrastive_top1 on hand-made
// cases, and the loss's ordering (aligned views score lower than random pairs).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "ssl/ntxent.h"
#include "test_util.h"

namespace nanossl::ssl {
namespace {

using nanossl::testing::all_close;
using nanossl::testing::expect_error;
using nanossl::testing::uniform;

// Row-major (N,D) matrices of doubles.
using Rows = std::vector<double>;

struct Reference {
  double loss = 0.0;
  Rows dz1, dz2;  // (N,D) each
};

// NT-Xent by its definition. Rows k = 0..2N-1 are z1's then z2's; u_k = z_k/|z_k|;
// s_ik = u_i.u_k / tau; loss_i = log sum_{k != i} exp(s_ik) - s_{i,p(i)} with
// p(i) = (i+N) mod 2N; the loss is the mean over i.
// Gradient by hand: with M = 2N and q_ik = exp(s_ik) / sum_{k' != i} exp(s_ik'),
//   dL/ds_ik = G_ik = (q_ik - [k == p(i)]) / M   (k != i; G_ii = 0),
//   dL/du_k  = (1/tau) sum_i (G_ik + G_ki) u_i        (s is symmetric in i, k),
//   dL/dz_k  = (g_k - u_k (u_k . g_k)) / |z_k|       (through u = z/|z|).
Reference naive_nt_xent(const Rows& z1, const Rows& z2, std::int64_t N, std::int64_t D, double tau) {
  const std::int64_t M = 2 * N;
  std::vector<double> u(static_cast<std::size_t>(M * D)), norm(static_cast<std::size_t>(M));
  for (std::int64_t k = 0; k < M; ++k) {
    const double* z = k < N ? &z1[k * D] : &z2[(k - N) * D];
    double squares = 0.0;
    for (std::int64_t d = 0; d < D; ++d) squares += z[d] * z[d];
    norm[k] = std::sqrt(squares);
    for (std::int64_t d = 0; d < D; ++d) u[k * D + d] = z[d] / norm[k];
  }
  auto s = [&](std::int64_t i, std::int64_t k) {
    double dot = 0.0;
    for (std::int64_t d = 0; d < D; ++d) dot += u[i * D + d] * u[k * D + d];
    return dot / tau;
  };
  Reference ref;
  std::vector<double> G(static_cast<std::size_t>(M * M), 0.0);
  for (std::int64_t i = 0; i < M; ++i) {
    const std::int64_t p = (i + N) % M;
    double top = -1e300;
    for (std::int64_t k = 0; k < M; ++k) {
      if (k != i) top = std::max(top, s(i, k));
    }
    double total = 0.0;
    for (std::int64_t k = 0; k < M; ++k) {
      if (k != i) total += std::exp(s(i, k) - top);
    }
    ref.loss += (top + std::log(total) - s(i, p)) / static_cast<double>(M);
    for (std::int64_t k = 0; k < M; ++k) {
      if (k == i) continue;
      G[i * M + k] = (std::exp(s(i, k) - top) / total - (k == p ? 1.0 : 0.0)) / static_cast<double>(M);
    }
  }
  ref.dz1.assign(static_cast<std::size_t>(N * D), 0.0);
  ref.dz2.assign(static_cast<std::size_t>(N * D), 0.0);
  for (std::int64_t k = 0; k < M; ++k) {
    std::vector<double> g(static_cast<std::size_t>(D), 0.0);
    for (std::int64_t i = 0; i < M; ++i) {
      const double w = (G[i * M + k] + G[k * M + i]) / tau;
      for (std::int64_t d = 0; d < D; ++d) g[d] += w * u[i * D + d];
    }
    double ug = 0.0;
    for (std::int64_t d = 0; d < D; ++d) ug += u[k * D + d] * g[d];
    double* out = k < N ? &ref.dz1[k * D] : &ref.dz2[(k - N) * D];
    for (std::int64_t d = 0; d < D; ++d) out[d] = (g[d] - u[k * D + d] * ug) / norm[k];
  }
  return ref;
}

Rows host_values(const Tensor& t) { return t.to(DType::f64).to_vector<double>(); }
Tensor as_tensor(const Rows& values, std::int64_t N, std::int64_t D) { return Tensor::from_vector(values, {N, D}); }

TEST(NtXentReference, HandGradientMatchesFiniteDifferences) {
  // The reference's gradient is checked once against its own value, so the
  // comparisons below rest on the definition alone.
  for (double tau : {0.1, 1.0}) {
    const std::int64_t N = 3, D = 4;
    Rows z1 = host_values(uniform({N, D}, -1.0, 1.0, DType::f64, 1));
    Rows z2 = host_values(uniform({N, D}, -1.0, 1.0, DType::f64, 2));
    const Reference ref = naive_nt_xent(z1, z2, N, D, tau);
    const double h = 1e-6;
    for (int view = 0; view < 2; ++view) {
      Rows& z = view == 0 ? z1 : z2;
      const Rows& analytic = view == 0 ? ref.dz1 : ref.dz2;
      for (std::size_t j = 0; j < z.size(); ++j) {
        const double saved = z[j];
        z[j] = saved + h;
        const double plus = naive_nt_xent(z1, z2, N, D, tau).loss;
        z[j] = saved - h;
        const double minus = naive_nt_xent(z1, z2, N, D, tau).loss;
        z[j] = saved;
        EXPECT_NEAR(analytic[j], (plus - minus) / (2 * h), 1e-7 + 1e-5 * std::fabs(analytic[j]))
            << "view " << view << " element " << j << " tau " << tau;
      }
    }
  }
}

// nt_xent on (N,D) inputs of `dtype` against the reference computed in double from
// the same (rounded) values: the loss and both gradients.
void expect_matches_reference(DType dtype, double atol, double rtol) {
  std::uint64_t seed = 10;
  for (std::int64_t N : {1, 2, 5, 16}) {
    for (std::int64_t D : {3, 8}) {
      for (double tau : {0.05, 0.1, 0.5, 1.0}) {
        Tensor z1 = uniform({N, D}, -1.0, 1.0, dtype, ++seed);
        Tensor z2 = uniform({N, D}, -1.0, 1.0, dtype, ++seed);
        z1.set_requires_grad();
        z2.set_requires_grad();
        const Reference ref = naive_nt_xent(host_values(z1), host_values(z2), N, D, tau);
        const Tensor loss = nt_xent(z1, z2, tau);
        const std::string where = "N " + std::to_string(N) + " D " + std::to_string(D) + " tau " +
                                  std::to_string(tau) + " " + dtype_name(dtype);
        ASSERT_EQ(loss.numel(), 1) << where;
        EXPECT_EQ(loss.dtype(), dtype) << where;
        EXPECT_NEAR(loss.item(), ref.loss, atol + rtol * std::fabs(ref.loss)) << where;
        backward(loss);
        EXPECT_TRUE(all_close(z1.grad(), as_tensor(ref.dz1, N, D), atol, rtol)) << where << " dz1";
        EXPECT_TRUE(all_close(z2.grad(), as_tensor(ref.dz2, N, D), atol, rtol)) << where << " dz2";
      }
    }
  }
}

TEST(NtXent, MatchesNaiveReferenceInDouble) { expect_matches_reference(DType::f64, 1e-12, 1e-10); }

TEST(NtXent, MatchesNaiveReferenceInFloat) { expect_matches_reference(DType::f32, 1e-5, 1e-4); }

TEST(NtXent, SingleImageHasZeroLoss) {
  // With N == 1 the positive is each anchor's only candidate: loss 0, gradient 0.
  Tensor z1 = uniform({1, 4}, -1.0, 1.0, DType::f64, 3), z2 = uniform({1, 4}, -1.0, 1.0, DType::f64, 4);
  z1.set_requires_grad();
  const Tensor loss = nt_xent(z1, z2, 0.1);
  EXPECT_NEAR(loss.item(), 0.0, 1e-12);
  backward(loss);
  EXPECT_TRUE(all_close(z1.grad(), Tensor::zeros({1, 4}, DType::f64), 1e-12, 0));
}

TEST(NtXent, IsInvariantToRowScale) {
  // Rows are L2-normalised first: scaling a row changes nothing.
  const Tensor z1 = uniform({4, 5}, -1.0, 1.0, DType::f64, 5), z2 = uniform({4, 5}, -1.0, 1.0, DType::f64, 6);
  EXPECT_NEAR(nt_xent(z1, z2, 0.2).item(), nt_xent(z1 * 7.5, z2 * 0.01, 0.2).item(), 1e-12);
}

TEST(NtXent, AlignedViewsScoreLowerThanRandomPairs) {
  // Orthogonal rows, identical in both views: each positive has cosine 1 and every
  // other candidate cosine 0, so loss = log(1 + (2N-2) exp(-1/tau)).
  const std::int64_t N = 8;
  const double tau = 0.1;
  Tensor z = Tensor::zeros({N, N}, DType::f64);
  for (std::int64_t i = 0; i < N; ++i) z.data<double>()[i * N + i] = 1.0 + 0.1 * static_cast<double>(i);
  const double aligned = nt_xent(z, z, tau).item();
  EXPECT_NEAR(aligned, std::log(1.0 + (2 * N - 2) * std::exp(-1.0 / tau)), 1e-12);
  EXPECT_DOUBLE_EQ(contrastive_top1(z, z), 100.0);
  for (std::uint64_t seed : {7, 8, 9}) {
    const Tensor random = uniform({N, N}, -1.0, 1.0, DType::f64, seed);
    EXPECT_LT(aligned, nt_xent(z, random, tau).item()) << seed;
    EXPECT_LT(aligned, nt_xent(uniform({N, N}, -1.0, 1.0, DType::f64, seed + 10), random, tau).item()) << seed;
  }
  // With no information (all rows equal) every anchor is a uniform guess among 2N-1.
  const Tensor same = Tensor::ones({N, 3}, DType::f64);
  EXPECT_NEAR(nt_xent(same, same, tau).item(), std::log(2.0 * N - 1.0), 1e-12);
}

TEST(NtXent, DoesNotTouchGradModeOrLeaveGradsOnConstants) {
  Tensor z1 = uniform({3, 4}, -1.0, 1.0, DType::f32, 11), z2 = uniform({3, 4}, -1.0, 1.0, DType::f32, 12);
  EXPECT_FALSE(nt_xent(z1, z2, 0.5).requires_grad());  // no input requires grad: no graph
  z2.set_requires_grad();
  const Tensor loss = nt_xent(z1, z2, 0.5);
  EXPECT_TRUE(loss.requires_grad());
  backward(loss);
  EXPECT_FALSE(z1.grad().defined());
  EXPECT_TRUE(z2.grad().defined());
}

TEST(NtXent, ErrorsNameTheOp) {
  const Tensor ok = Tensor::randn({4, 3});
  expect_error([&] { nt_xent(Tensor(), ok, 0.1); }, {"[nt_xent]", "undefined"});
  expect_error([&] { nt_xent(ok, Tensor(), 0.1); }, {"[nt_xent]", "undefined"});
  expect_error([&] { nt_xent(Tensor::randn({4}), Tensor::randn({4}), 0.1); }, {"[nt_xent]", "(N,D)", "[4]"});
  expect_error([&] { nt_xent(Tensor::randn({2, 2, 3}), Tensor::randn({2, 2, 3}), 0.1); }, {"[nt_xent]", "(N,D)"});
  expect_error([&] { nt_xent(ok, Tensor::randn({5, 3}), 0.1); }, {"[nt_xent]", "shape", "4x3", "5x3"});
  expect_error([&] { nt_xent(ok, Tensor::randn({4, 2}), 0.1); }, {"[nt_xent]", "shape", "4x2"});
  expect_error([&] { nt_xent(ok, ok.to(DType::f64), 0.1); }, {"[nt_xent]", "dtype", "f32", "f64"});
  expect_error([&] { nt_xent(ok.to(DType::i64), ok.to(DType::i64), 0.1); }, {"[nt_xent]", "f32 or f64", "i64"});
  expect_error([&] { nt_xent(Tensor::zeros({0, 3}), Tensor::zeros({0, 3}), 0.1); }, {"[nt_xent]", "at least one image"});
  expect_error([&] { nt_xent(Tensor::zeros({2, 0}), Tensor::zeros({2, 0}), 0.1); }, {"[nt_xent]", "at least one feature"});
  expect_error([&] { nt_xent(ok, ok, 0.0); }, {"[nt_xent]", "temperature"});
  expect_error([&] { nt_xent(ok, ok, -0.5); }, {"[nt_xent]", "temperature", "-0.5"});
  expect_error([&] { nt_xent(ok, ok, std::nan("")); }, {"[nt_xent]", "temperature"});
  expect_error([&] { nt_xent(ok, ok, INFINITY); }, {"[nt_xent]", "temperature"});
  expect_error([&] { contrastive_top1(ok, Tensor::randn({4, 2})); }, {"[contrastive_top1]", "shape"});
  expect_error([&] { contrastive_top1(Tensor(), ok); }, {"[contrastive_top1]", "undefined"});
}

TEST(ContrastiveTop1, HandMadeCases) {
  // Rows 0..3 = z1[0], z1[1], z2[0], z2[1]; positives 0<->2 and 1<->3.
  const Tensor z1 = Tensor::from_vector(std::vector<double>{1, 0, 0, 0, 1, 0}, {2, 3});
  // z2[0] = (1, 0.1, 0) is nearest to z1[0] and back: anchors 0 and 2 hit.
  // z1[1] = (0,1,0) is nearest to z2[0] (cosine 0.0995 > 0 > -0.0995): miss.
  // z2[1] = (0,-0.1,1) is nearest to z1[0] (cosine 0 beats negatives): miss.
  const Tensor z2 = Tensor::from_vector(std::vector<double>{1, 0.1, 0, 0, -0.1, 1}, {2, 3});
  EXPECT_DOUBLE_EQ(contrastive_top1(z1, z2), 50.0);
  // Views swapped between the two images: every anchor's nearest row is the wrong one.
  const Tensor swapped = Tensor::from_vector(std::vector<float>{0, 1, 0.1f, 1, 0.1f, 0}, {2, 3});
  EXPECT_DOUBLE_EQ(contrastive_top1(z1.to(DType::f32), swapped), 0.0);
  // Matching views, scaled (the monitor uses cosines): all hit.
  EXPECT_DOUBLE_EQ(contrastive_top1(z1, z1 * 3.0), 100.0);
  // N == 1: the only other row is the positive.
  EXPECT_DOUBLE_EQ(contrastive_top1(Tensor::randn({1, 4}), Tensor::randn({1, 4})), 100.0);
}

TEST(ContrastiveTop1, RecordsNoGraph) {
  Tensor z1 = uniform({3, 4}, -1.0, 1.0, DType::f32, 13), z2 = uniform({3, 4}, -1.0, 1.0, DType::f32, 14);
  z1.set_requires_grad();
  const double top1 = contrastive_top1(z1, z2);
  EXPECT_GE(top1, 0.0);
  EXPECT_LE(top1, 100.0);
  EXPECT_FALSE(z1.grad().defined());
}

}  // namespace
}  // namespace nanossl::ssl
