// The statistics of the study verdicts (studies/statistics.h): the t distribution
// against published table values, the interval's coverage and the tests' false
// positive rates on simulated seeds, and every verdict kind on results whose answer
// is known.
#include "studies/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace nanossl {
namespace {

BySeed seeds_of(const std::vector<double>& values) {
  BySeed out;
  for (std::size_t i = 0; i < values.size(); ++i) out[static_cast<int>(i)] = values[i];
  return out;
}

TEST(StudentT, CdfIsSymmetricAndExactForOneDegreeOfFreedom) {
  EXPECT_DOUBLE_EQ(student_t_cdf(0.0, 3.0), 0.5);
  // dof 1 is the Cauchy distribution: P(T <= t) = 1/2 + atan(t) / pi.
  for (double t : {-20.0, -1.0, 0.3, 1.0, 7.5}) EXPECT_NEAR(student_t_cdf(t, 1.0), 0.5 + std::atan(t) / M_PI, 1e-12) << t;
  // dof 2: P(T <= t) = 1/2 + t / (2 sqrt(2 + t^2)).
  for (double t : {-3.0, 0.5, 2.0}) EXPECT_NEAR(student_t_cdf(t, 2.0), 0.5 + t / (2 * std::sqrt(2 + t * t)), 1e-12) << t;
  for (double t : {0.7, 2.1, 4.0}) EXPECT_NEAR(student_t_cdf(t, 5.0) + student_t_cdf(-t, 5.0), 1.0, 1e-12);
  EXPECT_EQ(student_t_cdf(INFINITY, 4.0), 1.0);
  EXPECT_EQ(student_t_cdf(-INFINITY, 4.0), 0.0);
}

TEST(StudentT, QuantilesMatchTheTables) {
  // Two-sided 95% critical values, t_{0.975, dof}.
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.3027, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.7764, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.2281, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 1000), 1.9623, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 3), 5.8409, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.025, 4), -2.7764, 1e-4);
  for (double p : {0.01, 0.3, 0.9, 0.999}) EXPECT_NEAR(student_t_cdf(student_t_quantile(p, 6.5), 6.5), p, 1e-10);
  EXPECT_THROW(student_t_quantile(1.0, 3), std::invalid_argument);
  EXPECT_THROW(student_t_cdf(1.0, 0.0), std::invalid_argument);
}

TEST(Estimate, MeanIntervalAndTheDegenerateCases) {
  const Estimate e = estimate_of(std::vector<double>{1.0, 2.0, 3.0});
  EXPECT_EQ(e.n, 3);
  EXPECT_DOUBLE_EQ(e.mean, 2.0);
  EXPECT_NEAR(e.std_error, 1.0 / std::sqrt(3.0), 1e-12);  // sample std 1
  EXPECT_NEAR(e.low, 2.0 - 4.302653 / std::sqrt(3.0), 1e-5);
  EXPECT_NEAR(e.high, 2.0 + 4.302653 / std::sqrt(3.0), 1e-5);
  const Estimate one = estimate_of(std::vector<double>{5.0});
  EXPECT_EQ(one.n, 1);
  EXPECT_DOUBLE_EQ(one.mean, 5.0);
  EXPECT_TRUE(std::isnan(one.low) && std::isnan(one.high));
  EXPECT_TRUE(std::isnan(estimate_of(std::vector<double>{}).mean));
  EXPECT_EQ(format_estimate(e), "+2.0 [-0.5, 4.5]");
  EXPECT_EQ(format_estimate(one), "+5.0");
  EXPECT_EQ(format_estimate(Estimate{}), "–");
}

TEST(BySeed, DifferencesAndMeansPairBySeed) {
  const BySeed a = {{0, 10.0}, {1, 12.0}, {3, 9.0}}, b = {{0, 7.0}, {1, 7.5}, {2, 100.0}};
  EXPECT_EQ(difference(a, b), (BySeed{{0, 3.0}, {1, 4.5}}));  // seeds 2 and 3 are in one only
  EXPECT_EQ(mean_per_seed({a, b}), (BySeed{{0, 8.5}, {1, 9.75}}));
  EXPECT_TRUE(mean_per_seed({}).empty());
  EXPECT_EQ(values_of(a), (std::vector<double>{10.0, 12.0, 9.0}));
}

// Simulated seeds: `trials` studies of n seeds each, every seed's measure drawn from
// N(mean, sd); returns the share of studies for which `count` holds.
template <class Count>
double share_of(int trials, int n, double mean, double sd, Count count) {
  std::mt19937_64 rng(20261207);
  std::normal_distribution<double> normal(mean, sd);
  int hits = 0;
  for (int t = 0; t < trials; ++t) {
    BySeed seeds;
    for (int s = 0; s < n; ++s) seeds[s] = normal(rng);
    hits += count(seeds) ? 1 : 0;
  }
  return static_cast<double>(hits) / trials;
}

TEST(Estimate, TheIntervalCoversTheTrueMean95PercentOfTheTime) {
  // 20000 studies: the coverage's own standard error is 0.0015, so ±0.01 is about 6.5 of them.
  for (int n : {2, 3, 5, 10}) {
    const double coverage = share_of(20000, n, 1.5, 2.0, [](const BySeed& s) {
      const Estimate e = estimate_of(s);
      return e.low <= 1.5 && 1.5 <= e.high;
    });
    EXPECT_NEAR(coverage, 0.95, 0.01) << n << " seeds";
  }
}

TEST(Checks, FalsePositiveRateIsNearItsNominalLevel) {
  // The true measure sits at the threshold: "above" must say yes 2.5% of the time,
  // and yes or no (a significant result either way) 5%.
  for (int n : {3, 5}) {
    const double yes = share_of(20000, n, 2.0, 1.0, [](const BySeed& s) {
      return check_above("gain", s, 2.0).verdict == Verdict::yes;
    });
    const double decided = share_of(20000, n, 2.0, 1.0, [](const BySeed& s) {
      return check_below("gain", s, 2.0).verdict != Verdict::inconclusive;
    });
    EXPECT_NEAR(yes, 0.025, 0.006) << n << " seeds";
    EXPECT_NEAR(decided, 0.05, 0.008) << n << " seeds";
  }
  // Equivalence within ±1 when the truth is at the edge (+1): yes at most 2.5%.
  const double within = share_of(20000, 5, 1.0, 0.5, [](const BySeed& s) {
    return check_within("gap", s, 1.0).verdict == Verdict::yes;
  });
  EXPECT_LE(within, 0.025 + 0.006);
}

TEST(Checks, AStrongEffectIsDetected) {
  // An 8-point effect with 1-point seed noise and 3 seeds: power well above 90%.
  const double power = share_of(5000, 3, 8.0, 1.0, [](const BySeed& s) {
    return check_above("gain", s, 0.0).verdict == Verdict::yes;
  });
  EXPECT_GT(power, 0.9);
}

TEST(Checks, EveryVerdictKindOnKnownAnswers) {
  const BySeed clear_gain = seeds_of({6.1, 5.8, 6.4}), clear_loss = seeds_of({-3.0, -3.4, -2.9});
  const BySeed noisy = seeds_of({4.0, -3.0, 1.0}), near_zero = seeds_of({0.2, -0.1, 0.1});
  EXPECT_EQ(check_above("g", clear_gain, 5.0).verdict, Verdict::yes);
  EXPECT_EQ(check_above("g", clear_loss, 0.0).verdict, Verdict::no);
  EXPECT_EQ(check_above("g", noisy, 0.0).verdict, Verdict::inconclusive);
  EXPECT_EQ(check_below("g", clear_loss, 0.0).verdict, Verdict::yes);
  EXPECT_EQ(check_below("g", clear_gain, 2.0).verdict, Verdict::no);
  EXPECT_EQ(check_within("g", near_zero, 1.0).verdict, Verdict::yes);
  EXPECT_EQ(check_within("g", clear_gain, 2.0).verdict, Verdict::no);
  EXPECT_EQ(check_within("g", noisy, 2.0).verdict, Verdict::inconclusive);
  // One seed: the mean alone is no test; none: not run.
  EXPECT_EQ(check_above("g", seeds_of({9.0}), 0.0).verdict, Verdict::inconclusive);
  EXPECT_EQ(check_above("g", BySeed{}, 0.0).verdict, Verdict::not_run);
  // Every seed alike: no spread, the test is exact.
  EXPECT_EQ(check_above("g", seeds_of({1.0, 1.0}), 0.5).verdict, Verdict::yes);
  EXPECT_EQ(check_above("g", seeds_of({1.0, 1.0}), 1.5).verdict, Verdict::no);
}

TEST(Checks, TheTextGivesTheIntervalThresholdAndP) {
  const Check c = check_above("margin", seeds_of({6.1, 5.8, 6.4}), 5.0);
  EXPECT_EQ(c.text.rfind("margin +6.1 [5.4, 6.8] vs > 5.0: p = 0.0", 0), 0u) << c.text;
  EXPECT_NE(c.text.find("(3 seeds)"), std::string::npos) << c.text;
  EXPECT_EQ(check_above("margin", seeds_of({6.0}), 5.0).text, "margin +6.0 vs > 5.0: 1 seed, no test");
  EXPECT_EQ(check_below("gain", BySeed{}, 2.0).text, "gain: not run");
  EXPECT_NE(check_within("gap", seeds_of({0.2, -0.1, 0.1}), 1.0).text.find("vs within ±1.0"), std::string::npos);
}

TEST(Checks, AllOfIsAnIntersectionOfItsParts) {
  const Check yes{Verdict::yes, "a"}, no{Verdict::no, "b"}, open{Verdict::inconclusive, "c"}, missing{Verdict::not_run, "d"};
  EXPECT_EQ(all_of({yes, yes}).verdict, Verdict::yes);
  EXPECT_EQ(all_of({yes, open}).verdict, Verdict::inconclusive);
  EXPECT_EQ(all_of({yes, open, no}).verdict, Verdict::no);
  EXPECT_EQ(all_of({yes, no, missing}).verdict, Verdict::not_run);
  EXPECT_EQ(all_of({}).verdict, Verdict::not_run);
  EXPECT_EQ(all_of({yes, no}).text, "a; b");
  EXPECT_EQ(verdict_name(Verdict::inconclusive), "inconclusive");
  EXPECT_EQ(verdict_name(Verdict::not_run), "not run");
}

}  // namespace
}  // namespace nanossl
