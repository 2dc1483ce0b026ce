// Pooling on the CPU: one OpenMP iteration per (n, c) plane, so backward scatters
// never race (a plane's windows only touch that plane).
//
// Dimensions: N batch, C channels, H W input size, P Q output size.
#include "cpu/pooling.h"

#include <algorithm>
#include <cmath>

namespace nanossl::cpu {
namespace {
// Loops over fewer elements than this stay on one thread: waking the team costs more.
constexpr std::int64_t kParallelMin = std::int64_t{1} << 15;
}  // namespace

template <class T>
void max_pool2d_forward(const T* x, T* out, std::int64_t* indices, const Pool2dGeometry& g) {
#pragma omp parallel for schedule(static) if (g.planes() * g.plane_in() >= kParallelMin)
  for (std::int64_t plane = 0; plane < g.planes(); ++plane) {
    const T* in = x + plane * g.plane_in();
    T* o = out + plane * g.plane_out();
    std::int64_t* idx = indices + plane * g.plane_out();
    for (std::int64_t p = 0; p < g.P; ++p) {
      const auto [h0, h1] = g.rows(p);
      for (std::int64_t q = 0; q < g.Q; ++q) {
        const auto [w0, w1] = g.cols(q);
        // The window always holds one real input (padding <= kernel/2 is validated).
        std::int64_t best = h0 * g.W + w0;
        T best_value = in[best];
        for (std::int64_t h = h0; h < h1; ++h) {
          for (std::int64_t w = w0; w < w1; ++w) {
            const T v = in[h * g.W + w];
            if (v > best_value || std::isnan(v)) {
              best = h * g.W + w;
              best_value = v;
            }
          }
        }
        o[p * g.Q + q] = best_value;
        idx[p * g.Q + q] = best;
      }
    }
  }
}

template <class T>
void max_pool2d_backward(const T* dout, const std::int64_t* indices, T* dx,
                         const Pool2dGeometry& g) {
#pragma omp parallel for schedule(static) if (g.planes() * g.plane_in() >= kParallelMin)
  for (std::int64_t plane = 0; plane < g.planes(); ++plane) {
    T* d = dx + plane * g.plane_in();
    std::fill(d, d + g.plane_in(), T(0));
    const T* go = dout + plane * g.plane_out();
    const std::int64_t* idx = indices + plane * g.plane_out();
    for (std::int64_t i = 0; i < g.plane_out(); ++i) d[idx[i]] += go[i];
  }
}

template <class T>
void avg_pool2d_forward(const T* x, T* out, const Pool2dGeometry& g) {
  const T scale = T(1) / static_cast<T>(g.kernel * g.kernel);
#pragma omp parallel for schedule(static) if (g.planes() * g.plane_in() >= kParallelMin)
  for (std::int64_t plane = 0; plane < g.planes(); ++plane) {
    const T* in = x + plane * g.plane_in();
    T* o = out + plane * g.plane_out();
    for (std::int64_t p = 0; p < g.P; ++p) {
      const auto [h0, h1] = g.rows(p);
      for (std::int64_t q = 0; q < g.Q; ++q) {
        const auto [w0, w1] = g.cols(q);
        T sum = 0;
        for (std::int64_t h = h0; h < h1; ++h)
          for (std::int64_t w = w0; w < w1; ++w) sum += in[h * g.W + w];
        o[p * g.Q + q] = sum * scale;
      }
    }
  }
}

template <class T>
void avg_pool2d_backward(const T* dout, T* dx, const Pool2dGeometry& g) {
  const T scale = T(1) / static_cast<T>(g.kernel * g.kernel);
#pragma omp parallel for schedule(static) if (g.planes() * g.plane_in() >= kParallelMin)
  for (std::int64_t plane = 0; plane < g.planes(); ++plane) {
    T* d = dx + plane * g.plane_in();
    std::fill(d, d + g.plane_in(), T(0));
    const T* go = dout + plane * g.plane_out();
    for (std::int64_t p = 0; p < g.P; ++p) {
      const auto [h0, h1] = g.rows(p);
      for (std::int64_t q = 0; q < g.Q; ++q) {
        const auto [w0, w1] = g.cols(q);
        const T share = go[p * g.Q + q] * scale;
        for (std::int64_t h = h0; h < h1; ++h)
          for (std::int64_t w = w0; w < w1; ++w) d[h * g.W + w] += share;
      }
    }
  }
}

template <class T>
void global_avg_pool2d_forward(const T* x, T* out, std::int64_t planes, std::int64_t size) {
#pragma omp parallel for schedule(static) if (planes * size >= kParallelMin)
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const T* in = x + plane * size;
    double sum = 0.0;
    for (std::int64_t i = 0; i < size; ++i) sum += in[i];
    out[plane] = static_cast<T>(sum / static_cast<double>(size));
  }
}

template <class T>
void global_avg_pool2d_backward(const T* dout, T* dx, std::int64_t planes, std::int64_t size) {
  const T scale = T(1) / static_cast<T>(size);
#pragma omp parallel for schedule(static) if (planes * size >= kParallelMin)
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const T share = dout[plane] * scale;
    std::fill(dx + plane * size, dx + (plane + 1) * size, share);
  }
}

template void max_pool2d_forward<float>(const float*, float*, std::int64_t*, const Pool2dGeometry&);
template void max_pool2d_forward<double>(const double*, double*, std::int64_t*,
                                         const Pool2dGeometry&);
template void max_pool2d_backward<float>(const float*, const std::int64_t*, float*,
                                         const Pool2dGeometry&);
template void max_pool2d_backward<double>(const double*, const std::int64_t*, double*,
                                          const Pool2dGeometry&);
template void avg_pool2d_forward<float>(const float*, float*, const Pool2dGeometry&);
template void avg_pool2d_forward<double>(const double*, double*, const Pool2dGeometry&);
template void avg_pool2d_backward<float>(const float*, float*, const Pool2dGeometry&);
template void avg_pool2d_backward<double>(const double*, double*, const Pool2dGeometry&);
template void global_avg_pool2d_forward<float>(const float*, float*, std::int64_t, std::int64_t);
template void global_avg_pool2d_forward<double>(const double*, double*, std::int64_t,
                                                std::int64_t);
template void global_avg_pool2d_backward<float>(const float*, float*, std::int64_t, std::int64_t);
template void global_avg_pool2d_backward<double>(const double*, double*, std::int64_t,
                                                 std::int64_t);

}  // namespace nanossl::cpu
