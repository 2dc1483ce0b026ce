// How the CPU benchmarks time a workload: the median of at least 5 timed calls,
// more until they add up to min_seconds (at most max_calls), after one untimed
// warm-up call (first touch of pages, allocator caches, the OpenMP pool, JIT).
// The median, not the mean, because a shared machine's hiccups are one-sided.
#pragma once
#include <algorithm>
#include <chrono>
#include <vector>

namespace nanossl::bench {

template <class Fn>
double median_seconds(Fn&& run, double min_seconds, std::size_t max_calls = 100) {
  run();
  std::vector<double> times;
  double total = 0;
  while (times.size() < 5 || (total < min_seconds && times.size() < max_calls)) {
    const auto start = std::chrono::steady_clock::now();
    run();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    times.push_back(s);
    total += s;
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

}  // namespace nanossl::bench
