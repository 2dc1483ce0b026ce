// Student-t intervals and one-sided paired tests over seeds (docs/statistics.md).
#include "studies/statistics.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace nanossl {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kTail = 0.025;  // each side of a 95% interval

// The continued fraction of the regularised incomplete beta function I_x(a, b),
// evaluated by the modified Lentz method; converges fast for x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300;
  double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::abs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double result = d;
  for (int m = 1; m <= 500; ++m) {
    // The even term m(b - m)x / ((a + 2m - 1)(a + 2m)), then the odd one.
    const double even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
    d = 1.0 + even * d;
    c = 1.0 + even / c;
    if (std::abs(d) < tiny) d = tiny;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    result *= d * c;
    const double odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
    d = 1.0 + odd * d;
    c = 1.0 + odd / c;
    if (std::abs(d) < tiny) d = tiny;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double step = d * c;
    result *= step;
    if (std::abs(step - 1.0) < 1e-15) break;
  }
  return result;
}

// I_x(a, b) for 0 <= x <= 1.
double incomplete_beta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1.0) / (a + b + 2.0)) return std::exp(log_front) * beta_fraction(a, b, x) / a;
  return 1.0 - std::exp(log_front) * beta_fraction(b, a, 1.0 - x) / b;  // I_x(a, b) = 1 - I_(1-x)(b, a)
}

std::string number(double value, const char* format) {
  char text[48];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string p_text(double p) { return p < 0.001 ? "p < 0.001" : "p = " + number(p, "%.3f"); }

std::string seeds_text(int n) { return std::to_string(n) + (n == 1 ? " seed" : " seeds"); }

// P(T >= t) with the estimate's n - 1 degrees of freedom; a zero standard error
// (every seed alike) makes the test exact: 0 or 1.
double upper_tail(double t, int n) {
  if (std::isinf(t)) return t > 0 ? 0.0 : 1.0;
  return 1.0 - student_t_cdf(t, n - 1);
}
double standardised(double value, double std_error) {
  if (std_error > 0.0) return value / std_error;
  return value > 0 ? INFINITY : value < 0 ? -INFINITY : 0.0;
}

// The shared shape of check_above / check_below: `holds` and `fails` read the
// interval, `p` is the p-value of the claim's null.
Check one_sided(const std::string& what, const BySeed& measure, double threshold, bool above) {
  const Estimate e = estimate_of(measure);
  const std::string claim = std::string(above ? " vs > " : " vs < ") + number(threshold, "%.1f");
  if (e.n == 0) return {Verdict::not_run, what + ": not run"};
  if (e.n == 1) return {Verdict::inconclusive, what + " " + format_estimate(e) + claim + ": 1 seed, no test"};
  const double t = standardised(e.mean - threshold, e.std_error);
  const double p = above ? upper_tail(t, e.n) : upper_tail(-t, e.n);
  Verdict verdict = Verdict::inconclusive;
  if (above ? e.low > threshold : e.high < threshold) verdict = Verdict::yes;
  if (above ? e.high < threshold : e.low > threshold) verdict = Verdict::no;
  return {verdict, what + " " + format_estimate(e) + claim + ": " + p_text(p) + " (" + seeds_text(e.n) + ")"};
}

}  // namespace

double student_t_cdf(double t, double dof) {
  if (!(dof > 0.0)) throw std::invalid_argument("[statistics] student_t_cdf: degrees of freedom must be positive");
  if (std::isnan(t)) return kNaN;
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  // P(|T| >= |t|) / 2 = I_x(dof / 2, 1 / 2) / 2 with x = dof / (dof + t^2).
  const double tail = 0.5 * incomplete_beta(0.5 * dof, 0.5, dof / (dof + t * t));
  return t > 0 ? 1.0 - tail : tail;
}

double student_t_quantile(double p, double dof) {
  if (!(p > 0.0 && p < 1.0)) throw std::invalid_argument("[statistics] student_t_quantile: p must be in (0, 1)");
  if (p < 0.5) return -student_t_quantile(1.0 - p, dof);
  double low = 0.0, high = 1.0;
  while (student_t_cdf(high, dof) < p) low = high, high *= 2.0;
  for (int i = 0; i < 200 && high - low > 1e-13 * high; ++i) {  // bisection: the cdf is monotone
    const double middle = 0.5 * (low + high);
    (student_t_cdf(middle, dof) < p ? low : high) = middle;
  }
  return 0.5 * (low + high);
}

BySeed difference(const BySeed& a, const BySeed& b) {
  BySeed out;
  for (const auto& [seed, value] : a) {
    if (auto it = b.find(seed); it != b.end()) out[seed] = value - it->second;
  }
  return out;
}

BySeed mean_per_seed(const std::vector<BySeed>& parts) {
  BySeed out;
  if (parts.empty()) return out;
  for (const auto& [seed, first] : parts.front()) {
    double sum = 0.0;
    bool everywhere = true;
    for (const BySeed& part : parts) {
      auto it = part.find(seed);
      if (it == part.end()) {
        everywhere = false;
        break;
      }
      sum += it->second;
    }
    if (everywhere) out[seed] = sum / static_cast<double>(parts.size());
  }
  return out;
}

std::vector<double> values_of(const BySeed& by_seed) {
  std::vector<double> values;
  for (const auto& entry : by_seed) values.push_back(entry.second);
  return values;
}

Estimate estimate_of(const std::vector<double>& values) {
  Estimate e;
  e.n = static_cast<int>(values.size());
  if (e.n == 0) {
    e.mean = e.std_error = e.low = e.high = kNaN;
    return e;
  }
  double sum = 0.0;
  for (double v : values) sum += v;
  e.mean = sum / e.n;
  if (e.n < 2) {
    e.std_error = e.low = e.high = kNaN;
    return e;
  }
  double squares = 0.0;
  for (double v : values) squares += (v - e.mean) * (v - e.mean);
  e.std_error = std::sqrt(squares / (e.n - 1) / e.n);
  const double half_width = student_t_quantile(1.0 - kTail, e.n - 1) * e.std_error;
  e.low = e.mean - half_width;
  e.high = e.mean + half_width;
  return e;
}

Estimate estimate_of(const BySeed& by_seed) { return estimate_of(values_of(by_seed)); }

std::string verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::yes: return "yes";
    case Verdict::no: return "no";
    case Verdict::inconclusive: return "inconclusive";
    case Verdict::not_run: break;
  }
  return "not run";
}

Check check_above(const std::string& what, const BySeed& measure, double threshold) {
  return one_sided(what, measure, threshold, true);
}

Check check_below(const std::string& what, const BySeed& measure, double threshold) {
  return one_sided(what, measure, threshold, false);
}

Check check_within(const std::string& what, const BySeed& measure, double bound) {
  const Estimate e = estimate_of(measure);
  const std::string claim = " vs within ±" + number(bound, "%.1f");
  if (e.n == 0) return {Verdict::not_run, what + ": not run"};
  if (e.n == 1) return {Verdict::inconclusive, what + " " + format_estimate(e) + claim + ": 1 seed, no test"};
  // Two one-sided tests: "above -bound" and "below +bound"; the claim's p is the larger.
  const double p = std::max(upper_tail(standardised(e.mean + bound, e.std_error), e.n),
                            upper_tail(-standardised(e.mean - bound, e.std_error), e.n));
  Verdict verdict = Verdict::inconclusive;
  if (e.low > -bound && e.high < bound) verdict = Verdict::yes;
  if (e.low > bound || e.high < -bound) verdict = Verdict::no;
  return {verdict, what + " " + format_estimate(e) + claim + ": " + p_text(p) + " (" + seeds_text(e.n) + ")"};
}

Check all_of(const std::vector<Check>& parts) {
  Check out;
  if (parts.empty()) return out;  // not run: nothing to check
  bool any_no = false, any_not_run = false, all_yes = true;
  for (const Check& part : parts) {
    any_no |= part.verdict == Verdict::no;
    any_not_run |= part.verdict == Verdict::not_run;
    all_yes &= part.verdict == Verdict::yes;
    out.text += (out.text.empty() ? "" : "; ") + part.text;
  }
  out.verdict = any_not_run ? Verdict::not_run
                : any_no    ? Verdict::no
                : all_yes   ? Verdict::yes
                            : Verdict::inconclusive;
  return out;
}

std::string format_estimate(const Estimate& e) {
  if (e.n == 0) return "–";
  if (e.n == 1) return number(e.mean, "%+.1f");
  return number(e.mean, "%+.1f") + " [" + number(e.low, "%.1f") + ", " + number(e.high, "%.1f") + "]";
}

}  // namespace nanossl
