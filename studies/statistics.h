// The statistics behind a study's verdicts (docs/statistics.md). A study repeats
// every run once per seed; a seed is the unit of replication, and runs of one seed
// are paired (they share the seed's labelled subsets, data order and
// augmentations). A finding's measure (a gain, a gap, a drop) is computed seed by
// seed, and its mean gets a 95% Student-t interval over the seeds. A claim "the
// measure is above T" is reproduced (yes) when the whole interval lies above T,
// refuted (no) when it lies below, and inconclusive when it straddles T: a
// one-sided paired t-test at 2.5% each way. With one seed there is no interval,
// and every verdict is inconclusive.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace nanossl {

// Student's t distribution with `dof` degrees of freedom (dof > 0, not an integer
// necessarily): P(T <= t), and its inverse for 0 < p < 1.
double student_t_cdf(double t, double dof);
double student_t_quantile(double p, double dof);

// One number per seed (seed -> value); a seed whose run has not finished is absent.
using BySeed = std::map<int, double>;
// a[s] - b[s] for every seed s both have.
BySeed difference(const BySeed& a, const BySeed& b);
// The mean of the parts per seed, over the seeds every part has (an empty list or
// a seed missing from one part leaves that seed out).
BySeed mean_per_seed(const std::vector<BySeed>& parts);
std::vector<double> values_of(const BySeed& by_seed);

// The mean over seeds with its 95% confidence interval (Student t, n - 1 degrees of
// freedom). low and high are NaN below two values; all is NaN for none.
struct Estimate {
  int n = 0;
  double mean = 0.0, std_error = 0.0, low = 0.0, high = 0.0;
};
Estimate estimate_of(const std::vector<double>& values);
Estimate estimate_of(const BySeed& by_seed);

enum class Verdict { not_run, yes, no, inconclusive };
std::string verdict_name(Verdict verdict);  // "not run", "yes", "no", "inconclusive"

// A claim's verdict with the test behind it, as the report prints it, e.g.
// "gain +6.2 [3.1, 9.3] vs > 5.0: p = 0.012 (3 seeds)".
struct Check {
  Verdict verdict = Verdict::not_run;
  std::string text;
};
// The claim that the measure (per seed) is above `threshold`; p is the one-sided
// paired t-test's of "it is not" (yes when p < 0.025, that is the interval's low end
// above the threshold).
Check check_above(const std::string& what, const BySeed& measure, double threshold);
// The claim that it is below `threshold`.
Check check_below(const std::string& what, const BySeed& measure, double threshold);
// The claim that it lies within ±bound (two one-sided tests: yes when the interval
// is inside, no when it is wholly outside).
Check check_within(const std::string& what, const BySeed& measure, double bound);
// Every part must hold (an intersection-union test: valid at 2.5% with no
// correction, and conservative): yes when all are yes, no when any is no, not run
// when any is not run, inconclusive otherwise. The text joins the parts' with "; ".
Check all_of(const std::vector<Check>& parts);

// "+6.2 [3.1, 9.3]" (a mean and its interval), "+6.2" for one seed, "–" for none.
std::string format_estimate(const Estimate& estimate);

}  // namespace nanossl
