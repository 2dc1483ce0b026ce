// The loops whose FLOP rate is the machine's peak (bench_peak.cpp). Each returns a
// sum of its accumulators so the compiler cannot drop the work.
#pragma once
#include <cstdint>

namespace nanossl::bench {

// FLOPs one iteration of each loop performs.
constexpr double kFmaF32Avx512Flops = 16 * 16 * 2;
constexpr double kFmaF32Avx2Flops = 16 * 8 * 2;
constexpr double kDotBf16Avx512Flops = 16 * 16 * 4;

double fma_f32_avx512(std::int64_t iterations);   // needs avx512f
double fma_f32_avx2(std::int64_t iterations);     // needs avx2 + fma
double dot_bf16_avx512(std::int64_t iterations);  // needs avx512f + avx512bf16

}  // namespace nanossl::bench
