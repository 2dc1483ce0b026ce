// GEMM entry points: the packed, cache-blocked driver behind gemm<float> (packing,
// blocking, OpenMP partition, micro-kernel dispatch from CPUID), the portable
// micro-kernel, and the plain loops of gemm_reference and gemm<double>.
//   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, row-major.
// docs/gemm.md explains the structure and the measured choices.
#include "cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <type_traits>

#include "cpu/gemm_kernel.h"

namespace nanossl::cpu {

namespace {

using i64 = std::int64_t;

i64 ceil_div(i64 a, i64 b) { return (a + b - 1) / b; }
i64 round_up(i64 a, i64 b) { return ceil_div(a, b) * b; }

}  // namespace

std::int64_t packed_depth(const GemmMicroKernel& kernel, std::int64_t kc) {
  return kernel.bf16_pairs ? (kc + 1) / 2 : kc;
}

// ---- the portable packers (declared in gemm_kernel.h) ----

// Row by row, so each source row is read once, front to back (the hardware
// prefetcher follows it; panel by panel the reads would jump ld at every k).
void gemm_pack_copy_generic(const float* src, i64 ld, i64 kc, i64 n, int width, float alpha,
                            float* dst) {
  const i64 full = n / width * width;
  for (i64 k = 0; k < kc; ++k) {
    const float* row = src + k * ld;
    float* out = dst + k * width;
    for (i64 j0 = 0; j0 < full; j0 += width, out += kc * width)
      for (int j = 0; j < width; ++j) out[j] = alpha * row[j0 + j];
    if (full < n) {
      for (i64 j = full; j < n; ++j) out[j - full] = alpha * row[j];
      for (i64 j = n - full; j < width; ++j) out[j] = 0.0f;
    }
  }
}

void gemm_pack_transpose_generic(const float* src, i64 ld, i64 rows, i64 kc, int width,
                                 float alpha, float* dst) {
  for (i64 r = 0; r < rows; ++r)
    for (i64 k = 0; k < kc; ++k) dst[k * width + r] = alpha * src[r * ld + k];
  for (i64 r = rows; r < width; ++r)
    for (i64 k = 0; k < kc; ++k) dst[k * width + r] = 0.0f;
}

namespace {

// ---- the portable micro-kernel (baseline x86-64: the compiler uses SSE) ----
// 4 x 8: its 8 accumulator vectors fit the 16 xmm registers (4 x 16 spills and
// runs at a third of the speed).

constexpr int kGenericRows = 4;
constexpr int kGenericCols = 8;

void multiply_generic(i64 kc, const float* a, const float* b, float beta, float* c, i64 ldc) {
  float acc[kGenericRows][kGenericCols] = {};
  for (i64 k = 0; k < kc; ++k) {
    for (int r = 0; r < kGenericRows; ++r)
      for (int j = 0; j < kGenericCols; ++j) acc[r][j] += a[r] * b[j];
    a += kGenericRows;
    b += kGenericCols;
  }
  for (int r = 0; r < kGenericRows; ++r)
    for (int j = 0; j < kGenericCols; ++j) {
      float& out = c[r * ldc + j];
      out = beta == 0.0f ? acc[r][j] : acc[r][j] + beta * out;
    }
}

const GemmMicroKernel kGenericKernel{"generic", kGenericRows, kGenericCols, &multiply_generic,
                                     &gemm_pack_copy_generic, &gemm_pack_transpose_generic};

// ---- dispatch ----

// Forced kernel (set_gemm_kernel) or nullptr for the CPUID choice.
std::atomic<const GemmMicroKernel*> forced_kernel{nullptr};

const GemmMicroKernel& automatic_kernel() {
  static const GemmMicroKernel& kernel = cpu_has_avx512()     ? gemm_micro_kernel_avx512()
                                         : cpu_has_avx2_fma() ? gemm_micro_kernel_avx2()
                                                              : kGenericKernel;
  return kernel;
}

const GemmMicroKernel& active_kernel() {
  const GemmMicroKernel* forced = forced_kernel.load(std::memory_order_relaxed);
  return forced ? *forced : automatic_kernel();
}

// ---- cache blocking ----
// BLIS's loop nest, transposed for a row-major C and a broadcast A: the A
// micro-panel (MR x kc) stays in L1 while the kernel streams the packed B panel
// (kc x nc) from L2; the packed A block (mc x kc) waits in L3 and serves every B
// panel of its rows. Measured on Zen 4 (32 KiB L1d, 1 MiB L2 per core; see
// docs/gemm.md): 8 x 384 floats of A = 12 KiB, 384 x 256 floats of B = 384 KiB.
struct Blocking {
  i64 mc, kc, nc;
};

Blocking blocking_for(const GemmMicroKernel& kernel) {
  if (kernel.multiply == kGenericKernel.multiply) return {1024, 256, 256};
  return {1024, 384, 256};
}

// Splits `total` into ceil(total / max_block) nearly equal blocks, multiples of
// `quantum` except the last: K = 576 becomes 288 + 288, not 384 + 192.
i64 balanced_block(i64 total, i64 max_block, i64 quantum) {
  max_block = std::max(quantum, max_block / quantum * quantum);
  const i64 blocks = ceil_div(total, max_block);
  return std::min(max_block, round_up(ceil_div(total, blocks), quantum));
}

// ---- packing (alpha is folded into A) ----

// Packs op(A)[rows i0.., cols k0..] (mc x kc) into micro-panels of mr rows.
void pack_a(const GemmMicroKernel& kernel, bool trans, const float* A, i64 lda, i64 i0, i64 k0,
            i64 mc, i64 kc, float alpha, float* dst) {
  const int mr = kernel.mr;
  if (trans) return kernel.pack_copy(A + k0 * lda + i0, lda, kc, mc, mr, alpha, dst);
  for (i64 ir = 0; ir < mc; ir += mr, dst += packed_depth(kernel, kc) * mr)
    kernel.pack_transpose(A + (i0 + ir) * lda + k0, lda, std::min<i64>(mr, mc - ir), kc, mr,
                           alpha, dst);
}

// Packs op(B)[rows k0.., cols j0..] (kc x nc) into micro-panels of nr columns.
void pack_b(const GemmMicroKernel& kernel, bool trans, const float* B, i64 ldb, i64 k0, i64 j0,
            i64 kc, i64 nc, float* dst) {
  const int nr = kernel.nr;
  if (!trans) return kernel.pack_copy(B + k0 * ldb + j0, ldb, kc, nc, nr, 1.0f, dst);
  for (i64 jr = 0; jr < nc; jr += nr, dst += packed_depth(kernel, kc) * nr)
    kernel.pack_transpose(B + (j0 + jr) * ldb + k0, ldb, std::min<i64>(nr, nc - jr), kc, nr,
                           1.0f, dst);
}

// ---- per-thread packing buffers, reused across calls, 64-byte aligned ----

class PackBuffer {
 public:
  PackBuffer() = default;
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  ~PackBuffer() { std::free(data_); }

  float* get(i64 floats) {
    const auto bytes = static_cast<std::size_t>(round_up(floats * 4, 64));
    if (bytes > capacity_) {
      std::free(data_);
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data_) throw std::bad_alloc();
      capacity_ = bytes;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  std::size_t capacity_ = 0;
};

thread_local PackBuffer packed_a_buffer;
thread_local PackBuffer packed_b_buffer;
thread_local PackBuffer float_b_buffer;  // a bf16 kernel's B panels as the convolution packs them

// ---- the blocked product on one thread ----

struct Problem {
  bool trans_a, trans_b;
  float alpha;
  const float* A;
  i64 lda;
  const float* B;
  i64 ldb;
  float beta;
  float* C;
  i64 ldc;
  const GemmPackB* b_packer = nullptr;  // B given by its packer (gemm_implicit_b), not B
};

// Multiplies the packed A block (mc x kc) by the packed B panel (kc x nc) into
// C (mc x nc). Edge tiles go through a local tile and are merged.
void macro_kernel(const GemmMicroKernel& kernel, i64 mc, i64 nc, i64 kc, const float* a,
                  const float* b, float beta, float* C, i64 ldc) {
  const int mr = kernel.mr, nr = kernel.nr;
  alignas(64) float tile[16 * 64];  // largest MR x NR of our kernels
  for (i64 ir = 0; ir < mc; ir += mr) {
    const i64 rows = std::min<i64>(mr, mc - ir);
    const float* a_panel = a + ir * packed_depth(kernel, kc);
    for (i64 jr = 0; jr < nc; jr += nr) {
      const i64 cols = std::min<i64>(nr, nc - jr);
      const float* b_panel = b + jr * packed_depth(kernel, kc);
      float* c = C + ir * ldc + jr;
      if (rows == mr && cols == nr) {
        kernel.multiply(kc, a_panel, b_panel, beta, c, ldc);
        continue;
      }
      kernel.multiply(kc, a_panel, b_panel, 0.0f, tile, nr);
      for (i64 r = 0; r < rows; ++r)
        for (i64 j = 0; j < cols; ++j) {
          float& out = c[r * ldc + j];
          out = beta == 0.0f ? tile[r * nr + j] : tile[r * nr + j] + beta * out;
        }
    }
  }
}

// C[i0.., j0..] (m x n) of the whole product, on the calling thread.
void gemm_block(const GemmMicroKernel& kernel, const Problem& p, i64 i0, i64 j0, i64 m, i64 n,
                i64 K) {
  const Blocking max = blocking_for(kernel);
  const i64 kc_step = balanced_block(K, max.kc, 8);
  const i64 mc_step = balanced_block(m, max.mc, kernel.mr);
  const i64 nc_step = balanced_block(n, max.nc, kernel.nr);
  float* a = packed_a_buffer.get(round_up(mc_step, kernel.mr) * kc_step);
  float* b = packed_b_buffer.get(round_up(nc_step, kernel.nr) * kc_step);
  for (i64 ic = 0; ic < m; ic += mc_step) {
    const i64 mc = std::min(mc_step, m - ic);
    for (i64 pc = 0; pc < K; pc += kc_step) {
      const i64 kc = std::min(kc_step, K - pc);
      pack_a(kernel, p.trans_a, p.A, p.lda, i0 + ic, pc, mc, kc, p.alpha, a);
      // The first K block applies beta; later blocks accumulate onto it.
      const float beta = pc == 0 ? p.beta : 1.0f;
      for (i64 jc = 0; jc < n; jc += nc_step) {
        const i64 nc = std::min(nc_step, n - jc);
        if (p.b_packer && kernel.bf16_pairs) {  // float panels first, then their pairs
          float* panels = float_b_buffer.get(round_up(nc, kernel.nr) * kc);
          (*p.b_packer)(pc, j0 + jc, kc, nc, kernel.nr, panels);
          kernel.pair_panels(panels, kc, ceil_div(nc, kernel.nr), kernel.nr, b);
        } else if (p.b_packer)
          (*p.b_packer)(pc, j0 + jc, kc, nc, kernel.nr, b);
        else
          pack_b(kernel, p.trans_b, p.B, p.ldb, pc, j0 + jc, kc, nc, b);
        macro_kernel(kernel, mc, nc, kc, a, b, beta, p.C + (i0 + ic) * p.ldc + j0 + jc, p.ldc);
      }
    }
  }
}

// ---- partition over threads ----
// Each thread owns a rectangle of C (a grid of pm x pn rectangles) and runs the
// blocked product on it with its own packing buffers. The grid minimises the
// padded work per thread plus the packing it repeats (a thread re-packs the A
// rows and B columns of its rectangle).
struct Grid {
  int pm, pn;
};

Grid choose_grid(int threads, i64 M, i64 N, i64 K, int mr, int nr) {
  Grid best{1, threads};
  double best_cost = -1;
  for (int pm = 1; pm <= threads; ++pm) {
    if (threads % pm) continue;
    const int pn = threads / pm;
    const i64 m = round_up(ceil_div(M, pm), mr), n = round_up(ceil_div(N, pn), nr);
    const double cost = 2.0 * static_cast<double>(m) * n * K + 8.0 * K * (m + n);
    if (best_cost < 0 || cost < best_cost) best_cost = cost, best = {pm, pn};
  }
  return best;
}

// Threads worth waking: about 4 MFLOP each (a fork costs microseconds), no more
// than there are mr x nr tiles; one inside a parallel region.
int useful_threads(i64 M, i64 N, i64 K, int mr, int nr) {
  if (omp_in_parallel()) return 1;
  const double flops = 2.0 * static_cast<double>(M) * N * K;
  const i64 by_work = static_cast<i64>(flops / 4e6) + 1;
  const i64 by_tiles = ceil_div(M, mr) * ceil_div(N, nr);
  return static_cast<int>(std::min<i64>({omp_get_max_threads(), by_work, by_tiles}));
}

template <class T>
T element(const T* X, i64 ld, bool trans, i64 row, i64 col) {
  return trans ? X[col * ld + row] : X[row * ld + col];
}

template <class T>
void scale(i64 M, i64 N, T beta, T* C, i64 ldc) {
  for (i64 i = 0; i < M; ++i)
    for (i64 j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
}

// ---- the float path: packed, blocked, threaded ----

void gemm_packed(const Problem& p, i64 M, i64 N, i64 K) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || p.alpha == 0.0f) return scale(M, N, p.beta, p.C, p.ldc);
  const GemmMicroKernel& kernel = active_kernel();
  const int threads = useful_threads(M, N, K, kernel.mr, kernel.nr);
  if (threads == 1) return gemm_block(kernel, p, 0, 0, M, N, K);
  const Grid grid = choose_grid(threads, M, N, K, kernel.mr, kernel.nr);
  const i64 m_step = round_up(ceil_div(M, grid.pm), kernel.mr);
  const i64 n_step = round_up(ceil_div(N, grid.pn), kernel.nr);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const i64 i0 = (t / grid.pn) * m_step, j0 = (t % grid.pn) * n_step;
    if (i0 < M && j0 < N) gemm_block(kernel, p, i0, j0, std::min(m_step, M - i0),
                                     std::min(n_step, N - j0), K);
  }
}

// Double is for gradient checks on small shapes: i-k-j loops, the inner one
// streaming a row of op(B) into a row of C, rows spread over threads.
template <class T>
void gemm_loops(bool trans_a, bool trans_b, i64 M, i64 N, i64 K, T alpha, const T* A, i64 lda,
                const T* B, i64 ldb, T beta, T* C, i64 ldc) {
  if (M <= 0 || N <= 0) return;
  const bool parallel = !omp_in_parallel() && 2.0 * M * N * K > 4e6;
#pragma omp parallel for if (parallel)
  for (i64 i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    for (i64 j = 0; j < N; ++j) c[j] = beta == T(0) ? T(0) : beta * c[j];
    for (i64 k = 0; k < K; ++k) {
      const T a = alpha * element(A, lda, trans_a, i, k);
      if (trans_b) {
        for (i64 j = 0; j < N; ++j) c[j] += a * B[j * ldb + k];
      } else {
        const T* b = B + k * ldb;
        for (i64 j = 0; j < N; ++j) c[j] += a * b[j];
      }
    }
  }
}

}  // namespace

// ---- public entry points ----

template <class T>
void gemm(bool trans_a, bool trans_b, i64 M, i64 N, i64 K, T alpha, const T* A, i64 lda,
          const T* B, i64 ldb, T beta, T* C, i64 ldc) {
  if constexpr (std::is_same_v<T, float>)
    gemm_packed(Problem{trans_a, trans_b, alpha, A, lda, B, ldb, beta, C, ldc}, M, N, K);
  else
    gemm_loops(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm_implicit_b(bool trans_a, i64 M, i64 N, i64 K, float alpha, const float* A, i64 lda,
                     const GemmPackB& pack_b, float beta, float* C, i64 ldc) {
  gemm_packed(Problem{trans_a, false, alpha, A, lda, nullptr, 0, beta, C, ldc, &pack_b}, M, N, K);
}

template <class T>
void gemm_reference(bool trans_a, bool trans_b, i64 M, i64 N, i64 K, T alpha, const T* A, i64 lda,
                    const T* B, i64 ldb, T beta, T* C, i64 ldc) {
  for (i64 i = 0; i < M; ++i)
    for (i64 j = 0; j < N; ++j) {
      T sum = 0;
      for (i64 k = 0; k < K; ++k)
        sum += element(A, lda, trans_a, i, k) * element(B, ldb, trans_b, k, j);
      T& c = C[i * ldc + j];
      c = beta == T(0) ? alpha * sum : alpha * sum + beta * c;
    }
}

template void gemm<float>(bool, bool, i64, i64, i64, float, const float*, i64, const float*,
                          i64, float, float*, i64);
template void gemm<double>(bool, bool, i64, i64, i64, double, const double*, i64, const double*,
                           i64, double, double*, i64);
template void gemm_reference<float>(bool, bool, i64, i64, i64, float, const float*, i64,
                                    const float*, i64, float, float*, i64);
template void gemm_reference<double>(bool, bool, i64, i64, i64, double, const double*, i64,
                                     const double*, i64, double, double*, i64);

const char* gemm_kernel_name() { return active_kernel().name; }

void set_gemm_kernel(GemmKernel kernel) {
  switch (kernel) {
    case GemmKernel::automatic:
      forced_kernel.store(nullptr);
      return;
    case GemmKernel::avx512:
      if (!cpu_has_avx512()) throw std::runtime_error("[gemm] this CPU has no AVX-512");
      forced_kernel.store(&gemm_micro_kernel_avx512());
      return;
    case GemmKernel::avx2:
      if (!cpu_has_avx2_fma()) throw std::runtime_error("[gemm] this CPU has no AVX2 with FMA");
      forced_kernel.store(&gemm_micro_kernel_avx2());
      return;
    case GemmKernel::generic:
      forced_kernel.store(&kGenericKernel);
      return;
    case GemmKernel::avx512_bf16:
      if (!cpu_has_avx512_bf16()) throw std::runtime_error("[gemm] this CPU has no AVX512_BF16");
      forced_kernel.store(&gemm_micro_kernel_avx512_bf16());
      return;
  }
}

GemmKernel gemm_kernel_named(const std::string& name) {
  if (name == "automatic") return GemmKernel::automatic;
  if (name == "avx512") return GemmKernel::avx512;
  if (name == "avx2") return GemmKernel::avx2;
  if (name == "generic") return GemmKernel::generic;
  if (name == "avx512_bf16") return GemmKernel::avx512_bf16;
  throw std::invalid_argument("[gemm] unknown kernel '" + name + "': expected automatic, avx512, avx2, generic or avx512_bf16");
}

bool cpu_has_avx512_bf16() { return cpu_has_avx512() && __builtin_cpu_supports("avx512bf16"); }

// __builtin_cpu_supports checks CPUID and that the OS saves the wider registers
// (XGETBV), so a kernel it allows will not fault.
bool cpu_has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}

bool cpu_has_avx2_fma() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

}  // namespace nanossl::cpu
