// conv2d on the CPU: im2col/col2im with OpenMP, and the forward and backward passes
// as a few large cpu::gemm calls per chunk of images.
//
// Dimensions: N batch, C input channels, H W input size, K output channels,
// R S kernel size, P Q output size; B images per chunk, CRS = C*R*S, PQ = P*Q.
//
// The lowering. Images go through in chunks of B, enough that the GEMMs have about
// kTargetColumns columns (B = 1 on maps of 32x32 and larger, 64 images on 4x4 maps).
// For one chunk:
//   forward   col (CRS, B*PQ) = im2col(x chunk)
//             tmp (K, B*PQ)   = weight (K, CRS) * col              one GEMM
//             out[b][k][:]    = tmp[k][b*PQ, (b+1)*PQ) + bias[k]   reorder, rows of PQ
//   backward  dr (K, B*PQ)    = dout chunk, reordered the same way
//             dweight        += dr * col^T             (K, CRS)    GEMM, trans_b
//             col             = weight^T * dr          (CRS, B*PQ) GEMM, trans_a, reuses col
//             dx chunk        = col2im(col)
// With B = 1 both reorders are the identity, so the GEMMs read dout and write out in
// place. Batching small maps keeps each GEMM wide (a per-image GEMM on a 4x4 map
// would have N = 16 and spend its time packing), while chunks of about a thousand
// columns keep col small (CRS x 1024: 2.4 MB for 64 channels) between im2col and the
// GEMM, use bounded memory and need no batch-sized buffer. Measured on the ResNet-18 CIFAR layers (batch 128,
// 3x3, 2 threads), forward+backward runs at 171-188 GFLOP/s with 512 or 1024 target
// columns and 165-187 with 4096, about 90% of the bare GEMM's rate. The transposes
// are GEMM flags, never copies.
// Pointwise convolutions (1x1, stride 1, no padding) with B = 1 skip im2col and
// col2im as well: an image's (C, H*W) plane already is its column matrix.
#include "cpu/conv.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include <omp.h>

#include "cpu/allocator.h"
#include "cpu/gemm.h"

namespace nanossl::cpu {
namespace {

// GEMM columns per chunk (B*PQ), and a cap on the im2col workspace (elements) that
// only very deep layers reach.
constexpr std::int64_t kTargetColumns = 1024;
constexpr std::int64_t kColumnBudget = std::int64_t{1} << 24;
// Loops over fewer elements than this stay on one thread: waking the team costs more.
constexpr std::int64_t kParallelMin = std::int64_t{1} << 15;

// A buffer from the caching host allocator, freed on scope exit.
template <class T>
class Workspace {
 public:
  // count == 0 allocates nothing (a path that needs no buffer).
  explicit Workspace(std::int64_t count)
      : data_(count > 0 ? static_cast<T*>(host_malloc(static_cast<std::size_t>(count) * sizeof(T)))
                        : nullptr) {}
  ~Workspace() {
    if (data_) host_free(data_);
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  T* get() const { return data_; }

 private:
  T* data_;
};

std::int64_t images_per_chunk(const Conv2dGeometry& g) {
  const std::int64_t PQ = std::max<std::int64_t>(1, g.plane_out());
  const std::int64_t wanted = (kTargetColumns + PQ - 1) / PQ;
  const std::int64_t affordable = std::max<std::int64_t>(1, kColumnBudget / (g.rows() * PQ));
  return std::clamp<std::int64_t>(std::min(wanted, affordable), 1, std::max<std::int64_t>(1, g.N));
}

// out[b][k][i] = tmp[k][b*PQ + i] + bias[k]   (bias may be null). With B == 1 the
// layouts agree and tmp may be out itself: the bias is then added in place.
template <class T>
void unpack_output(const T* tmp, const T* bias, std::int64_t B, std::int64_t K, std::int64_t PQ,
                   T* out) {
#pragma omp parallel for collapse(2) schedule(static) if (B * K * PQ >= kParallelMin)
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t k = 0; k < K; ++k) {
      const T* src = tmp + (k * B + b) * PQ;
      T* dst = out + (b * K + k) * PQ;
      const T shift = bias ? bias[k] : T(0);
      for (std::int64_t i = 0; i < PQ; ++i) dst[i] = src[i] + shift;
    }
  }
}

// dr[k][b*PQ + i] = dout[b][k][i]
template <class T>
void pack_gradient(const T* dout, std::int64_t B, std::int64_t K, std::int64_t PQ, T* dr) {
#pragma omp parallel for collapse(2) schedule(static) if (B * K * PQ >= kParallelMin)
  for (std::int64_t k = 0; k < K; ++k) {
    for (std::int64_t b = 0; b < B; ++b) {
      std::memcpy(dr + (k * B + b) * PQ, dout + (b * K + k) * PQ,
                  static_cast<std::size_t>(PQ) * sizeof(T));
    }
  }
}

// dbias[k] = sum over n and i of dout[n][k][i]: each row of PQ summed in T (SIMD),
// the rows accumulated in double.
template <class T>
void bias_gradient(const T* dout, const Conv2dGeometry& g, T* dbias) {
  const std::int64_t PQ = g.plane_out();
#pragma omp parallel for schedule(static) if (g.N * g.K * PQ >= kParallelMin)
  for (std::int64_t k = 0; k < g.K; ++k) {
    double sum = 0.0;
    for (std::int64_t n = 0; n < g.N; ++n) {
      const T* row = dout + (n * g.K + k) * PQ;
      T row_sum = 0;
#pragma omp simd reduction(+ : row_sum)
      for (std::int64_t i = 0; i < PQ; ++i) row_sum += row[i];
      sum += row_sum;
    }
    dbias[k] = static_cast<T>(sum);
  }
}

// The R*S col rows that come from one input plane, given inside its zero border
// (pitch Wp): rows[(r*S + s)*ld + p*Q + q] = plane[(p*stride + r*dilation)*Wp +
// s*dilation + q*stride]. kQ > 0 fixes Q at compile time: on the narrow maps of deep
// layers (4x4, 8x8) each output row then compiles to a few vector moves, where with
// a run-time Q the compiler emits a memcpy call per row that costs more than the copy.
template <std::int64_t kQ, class T>
void plane_to_rows(const T* plane, std::int64_t Wp, const Conv2dGeometry& g, T* rows,
                   std::int64_t ld) {
  const std::int64_t Q = kQ > 0 ? kQ : g.Q;
  for (std::int64_t r = 0; r < g.R; ++r) {
    for (std::int64_t s = 0; s < g.S; ++s) {
      T* row = rows + (r * g.S + s) * ld;
      for (std::int64_t p = 0; p < g.P; ++p) {
        const T* src = plane + (p * g.stride + r * g.dilation) * Wp + s * g.dilation;
        T* dst = row + p * Q;
        if (g.stride == 1) {
          for (std::int64_t q = 0; q < Q; ++q) dst[q] = src[q];
        } else {
          for (std::int64_t q = 0; q < Q; ++q) dst[q] = src[q * g.stride];
        }
      }
    }
  }
}

// The adjoint of plane_to_rows: adds the R*S rows into the bordered plane (pitch Wp).
// (Adds are no memcpy, so a compile-time Q gains nothing here.)
template <class T>
void rows_to_plane(const T* rows, std::int64_t ld, const Conv2dGeometry& g, T* plane,
                   std::int64_t Wp) {
  const std::int64_t Q = g.Q;
  for (std::int64_t r = 0; r < g.R; ++r) {
    for (std::int64_t s = 0; s < g.S; ++s) {
      const T* row = rows + (r * g.S + s) * ld;
      for (std::int64_t p = 0; p < g.P; ++p) {
        T* dst = plane + (p * g.stride + r * g.dilation) * Wp + s * g.dilation;
        const T* src = row + p * Q;
        if (g.stride == 1) {
          for (std::int64_t q = 0; q < Q; ++q) dst[q] += src[q];
        } else {
          for (std::int64_t q = 0; q < Q; ++q) dst[q * g.stride] += src[q];
        }
      }
    }
  }
}

}  // namespace

template <class T>
void im2col(const T* x, std::int64_t B, const Conv2dGeometry& g, T* col) {
  const std::int64_t PQ = g.plane_out(), ld = B * PQ;
  const std::int64_t Hp = g.H + 2 * g.padding, Wp = g.W + 2 * g.padding;
#pragma omp parallel if (g.rows() * ld >= kParallelMin)
  {
    // This thread's copy of one input plane inside a border of zeros, so the windows
    // read it with no bounds checks. The border is written once; planes overwrite
    // only the interior.
    std::vector<T> padded(g.padding > 0 ? static_cast<std::size_t>(Hp * Wp) : 0, T(0));
    // One (c, b) plane per iteration: it stays in L1 while its R*S rows are written.
#pragma omp for collapse(2) schedule(static)
    for (std::int64_t c = 0; c < g.C; ++c) {
      for (std::int64_t b = 0; b < B; ++b) {
        const T* plane = x + (b * g.C + c) * g.plane_in();
        if (g.padding > 0) {
          for (std::int64_t h = 0; h < g.H; ++h)
            std::copy(plane + h * g.W, plane + (h + 1) * g.W,
                      padded.data() + (h + g.padding) * Wp + g.padding);
          plane = padded.data();
        }
        T* rows = col + c * g.R * g.S * ld + b * PQ;
        switch (g.Q) {
          case 4: plane_to_rows<4>(plane, Wp, g, rows, ld); break;
          case 8: plane_to_rows<8>(plane, Wp, g, rows, ld); break;
          default: plane_to_rows<0>(plane, Wp, g, rows, ld); break;
        }
      }
    }
  }
}

template <class T>
void col2im(const T* col, std::int64_t B, const Conv2dGeometry& g, T* dx) {
  const std::int64_t PQ = g.plane_out(), ld = B * PQ;
  const std::int64_t Hp = g.H + 2 * g.padding, Wp = g.W + 2 * g.padding;
#pragma omp parallel if (g.rows() * ld >= kParallelMin)
  {
    // This thread's accumulator for one plane with its border (sums landing in the
    // border are discarded), so the windows add with no bounds checks.
    std::vector<T> padded(static_cast<std::size_t>(Hp * Wp));
    // Each iteration owns one dx plane, so no two threads add into the same pixel;
    // consecutive iterations read consecutive stretches of the same R*S col rows.
#pragma omp for collapse(2) schedule(static)
    for (std::int64_t c = 0; c < g.C; ++c) {
      for (std::int64_t b = 0; b < B; ++b) {
        std::fill(padded.begin(), padded.end(), T(0));
        const T* rows = col + c * g.R * g.S * ld + b * PQ;
        rows_to_plane(rows, ld, g, padded.data(), Wp);
        T* plane = dx + (b * g.C + c) * g.plane_in();
        for (std::int64_t h = 0; h < g.H; ++h) {
          const T* src = padded.data() + (h + g.padding) * Wp + g.padding;
          std::copy(src, src + g.W, plane + h * g.W);
        }
      }
    }
  }
}

namespace {

// Batch-parallel split. With more than one thread, each thread takes a contiguous
// range of images and runs the whole lowering on it alone (its own workspace, a
// one-thread GEMM); dweight is summed from per-thread partials in thread order, so
// a run is deterministic for a given thread count. One fork/join per pass replaces
// two or three per chunk: with a few hundred chunks per step of a narrow ResNet the
// per-chunk barriers cost more than the work they split, and a thread descheduled by
// a busy host stalled every one of them. One image per thread at least; inside an
// enclosing parallel region everything stays on the calling thread.
int batch_threads(const Conv2dGeometry& g) {
  if (omp_in_parallel()) return 1;
  return static_cast<int>(std::clamp<std::int64_t>(omp_get_max_threads(), 1, std::max<std::int64_t>(1, g.N)));
}

// Images [begin, end) of thread t of `threads`: an even split.
std::pair<std::int64_t, std::int64_t> thread_range(std::int64_t N, int threads, int t) {
  return {N * t / threads, N * (t + 1) / threads};
}

// Forward of images [n_begin, n_end).
template <class T>
void forward_range(const T* x, const T* weight, const T* bias, T* out, const Conv2dGeometry& g,
                   std::int64_t n_begin, std::int64_t n_end) {
  if (n_begin >= n_end) return;
  const std::int64_t PQ = g.plane_out(), CRS = g.rows(), chunk = images_per_chunk(g);
  const bool direct = chunk == 1;                     // no reorder of the output
  const bool im2col_free = direct && g.pointwise();  // x_n is its own column matrix
  Workspace<T> col(im2col_free ? 0 : CRS * chunk * PQ), tmp(direct ? 0 : g.K * chunk * PQ);
  for (std::int64_t n0 = n_begin; n0 < n_end; n0 += chunk) {
    const std::int64_t B = std::min(chunk, n_end - n0), cols = B * PQ;
    const T* x_chunk = x + n0 * g.C * g.plane_in();
    T* out_chunk = out + n0 * g.K * PQ;
    if (!im2col_free) im2col(x_chunk, B, g, col.get());
    const T* columns = im2col_free ? x_chunk : col.get();
    T* product = direct ? out_chunk : tmp.get();
    gemm<T>(false, false, g.K, cols, CRS, T(1), weight, CRS, columns, cols, T(0), product, cols);
    if (!direct || bias) unpack_output(product, bias, B, g.K, PQ, out_chunk);
  }
}

// Backward of images [n_begin, n_end): dx for those images, and their dweight sum
// written (not added) into dweight, which is zeroed when the range is empty.
template <class T>
void backward_range(const T* x, const T* weight, const T* dout, T* dx, T* dweight, const Conv2dGeometry& g,
                    std::int64_t n_begin, std::int64_t n_end) {
  const std::int64_t PQ = g.plane_out(), CRS = g.rows(), chunk = images_per_chunk(g);
  if (n_begin >= n_end) {
    if (dweight) std::fill(dweight, dweight + g.K * CRS, T(0));
    return;
  }
  const bool direct = chunk == 1;                     // dout is read in place
  const bool im2col_free = direct && g.pointwise();  // x_n and dx_n are column matrices
  Workspace<T> col(im2col_free ? 0 : CRS * chunk * PQ), dr(direct ? 0 : g.K * chunk * PQ);
  for (std::int64_t n0 = n_begin; n0 < n_end; n0 += chunk) {
    const std::int64_t B = std::min(chunk, n_end - n0), cols = B * PQ;
    const T* x_chunk = x + n0 * g.C * g.plane_in();
    const T* dout_chunk = dout + n0 * g.K * PQ;
    if (!direct) pack_gradient(dout_chunk, B, g.K, PQ, dr.get());
    const T* grad = direct ? dout_chunk : dr.get();
    if (dweight) {
      if (!im2col_free) im2col(x_chunk, B, g, col.get());
      const T* columns = im2col_free ? x_chunk : col.get();
      gemm<T>(false, true, g.K, CRS, cols, T(1), grad, cols, columns, cols, n0 == n_begin ? T(0) : T(1),
              dweight, CRS);
    }
    if (dx) {
      T* dx_chunk = dx + n0 * g.C * g.plane_in();
      T* dcol = im2col_free ? dx_chunk : col.get();
      gemm<T>(true, false, CRS, cols, g.K, T(1), weight, CRS, grad, cols, T(0), dcol, cols);
      if (!im2col_free) col2im(dcol, B, g, dx_chunk);
    }
  }
}

}  // namespace

template <class T>
void conv2d_forward(const T* x, const T* weight, const T* bias, T* out, const Conv2dGeometry& g) {
  const int threads = batch_threads(g);
  if (threads == 1) return forward_range(x, weight, bias, out, g, 0, g.N);
#pragma omp parallel num_threads(threads)
  {
    const auto [begin, end] = thread_range(g.N, threads, omp_get_thread_num());
    forward_range(x, weight, bias, out, g, begin, end);
  }
}

template <class T>
void conv2d_backward(const T* x, const T* weight, const T* dout, T* dx, T* dweight, T* dbias,
                     const Conv2dGeometry& g) {
  if (dbias) bias_gradient(dout, g, dbias);
  if (!dx && !dweight) return;
  const int threads = batch_threads(g);
  if (threads == 1) return backward_range(x, weight, dout, dx, dweight, g, 0, g.N);
  // Thread 0 writes dweight itself; the others write partials, added in thread order.
  const std::int64_t weight_size = g.K * g.rows();
  Workspace<T> partials(dweight ? (threads - 1) * weight_size : 0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const auto [begin, end] = thread_range(g.N, threads, t);
    T* my_dweight = !dweight ? nullptr : t == 0 ? dweight : partials.get() + (t - 1) * weight_size;
    backward_range(x, weight, dout, dx, my_dweight, g, begin, end);
  }
  for (int t = 1; dweight && t < threads; ++t) {
    const T* partial = partials.get() + (t - 1) * weight_size;
    for (std::int64_t i = 0; i < weight_size; ++i) dweight[i] += partial[i];
  }
}

template void im2col<float>(const float*, std::int64_t, const Conv2dGeometry&, float*);
template void im2col<double>(const double*, std::int64_t, const Conv2dGeometry&, double*);
template void col2im<float>(const float*, std::int64_t, const Conv2dGeometry&, float*);
template void col2im<double>(const double*, std::int64_t, const Conv2dGeometry&, double*);
template void conv2d_forward<float>(const float*, const float*, const float*, float*,
                                    const Conv2dGeometry&);
template void conv2d_forward<double>(const double*, const double*, const double*, double*,
                                     const Conv2dGeometry&);
template void conv2d_backward<float>(const float*, const float*, const float*, float*, float*,
                                     float*, const Conv2dGeometry&);
template void conv2d_backward<double>(const double*, const double*, const double*, double*,
                                      double*, double*, const Conv2dGeometry&);

}  // namespace nanossl::cpu
