// conv2d against oneDNN, the strongest CPU convolution library on these machines,
// measured in the same process: forward, backward-data and backward-weights
// separately, on the 3x3 layer shapes of a CIFAR-stem ResNet-18 at base widths 16
// and 64, batch 128, fp32, on every thread. nanossl runs cpu::conv2d_forward and
// cpu::conv2d_backward (asked for dx only, or dweight only) on NCHW buffers.
// oneDNN (Debian's libdnnl, called directly) gets its best layout for each shape
// (format_tag::any, direct algorithm); the reorders from and to NCHW are excluded
// from its times and reported in their own column. Each figure is also a fraction
// of the fp32 FMA peak, measured first in the same run (bench_peak's loop).
//
//   bench_conv_onednn [--widths 16,64] [--batch 128] [--min-seconds S]
//
// FLOPs of each pass: 2*N*K*C*R*S*P*Q (the three passes do equal work).
// Dimensions: N batch, C input channels, K output channels, H W input, P Q output.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "cpu/conv.h"
#include "machine.h"
#include "peak_kernels.h"
#include "timing.h"

namespace {

using nanossl::bench::median_seconds;

using nanossl::Conv2dGeometry;

// fp32 peak on `threads` threads, GFLOP/s (bench_peak's AVX-512 or AVX2 loop).
double fp32_peak(int threads) {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  auto loop = avx512 ? nanossl::bench::fma_f32_avx512 : nanossl::bench::fma_f32_avx2;
  const double flops = avx512 ? nanossl::bench::kFmaF32Avx512Flops : nanossl::bench::kFmaF32Avx2Flops;
  const std::int64_t iterations = 1 << 24;
  volatile double sink = 0;
  const double seconds = median_seconds(
      [&] {
#pragma omp parallel num_threads(threads)
        {
          const double v = loop(iterations);
#pragma omp critical
          sink = sink + v;
        }
      },
      0.3);
  return flops * iterations * threads / seconds / 1e9;
}

std::vector<std::int64_t> split(const std::string& text) {
  std::vector<std::int64_t> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::atoll(item.c_str()));
  return out;
}

std::vector<float> random_buffer(std::int64_t n, unsigned seed) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<float>(seed >> 8) / 16777216.0f - 0.5f;
  }
  return v;
}

// oneDNN's three passes on one shape, each in the layouts it prefers.
struct OnednnConv {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::convolution_forward::primitive_desc forward_pd;
  dnnl::convolution_backward_data::primitive_desc data_pd;
  dnnl::convolution_backward_weights::primitive_desc weights_pd;

  explicit OnednnConv(const Conv2dGeometry& g) {
    using dnnl::memory;
    const memory::dims src = {g.N, g.C, g.H, g.W}, wei = {g.K, g.C, g.R, g.S}, dst = {g.N, g.K, g.P, g.Q};
    const memory::dims strides = {g.stride, g.stride}, pad = {g.padding, g.padding};
    auto any = [](const memory::dims& dims) { return memory::desc(dims, memory::data_type::f32, memory::format_tag::any); };
    const auto algorithm = dnnl::algorithm::convolution_direct;
    forward_pd = dnnl::convolution_forward::primitive_desc(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algorithm, any(src), any(wei), any(dst),
                                        strides, pad, pad),
        engine);
    data_pd = dnnl::convolution_backward_data::primitive_desc(
        dnnl::convolution_backward_data::desc(algorithm, any(src), any(wei), any(dst), strides, pad, pad), engine,
        forward_pd);
    weights_pd = dnnl::convolution_backward_weights::primitive_desc(
        dnnl::convolution_backward_weights::desc(algorithm, any(src), any(wei), any(dst), strides, pad, pad), engine,
        forward_pd);
  }

  // A buffer in the primitive's layout, filled from an NCHW / KCRS one by a reorder.
  dnnl::memory from_plain(const dnnl::memory::desc& wanted, const dnnl::memory::dims& dims,
                          std::vector<float>& plain) {
    using dnnl::memory;
    const auto tag = dims.size() == 4 ? memory::format_tag::nchw : memory::format_tag::x;
    memory user({dims, memory::data_type::f32, tag}, engine, plain.data());
    memory inner(wanted, engine);
    dnnl::reorder(user, inner).execute(stream, user, inner);
    stream.wait();
    return inner;
  }
};

// The largest |a - b| over |b|'s largest value: the two libraries must agree.
double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 1e-30;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, static_cast<double>(std::abs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::abs(b[i])));
  }
  return diff / scale;
}

void print_row(const std::string& shape, const char* pass, double ours, double theirs, double peak,
               double reorder_ms) {
  std::printf("%-16s %-8s %9.1f %5.0f%% %9.1f %5.0f%% %6.2f %10.2f\n", shape.c_str(), pass, ours, 100 * ours / peak,
              theirs, 100 * theirs / peak, ours / theirs, reorder_ms);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int64_t> widths = {16, 64};
  std::int64_t batch = 128;
  double min_seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--widths" && has_value) widths = split(argv[++i]);
    else if (arg == "--batch" && has_value) batch = std::atoll(argv[++i]);
    else if (arg == "--min-seconds" && has_value) min_seconds = std::atof(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--widths 16,64] [--batch 128] [--min-seconds S]\n", argv[0]);
      return 2;
    }
  }
  const int threads = omp_get_max_threads();
  const double peak = fp32_peak(threads);
  const dnnl_version_t* version = dnnl_version();
  std::printf("# %s, %d threads, fp32 FMA peak %.1f GFLOP/s; oneDNN %d.%d.%d (%s)\n",
              nanossl::bench::cpu_description().c_str(), threads, peak, version->major, version->minor,
              version->patch, version->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other runtime");
  std::printf("# conv2d 3x3 stride 1 padding 1, batch %lld; GFLOP/s and %% of peak; reorders: oneDNN's NCHW <->\n"
              "# its layout for the pass's inputs and output, excluded from its time\n",
              static_cast<long long>(batch));
  std::printf("%-16s %-8s %9s %6s %9s %6s %6s %10s\n", "shape", "pass", "nanossl", "peak", "oneDNN", "peak", "ratio",
              "reorder ms");

  const std::int64_t sides[] = {32, 16, 8, 4};  // layer1..layer4 of the CIFAR stem
  for (std::int64_t width : widths) {
    for (int layer = 0; layer < 4; ++layer) {
      Conv2dGeometry g;
      g.N = batch;
      g.C = g.K = width << layer;
      g.H = g.W = g.P = g.Q = sides[layer];
      g.R = g.S = 3;
      g.stride = 1;
      g.padding = 1;
      const std::string shape = "w" + std::to_string(width) + ".layer" + std::to_string(layer + 1);
      const double flops = 2.0 * g.N * g.K * g.C * g.R * g.S * g.P * g.Q;
      std::vector<float> x = random_buffer(g.N * g.C * g.H * g.W, 1), w = random_buffer(g.K * g.C * 9, 2);
      std::vector<float> dy = random_buffer(g.N * g.K * g.P * g.Q, 3);
      std::vector<float> y(dy.size()), dx(x.size()), dw(w.size());  // nanossl's results
      std::vector<float> y_dnn(dy.size()), dx_dnn(x.size()), dw_dnn(w.size());  // oneDNN's, back in NCHW
      for (auto& v : w) v *= 0.1f;

      OnednnConv dnn(g);
      const dnnl::memory::dims src = {g.N, g.C, g.H, g.W}, wei = {g.K, g.C, 3, 3}, dst = {g.N, g.K, g.P, g.Q};
      // Reorders of the plain buffers into each pass's layouts, timed once each.
      auto timed_ms = [](auto&& fn) {
        const auto start = std::chrono::steady_clock::now();
        auto result = fn();
        return std::make_pair(std::move(result),
                              1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      };
      auto [fx, fx_ms] = timed_ms([&] { return dnn.from_plain(dnn.forward_pd.src_desc(), src, x); });
      auto [fw, fw_ms] = timed_ms([&] { return dnn.from_plain(dnn.forward_pd.weights_desc(), wei, w); });
      dnnl::memory fy(dnn.forward_pd.dst_desc(), dnn.engine);
      auto [bdy, bdy_ms] = timed_ms([&] { return dnn.from_plain(dnn.data_pd.diff_dst_desc(), dst, dy); });
      auto [bw, bw_ms] = timed_ms([&] { return dnn.from_plain(dnn.data_pd.weights_desc(), wei, w); });
      dnnl::memory bdx(dnn.data_pd.diff_src_desc(), dnn.engine);
      auto [wx, wx_ms] = timed_ms([&] { return dnn.from_plain(dnn.weights_pd.src_desc(), src, x); });
      auto [wdy, wdy_ms] = timed_ms([&] { return dnn.from_plain(dnn.weights_pd.diff_dst_desc(), dst, dy); });
      dnnl::memory wdw(dnn.weights_pd.diff_weights_desc(), dnn.engine);
      // The output's reorder back to NCHW, the same size as the first input's.
      auto output_ms = [&](dnnl::memory inner, const dnnl::memory::dims& dims, std::vector<float>& plain) {
        dnnl::memory user({dims, dnnl::memory::data_type::f32,
                           dims.size() == 4 ? dnnl::memory::format_tag::nchw : dnnl::memory::format_tag::x},
                          dnn.engine, plain.data());
        const auto start = std::chrono::steady_clock::now();
        dnnl::reorder(inner, user).execute(dnn.stream, inner, user);
        dnn.stream.wait();
        return 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      };

      dnnl::convolution_forward forward(dnn.forward_pd);
      dnnl::convolution_backward_data backward_data(dnn.data_pd);
      dnnl::convolution_backward_weights backward_weights(dnn.weights_pd);
      const double ours_fwd = median_seconds([&] { nanossl::cpu::conv2d_forward<float>(x.data(), w.data(), nullptr, y.data(), g); }, min_seconds);
      const double theirs_fwd = median_seconds(
          [&] {
            forward.execute(dnn.stream, {{DNNL_ARG_SRC, fx}, {DNNL_ARG_WEIGHTS, fw}, {DNNL_ARG_DST, fy}});
            dnn.stream.wait();
          },
          min_seconds);
      print_row(shape, "forward", flops / ours_fwd / 1e9, flops / theirs_fwd / 1e9, peak,
                fx_ms + fw_ms + output_ms(fy, dst, y_dnn));

      const double ours_data = median_seconds(
          [&] { nanossl::cpu::conv2d_backward<float>(x.data(), w.data(), dy.data(), dx.data(), nullptr, nullptr, g); },
          min_seconds);
      const double theirs_data = median_seconds(
          [&] {
            backward_data.execute(dnn.stream, {{DNNL_ARG_DIFF_DST, bdy}, {DNNL_ARG_WEIGHTS, bw}, {DNNL_ARG_DIFF_SRC, bdx}});
            dnn.stream.wait();
          },
          min_seconds);
      print_row(shape, "bwd-data", flops / ours_data / 1e9, flops / theirs_data / 1e9, peak,
                bdy_ms + bw_ms + output_ms(bdx, src, dx_dnn));

      const double ours_weights = median_seconds(
          [&] { nanossl::cpu::conv2d_backward<float>(x.data(), w.data(), dy.data(), nullptr, dw.data(), nullptr, g); },
          min_seconds);
      const double theirs_weights = median_seconds(
          [&] {
            backward_weights.execute(dnn.stream, {{DNNL_ARG_SRC, wx}, {DNNL_ARG_DIFF_DST, wdy}, {DNNL_ARG_DIFF_WEIGHTS, wdw}});
            dnn.stream.wait();
          },
          min_seconds);
      print_row(shape, "bwd-wei", flops / ours_weights / 1e9, flops / theirs_weights / 1e9, peak,
                wx_ms + wdy_ms + output_ms(wdw, wei, dw_dnn));
      const double worst = std::max({relative_difference(y, y_dnn), relative_difference(dx, dx_dnn),
                                     relative_difference(dw, dw_dnn)});
      if (worst > 1e-4) {
        std::printf("# %s: nanossl and oneDNN disagree (largest difference %.2e of the largest value)\n", shape.c_str(),
                    worst);
        return 1;
      }
    }
  }
  return 0;
}
