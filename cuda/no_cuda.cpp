// Built instead of the CUDA sources when nanossl is compiled without CUDA. Every
// function throws "built without CUDA", so op files call cuda:: unconditionally
// and hold no #ifdef; a CUDA tensor can never be created in such a build, so the
// kernel stubs below runtime's are unreachable in practice.
#include <stdexcept>
#include <string>

#include "cuda/blas.h"
#include "cuda/conv.h"
#include "cuda/elementwise.h"
#include "cuda/pooling.h"
#include "cuda/reduce.h"
#include "cuda/runtime.h"
#include "cuda/shape.h"

namespace nanossl::cuda {
namespace {
[[noreturn]] void no_cuda(const char* what) {
  throw std::runtime_error(std::string("[cuda] ") + what +
                           ": nanossl was built without CUDA (reconfigure with -DNANOSSL_CUDA=ON)");
}
}  // namespace

// ---- runtime ----
bool built_with_cuda() { return false; }
bool available() { return false; }
int device_count() { return 0; }
void require_device(int) { no_cuda("require_device"); }
void set_device(int) { no_cuda("set_device"); }
void* device_malloc(std::size_t) { no_cuda("device_malloc"); }
void device_free(void*) { no_cuda("device_free"); }
std::size_t bytes_in_use() { return 0; }
std::size_t peak_bytes_in_use() { return 0; }
void reset_peak_bytes() {}
void empty_cache() {}
void set_debug_poison(bool) {}
void* pinned_malloc(std::size_t) { no_cuda("pinned_malloc"); }
void pinned_free(void*) { no_cuda("pinned_free"); }
void copy_host_to_device(void*, const void*, std::size_t) { no_cuda("copy_host_to_device"); }
void copy_device_to_host(void*, const void*, std::size_t) { no_cuda("copy_device_to_host"); }
void copy_device_to_device(void*, const void*, std::size_t) { no_cuda("copy_device_to_device"); }
void synchronize() {}
void fill(DType, void*, std::int64_t, double) { no_cuda("fill"); }
void axpy(DType, std::int64_t, double, const void*, void*) { no_cuda("axpy"); }
void scale(DType, void*, std::int64_t, double) { no_cuda("scale"); }
void convert(DType, const void*, DType, void*, std::int64_t) { no_cuda("convert"); }
void fill_uniform(DType, void*, std::int64_t, std::uint64_t, std::uint64_t) { no_cuda("fill_uniform"); }
void fill_normal(DType, void*, std::int64_t, std::uint64_t, std::uint64_t) { no_cuda("fill_normal"); }

// ---- blas ----
void gemm(DType, bool, bool, std::int64_t, std::int64_t, std::int64_t, double, const void*,
          std::int64_t, const void*, std::int64_t, double, void*, std::int64_t) {
  no_cuda("gemm");
}
void gemm_strided_batched(DType, bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                          const void*, std::int64_t, std::int64_t, const void*, std::int64_t,
                          std::int64_t, double, void*, std::int64_t, std::int64_t, std::int64_t) {
  no_cuda("gemm_strided_batched");
}
void set_allow_tf32(bool) {}
bool allow_tf32() { return false; }

// ---- elementwise and reductions (cuda/elementwise.h, cuda/reduce.h) ----
void binary_forward(DType, cpu::BinaryOp, const cpu::BroadcastPlan&, const void*, const void*, void*) {
  no_cuda("binary_forward");
}
void expand_forward(DType, const cpu::BroadcastPlan&, const void*, void*) { no_cuda("expand_forward"); }
void unary_forward(DType, cpu::UnaryOp, std::int64_t, const void*, void*, double) { no_cuda("unary_forward"); }
void relu_backward(DType, std::int64_t, const void*, const void*, void*) { no_cuda("relu_backward"); }
void pow_backward(DType, std::int64_t, const void*, const void*, double, void*) { no_cuda("pow_backward"); }
void sum_dim(DType, std::int64_t, std::int64_t, std::int64_t, const void*, void*) { no_cuda("sum_dim"); }
void max_dim(DType, std::int64_t, std::int64_t, std::int64_t, const void*, void*) { no_cuda("max_dim"); }
void argmax_dim(DType, std::int64_t, std::int64_t, std::int64_t, const void*, void*) { no_cuda("argmax_dim"); }

// ---- conv and pooling (cuda/conv.h, cuda/pooling.h) ----
void conv2d_forward(DType, const void*, const void*, const void*, void*, const Conv2dGeometry&) {
  no_cuda("conv2d_forward");
}
void conv2d_backward(DType, const void*, const void*, const void*, void*, void*, void*,
                     const Conv2dGeometry&) {
  no_cuda("conv2d_backward");
}
void max_pool2d_forward(DType, const void*, void*, std::int64_t*, const Pool2dGeometry&) {
  no_cuda("max_pool2d_forward");
}
void max_pool2d_backward(DType, const void*, const std::int64_t*, void*, const Pool2dGeometry&) {
  no_cuda("max_pool2d_backward");
}
void avg_pool2d_forward(DType, const void*, void*, const Pool2dGeometry&) {
  no_cuda("avg_pool2d_forward");
}
void avg_pool2d_backward(DType, const void*, void*, const Pool2dGeometry&) {
  no_cuda("avg_pool2d_backward");
}
void global_avg_pool2d_forward(DType, const void*, void*, std::int64_t, std::int64_t) {
  no_cuda("global_avg_pool2d_forward");
}
void global_avg_pool2d_backward(DType, const void*, void*, std::int64_t, std::int64_t) {
  no_cuda("global_avg_pool2d_backward");
}

// ---- norms, softmax, loss (cuda/norm.h, cuda/loss.h) ----
void batch_norm_forward_train(DType, const void*, const void*, const void*, void*, double*,
                              double*, void*, void*, std::int64_t, std::int64_t, std::int64_t,
                              double, double) {
  no_cuda("batch_norm_forward_train");
}
void batch_norm_forward_eval(DType, const void*, const void*, const void*, const void*,
                             const void*, void*, double*, double*, std::int64_t, std::int64_t,
                             std::int64_t, double) {
  no_cuda("batch_norm_forward_eval");
}
void batch_norm_backward(DType, const void*, const void*, const void*, const double*,
                         const double*, void*, void*, void*, std::int64_t, std::int64_t,
                         std::int64_t, bool) {
  no_cuda("batch_norm_backward");
}
void l2_normalize_forward(DType, const void*, void*, std::int64_t, std::int64_t, double) {
  no_cuda("l2_normalize_forward");
}
void l2_normalize_backward(DType, const void*, const void*, void*, std::int64_t, std::int64_t,
                           double) {
  no_cuda("l2_normalize_backward");
}
void log_softmax_forward(DType, const void*, void*, std::int64_t, std::int64_t) {
  no_cuda("log_softmax_forward");
}
void log_softmax_backward(DType, const void*, const void*, void*, std::int64_t, std::int64_t) {
  no_cuda("log_softmax_backward");
}
void cross_entropy_forward(DType, const void*, const std::int64_t*, void*, void*, std::int64_t,
                           std::int64_t) {
  no_cuda("cross_entropy_forward");
}
void cross_entropy_backward(DType, const void*, const std::int64_t*, const void*, const void*,
                            void*, std::int64_t, std::int64_t) {
  no_cuda("cross_entropy_backward");
}

// ---- shape ops (cuda/shape.h) ----
void permute_copy(DType, const void*, void*, int, const std::int64_t*, const std::int64_t*, std::int64_t) {
  no_cuda("permute_copy");
}
void gather_rows(DType, const void*, const std::int64_t*, void*, std::int64_t, std::int64_t) {
  no_cuda("gather_rows");
}
void scatter_add_rows(DType, const void*, const std::int64_t*, void*, std::int64_t, std::int64_t) {
  no_cuda("scatter_add_rows");
}
void copy_blocks(const void*, std::int64_t, void*, std::int64_t, std::int64_t, std::int64_t) {
  no_cuda("copy_blocks");
}

}  // namespace nanossl::cuda
