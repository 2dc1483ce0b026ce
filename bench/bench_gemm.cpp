// GEMM throughput: nanossl's gemm<float> against OpenBLAS's cblas_sgemm, both in
// this process, on 1024^3 and on the ResNet-18 CIFAR conv layers lowered to GEMMs
// (im2col over the whole batch of 128), at 1 and 2 threads. OpenBLAS is loaded
// with dlopen after setting OPENBLAS_CORETYPE=SkylakeX (Debian's 0.3.21 otherwise
// picks a slow kernel on current CPUs); without it only nanossl is measured.
//
//   bench_gemm [--threads 1,2] [--shapes all|acceptance|NAME,...] [--min-seconds S] [--tsv]
//              [--no-peer]
//
// Conv layer as GEMMs (K_out output channels, C input channels, 3x3, P x Q output):
//   forward  M = K_out,  N = batch*P*Q, K = C*9     Y = W * col
//   dweight  M = K_out,  N = C*9,       K = batch*P*Q, B transposed   dW = dY * col^T
//   dinput   M = C*9,    N = batch*P*Q, K = K_out,  A transposed      dcol = W^T * dY
// and the same three with N (or K for dweight) = 1024, suffix ".c1024": the chunks
// of about 1024 columns that cpu/conv.cpp actually multiplies.
#include <dlfcn.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cpu/gemm.h"
#include "timing.h"

namespace {

using nanossl::bench::median_seconds;

struct Shape {
  std::string name;
  bool trans_a, trans_b;
  std::int64_t M, N, K;
  bool acceptance;  // part of the 0.8x-OpenBLAS target
};

std::vector<Shape> all_shapes() {
  std::vector<Shape> shapes{{"square1024", false, false, 1024, 1024, 1024, true}};
  struct Layer {
    const char* name;
    std::int64_t channels, side;
  };
  const Layer layers[] = {{"layer1", 64, 32}, {"layer2", 128, 16}, {"layer3", 256, 8},
                          {"layer4", 512, 4}};
  const std::int64_t batch = 128;
  for (const Layer& l : layers) {
    const std::int64_t k_out = l.channels, crs = l.channels * 9, npq = batch * l.side * l.side;
    const bool acceptance = l.channels >= 256;
    const std::string n = l.name;
    shapes.push_back({n + ".fwd", false, false, k_out, npq, crs, acceptance});
    shapes.push_back({n + ".dweight", false, true, k_out, crs, npq, acceptance});
    shapes.push_back({n + ".dinput", true, false, crs, npq, k_out, acceptance});
  }
  const std::int64_t chunk = 1024;
  for (const Layer& l : layers) {
    const std::int64_t k_out = l.channels, crs = l.channels * 9;
    const std::string n = l.name;
    shapes.push_back({n + ".fwd.c1024", false, false, k_out, chunk, crs, false});
    shapes.push_back({n + ".dweight.c1024", false, true, k_out, crs, chunk, false});
    shapes.push_back({n + ".dinput.c1024", true, false, crs, chunk, k_out, false});
  }
  return shapes;
}

using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*,
                            int, float, float*, int);
using SetThreads = void (*)(int);

struct OpenBlas {
  CblasSgemm sgemm = nullptr;
  SetThreads set_threads = nullptr;
  std::string config;
};

OpenBlas load_openblas() {
  setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);  // read by OpenBLAS when it loads
  OpenBlas lib;
  void* handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!handle) return lib;
  lib.sgemm = reinterpret_cast<CblasSgemm>(dlsym(handle, "cblas_sgemm"));
  lib.set_threads = reinterpret_cast<SetThreads>(dlsym(handle, "openblas_set_num_threads"));
  using GetConfig = char* (*)();
  if (auto get = reinterpret_cast<GetConfig>(dlsym(handle, "openblas_get_config"))) lib.config = get();
  if (auto get = reinterpret_cast<GetConfig>(dlsym(handle, "openblas_get_corename")))
    lib.config += std::string(" core=") + get();
  if (!lib.set_threads) lib.sgemm = nullptr;
  return lib;
}

std::vector<int> parse_ints(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stoi(item));
  return out;
}

bool selected(const Shape& shape, const std::string& filter) {
  if (filter == "all") return true;
  if (filter == "acceptance") return shape.acceptance;
  std::stringstream ss(filter);
  for (std::string item; std::getline(ss, item, ',');)
    if (shape.name == item || shape.name.rfind(item + ".", 0) == 0) return true;
  return false;
}

void fill_random(std::vector<float>& v, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& x : v) x = dist(gen);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts{1, 2};
  std::string filter = "all";
  double min_seconds = 1.0;
  bool tsv = false, peer_wanted = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--threads" && has_value) thread_counts = parse_ints(argv[++i]);
    else if (arg == "--shapes" && has_value) filter = argv[++i];
    else if (arg == "--min-seconds" && has_value) min_seconds = std::atof(argv[++i]);
    else if (arg == "--tsv") tsv = true;
    else if (arg == "--no-peer") peer_wanted = false;
    else if (arg == "--kernel" && has_value) nanossl::cpu::set_gemm_kernel(nanossl::cpu::gemm_kernel_named(argv[++i]));
    else {
      std::fprintf(stderr,
                   "usage: %s [--threads 1,2] [--shapes all|acceptance|NAME,...] "
                   "[--min-seconds S] [--tsv] [--no-peer] [--kernel avx512|avx2|generic|avx512_bf16]\n", argv[0]);
      return 2;
    }
  }

  const OpenBlas openblas = peer_wanted ? load_openblas() : OpenBlas{};
  std::printf("# nanossl gemm kernel: %s\n", nanossl::cpu::gemm_kernel_name());
  if (openblas.sgemm)
    std::printf("# OpenBLAS: %s (OPENBLAS_CORETYPE=SkylakeX)\n", openblas.config.c_str());
  else if (peer_wanted)
    std::printf("# OpenBLAS: libopenblas.so.0 could not be loaded; measuring nanossl only\n");
  if (tsv) std::printf("bench\tshape\tthreads\tnanossl_gflops\tpeer_gflops\tratio\n");
  else std::printf("%-22s %7s %14s %14s %7s\n", "shape", "threads", "nanossl GF/s", "OpenBLAS GF/s", "ratio");

  for (const Shape& s : all_shapes()) {
    if (!selected(s, filter)) continue;
    const std::int64_t a_rows = s.trans_a ? s.K : s.M, a_cols = s.trans_a ? s.M : s.K;
    const std::int64_t b_rows = s.trans_b ? s.N : s.K, b_cols = s.trans_b ? s.K : s.N;
    std::vector<float> A(a_rows * a_cols), B(b_rows * b_cols), C(s.M * s.N);
    fill_random(A, 1);
    fill_random(B, 2);
    const double flops = 2.0 * s.M * s.N * s.K;
    for (int threads : thread_counts) {
      omp_set_num_threads(threads);
      const double ours = median_seconds(
          [&] {
            nanossl::cpu::gemm<float>(s.trans_a, s.trans_b, s.M, s.N, s.K, 1.0f, A.data(),
                                      a_cols, B.data(), b_cols, 0.0f, C.data(), s.N);
          },
          min_seconds, 200);
      double peer = 0;
      if (openblas.sgemm) {
        // Let our idle OpenMP workers stop spinning before OpenBLAS's threads start.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        openblas.set_threads(threads);
        peer = median_seconds(
            [&] {
              openblas.sgemm(101, s.trans_a ? 112 : 111, s.trans_b ? 112 : 111, int(s.M),
                             int(s.N), int(s.K), 1.0f, A.data(), int(a_cols), B.data(),
                             int(b_cols), 0.0f, C.data(), int(s.N));
            },
            min_seconds, 200);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      const double ours_gf = flops / ours * 1e-9, peer_gf = peer > 0 ? flops / peer * 1e-9 : 0;
      const double ratio = peer > 0 ? ours_gf / peer_gf : 0;
      if (tsv)
        std::printf("gemm\t%s\t%d\t%.1f\t%.1f\t%.3f\n", s.name.c_str(), threads, ours_gf, peer_gf, ratio);
      else if (peer > 0)
        std::printf("%-22s %7d %14.1f %14.1f %7.2f\n", s.name.c_str(), threads, ours_gf, peer_gf, ratio);
      else
        std::printf("%-22s %7d %14.1f %14s %7s\n", s.name.c_str(), threads, ours_gf, "-", "-");
      std::fflush(stdout);
    }
  }
  return 0;
}
