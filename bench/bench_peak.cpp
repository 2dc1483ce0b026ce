// The machine's peak, measured: the FLOP rate of register-only FMA loops (fp32,
// and bf16 dot products where the CPU has AVX512_BF16) on 1 thread and on every
// thread. Every CPU benchmark states its throughput as a fraction of these, since
// the CPU model (and so the peak) changes between machines.
//
//   bench_peak [--threads 1,2] [--min-seconds S]
//
// The last line is machine-readable:
//   RESULT peak fp32_gflops=<all threads> fp32_gflops_1t=... bf16_gflops=... (0: no bf16)
#include <omp.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "machine.h"
#include "peak_kernels.h"

namespace {

using nanossl::bench::cpu_description;

struct Loop {
  const char* name;
  double (*run)(std::int64_t iterations);
  double flops_per_iteration;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// GFLOP/s of `loop` on `threads` threads, each running the same iteration count;
// the count doubles until one timing lasts min_seconds.
double measure(const Loop& loop, int threads, double min_seconds) {
  volatile double sink = 0.0;
  for (std::int64_t iterations = 1 << 16;; iterations *= 2) {
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads)
    {
      const double value = loop.run(iterations);
#pragma omp critical
      sink = sink + value;
    }
    const double seconds = seconds_since(start);
    if (seconds >= min_seconds) {
      return loop.flops_per_iteration * static_cast<double>(iterations) * threads / seconds / 1e9;
    }
  }
}

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> values;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) values.push_back(std::atoi(item.c_str()));
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads = {1, omp_get_num_procs()};
  double min_seconds = 0.5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) threads = parse_list(argv[++i]);
    else if (arg == "--min-seconds" && i + 1 < argc) min_seconds = std::atof(argv[++i]);
    else {
      std::fprintf(stderr, "usage: bench_peak [--threads 1,2] [--min-seconds S]\n");
      return 2;
    }
  }
  if (threads.size() == 1 && threads[0] != 1) threads.insert(threads.begin(), 1);

  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool bf16 = avx512 && __builtin_cpu_supports("avx512bf16");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  std::vector<Loop> loops;
  if (avx512) loops.push_back({"fp32 FMA (AVX-512)", nanossl::bench::fma_f32_avx512, nanossl::bench::kFmaF32Avx512Flops});
  else if (avx2) loops.push_back({"fp32 FMA (AVX2)", nanossl::bench::fma_f32_avx2, nanossl::bench::kFmaF32Avx2Flops});
  if (bf16) loops.push_back({"bf16 dot (AVX512_BF16)", nanossl::bench::dot_bf16_avx512, nanossl::bench::kDotBf16Avx512Flops});
  if (loops.empty()) {
    std::fprintf(stderr, "bench_peak: this CPU has neither AVX-512 nor AVX2+FMA\n");
    return 1;
  }

  std::printf("# peak of %s, %d logical CPUs\n", cpu_description().c_str(), omp_get_num_procs());
  std::printf("%-24s %8s %10s\n", "loop", "threads", "GFLOP/s");
  double fp32_1t = 0.0, fp32_all = 0.0, bf16_all = 0.0;
  for (const Loop& loop : loops) {
    for (int t : threads) {
      const double rate = measure(loop, t, min_seconds);
      std::printf("%-24s %8d %10.1f\n", loop.name, t, rate);
      const bool is_bf16 = loop.run == nanossl::bench::dot_bf16_avx512;
      if (!is_bf16 && t == 1) fp32_1t = rate;
      if (t == threads.back()) (is_bf16 ? bf16_all : fp32_all) = rate;
    }
  }
  std::printf("RESULT peak fp32_gflops=%.1f fp32_gflops_1t=%.1f bf16_gflops=%.1f threads=%d\n", fp32_all, fp32_1t,
              bf16_all, threads.back());
  return 0;
}
