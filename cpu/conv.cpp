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
#include <array>
#include <cstring>
#include <functional>
#include <type_traits>
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
// layers (3x3 to 12x12) each output row then compiles to a few vector moves, where with
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

// Copies an H x W plane into the interior of a (H + 2*padding) x (W + 2*padding)
// buffer whose border the caller zeroed once: the border is never written here, so
// a buffer reused for plane after plane keeps it.
template <class T>
void copy_into_border(const T* plane, const Conv2dGeometry& g, T* padded) {
  const std::int64_t Wp = g.W + 2 * g.padding;
  for (std::int64_t h = 0; h < g.H; ++h)
    std::copy(plane + h * g.W, plane + (h + 1) * g.W, padded + (h + g.padding) * Wp + g.padding);
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
          copy_into_border(plane, g, padded.data());
          plane = padded.data();
        }
        T* rows = col + c * g.R * g.S * ld + b * PQ;
        switch (g.Q) {  // the narrow maps of 32-px and 24-px images
          case 3: plane_to_rows<3>(plane, Wp, g, rows, ld); break;
          case 4: plane_to_rows<4>(plane, Wp, g, rows, ld); break;
          case 6: plane_to_rows<6>(plane, Wp, g, rows, ld); break;
          case 8: plane_to_rows<8>(plane, Wp, g, rows, ld); break;
          case 12: plane_to_rows<12>(plane, Wp, g, rows, ld); break;
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

// ---- the implicit GEMM of the float forward pass ----
// The forward GEMM's B operand is the im2col matrix col (CRS, B*PQ). Rather than
// writing col and then copying it into the GEMM's column panels, ImplicitColumns packs
// the panels straight from the images, copied where there is padding into a buffer
// whose zero border is written once per range (copy_into_border): a panel row
// (c, r, s) over output pixels of one image row is a run of the padded plane,
// contiguous for stride 1. That removes one write and one read of col per pass (im2col was 13% of a width-16 ResNet-18 step, measured with
// perf).

// Packs blocks of col (CRS, B*PQ) of a chunk of images, padded by copy_into_border,
// into GEMM panels (gemm.h, GemmPackB): col[(c*R + r)*S + s][b*PQ + p*Q + q] =
// images[b][c][p*stride + r*dilation][q*stride + s*dilation]. Built once per range of
// images (the taps' offsets depend on the geometry only); set_images per chunk. T is
// the element type of forward_range; only the float GEMM packs with it.
template <class T>
class ImplicitColumns {
 public:
  explicit ImplicitColumns(const Conv2dGeometry& g)
      : g_(g), Wp_(g.W + 2 * g.padding), image_(g.C * (g.H + 2 * g.padding) * Wp_),
        tap_offset_(static_cast<std::size_t>(g.rows())) {
    const std::int64_t RS = g.R * g.S, plane = image_ / g.C;
    for (std::int64_t k = 0; k < g.rows(); ++k)
      tap_offset_[k] = (k / RS) * plane + (k % RS / g.S) * g.dilation * Wp_ + (k % g.S) * g.dilation;
  }

  void set_images(const T* images) { images_ = images; }

  void operator()(std::int64_t k0, std::int64_t j0, std::int64_t kc, std::int64_t nc, int nr,
                  float* dst) const {
    for (std::int64_t jp = 0; jp < nc; jp += nr, dst += kc * nr) {
      const std::int64_t width = std::min<std::int64_t>(nr, nc - jp);
      column_runs(j0 + jp, width);
      for (const Run& run : runs_) {
        // Every stride-1 run length a panel can hold (1 to 32) as a compile-time
        // constant: each row's copy becomes a few vector moves, not a loop or a memcpy
        // call. Runs of any length occur: a panel cuts rows where it ends (24-px
        // views give runs of 24, 16 and 8 at the first stage, 12, 8 and 4 at the second).
        static constexpr auto copy_by_length = copies_by_length(std::make_index_sequence<33>{});
        const std::int64_t* taps = tap_offset_.data() + k0;
        const bool fixed = g_.stride == 1 && run.length < static_cast<std::int64_t>(copy_by_length.size());
        (this->*copy_by_length[fixed ? run.length : 0])(taps, kc, run, nr, dst);
      }
      for (std::int64_t k = 0; width < nr && k < kc; ++k)
        for (std::int64_t j = width; j < nr; ++j) dst[k * nr + j] = 0.0f;
    }
  }

 private:
  // Consecutive columns in one output row of one image: `length` pixels from
  // offset `offset` of the images (tap (0, 0, 0)), landing at panel column `column`.
  struct Run {
    std::int64_t offset, length, column;
  };

  // The runs of columns [j, j + width), into runs_ (reused: no allocation per panel).
  void column_runs(std::int64_t j, std::int64_t width) const {
    runs_.clear();
    const std::int64_t PQ = g_.plane_out(), end = j + width, first = j;
    while (j < end) {
      const std::int64_t b = j / PQ, p = (j % PQ) / g_.Q, q = j % g_.Q;
      const std::int64_t length = std::min(g_.Q - q, end - j);
      runs_.push_back({b * image_ + p * g_.stride * Wp_ + q * g_.stride, length, j - first});
      j += length;
    }
  }

  // The run's pixels of each of the kc taps into its columns of the panel (rows of nr).
  // kLength > 0: a stride-1 run of that length; 0: any length and stride.
  template <std::int64_t kLength>
  void copy_rows(const std::int64_t* taps, std::int64_t kc, const Run& run, int nr,
                 float* __restrict dst) const {
    const T* __restrict base = images_ + run.offset;
    float* __restrict out = dst + run.column;
    for (std::int64_t k = 0; k < kc; ++k, out += nr) {
      const T* __restrict src = base + taps[k];
      if constexpr (kLength > 0) {
        for (std::int64_t i = 0; i < kLength; ++i) out[i] = src[i];
      } else {
        for (std::int64_t i = 0; i < run.length; ++i) out[i] = src[i * g_.stride];
      }
    }
  }

  // copy_rows<L> at [L] for L in kLengths; [0] is the general copy (any length and stride).
  using CopyRows = void (ImplicitColumns::*)(const std::int64_t*, std::int64_t, const Run&, int, float*) const;
  template <std::size_t... kLengths>
  static constexpr std::array<CopyRows, sizeof...(kLengths)> copies_by_length(std::index_sequence<kLengths...>) {
    return {&ImplicitColumns::copy_rows<static_cast<std::int64_t>(kLengths)>...};
  }

  const Conv2dGeometry& g_;
  std::int64_t Wp_, image_;  // padded row pitch; floats per padded image (C planes)
  std::vector<std::int64_t> tap_offset_;  // per row (c, r, s) of col: its offset in an image
  const T* images_ = nullptr;
  mutable std::vector<Run> runs_;
};

// ---- backward data of a stride-1 convolution, as a forward convolution ----
// dx[c][h][w] = sum over k, r, s of weight[k][c][r][s] * dout[k][h + padding - r*d][w + padding - s*d],
// which is the forward convolution of dout by weight transposed (K <-> C) and flipped
// (r -> R-1-r, s -> S-1-s), with padding d*(R-1) - padding. It needs no col2im (the
// scatter-add of every column back into its pixels, 8% of a width-16 step) and uses the
// implicit forward GEMM above.
bool backward_data_as_forward(const Conv2dGeometry& g) {
  return g.stride == 1 && g.R == g.S && g.padding <= g.dilation * (g.R - 1) && !g.pointwise();
}

Conv2dGeometry transposed_geometry(const Conv2dGeometry& g) {
  Conv2dGeometry t;
  t.N = g.N, t.C = g.K, t.H = g.P, t.W = g.Q;
  t.K = g.C, t.R = g.R, t.S = g.S;
  t.stride = 1, t.padding = g.dilation * (g.R - 1) - g.padding, t.dilation = g.dilation;
  t.P = g.H, t.Q = g.W;
  return t;
}

// flipped[c][k][r][s] = weight[k][c][R-1-r][S-1-s]
template <class T>
void flip_weight(const T* weight, const Conv2dGeometry& g, T* flipped) {
  const std::int64_t RS = g.R * g.S;
  for (std::int64_t k = 0; k < g.K; ++k)
    for (std::int64_t c = 0; c < g.C; ++c)
      for (std::int64_t rs = 0; rs < RS; ++rs)
        flipped[(c * g.K + k) * RS + (RS - 1 - rs)] = weight[(k * g.C + c) * RS + rs];
}

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
  // float: the implicit GEMM (no col; padded images where there is padding);
  // double: im2col.
  constexpr bool implicit = std::is_same_v<T, float>;
  const std::int64_t padded_image = g.C * (g.H + 2 * g.padding) * (g.W + 2 * g.padding);
  const bool pad_copy = implicit && !im2col_free && g.padding > 0;
  Workspace<T> col(im2col_free || implicit ? 0 : CRS * chunk * PQ), xpad(pad_copy ? chunk * padded_image : 0),
      tmp(direct ? 0 : g.K * chunk * PQ);
  if (pad_copy) std::fill(xpad.get(), xpad.get() + chunk * padded_image, T(0));  // the borders, once
  ImplicitColumns<T> columns(g);
  for (std::int64_t n0 = n_begin; n0 < n_end; n0 += chunk) {
    const std::int64_t B = std::min(chunk, n_end - n0), cols = B * PQ;
    const T* x_chunk = x + n0 * g.C * g.plane_in();
    T* out_chunk = out + n0 * g.K * PQ;
    T* product = direct ? out_chunk : tmp.get();
    if (im2col_free) {
      gemm<T>(false, false, g.K, cols, CRS, T(1), weight, CRS, x_chunk, cols, T(0), product, cols);
    } else if constexpr (implicit) {
      for (std::int64_t plane = 0; pad_copy && plane < B * g.C; ++plane)
        copy_into_border(x_chunk + plane * g.plane_in(), g, xpad.get() + plane * (padded_image / g.C));
      columns.set_images(pad_copy ? xpad.get() : x_chunk);
      gemm_implicit_b(false, g.K, cols, CRS, 1.0f, weight, CRS, std::cref(columns), 0.0f, product, cols);
    } else {
      im2col(x_chunk, B, g, col.get());
      gemm<T>(false, false, g.K, cols, CRS, T(1), weight, CRS, col.get(), cols, T(0), product, cols);
    }
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
  // dx of a stride-1 convolution: the forward pass of dout by the flipped weight.
  const bool dx_by_forward = dx && backward_data_as_forward(g);
  Workspace<T> flipped(dx_by_forward ? g.K * g.rows() : 0);
  if (dx_by_forward) flip_weight(weight, g, flipped.get());
  const Conv2dGeometry transposed = dx_by_forward ? transposed_geometry(g) : g;
  // Images [begin, end): dweight (written, not added) and dx.
  auto range = [&](std::int64_t begin, std::int64_t end, T* range_dweight) {
    if (range_dweight || !dx_by_forward)
      backward_range(x, weight, dout, dx_by_forward ? nullptr : dx, range_dweight, g, begin, end);
    if (dx_by_forward) forward_range(dout, flipped.get(), static_cast<const T*>(nullptr), dx, transposed, begin, end);
  };
  const int threads = batch_threads(g);
  if (threads == 1) return range(0, g.N, dweight);
  // Thread 0 writes dweight itself; the others write partials, added in thread order.
  const std::int64_t weight_size = g.K * g.rows();
  Workspace<T> partials(dweight ? (threads - 1) * weight_size : 0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const auto [begin, end] = thread_range(g.N, threads, t);
    range(begin, end, !dweight ? nullptr : t == 0 ? dweight : partials.get() + (t - 1) * weight_size);
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
