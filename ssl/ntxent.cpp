// NT-Xent composed from existing differentiable ops, so one definition serves CPU
// and CUDA and its backward is the chain of theirs (each gradient-checked).
// Legend: N images per view, D projection width, M = 2N rows (both views).
#include "ssl/ntxent.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/ops/dispatch.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/linalg.h"
#include "autograd/ops/loss.h"
#include "autograd/ops/norm.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/shape.h"

namespace nanossl::ssl {
namespace {

// Added to each row's self-similarity: exp(-1e9 - max) is 0 in f32 and f64, so the
// anchor is not among its own candidates, and its logit gets a zero gradient.
constexpr double kSelfMask = -1e9;

std::string describe_or_undefined(const Tensor& t) { return t.defined() ? t.describe() : "undefined"; }

void check_views(const char* op, const Tensor& z1, const Tensor& z2) {
  if (!z1.defined() || !z2.defined()) {
    op_error(op, "needs two defined (N,D) tensors, got z1 " + describe_or_undefined(z1) + " and z2 " +
                     describe_or_undefined(z2));
  }
  for (const Tensor* z : {&z1, &z2}) {
    if (z->dtype() != DType::f32 && z->dtype() != DType::f64) {
      op_error(op, "expects f32 or f64 projections, got " + z->describe());
    }
    if (z->ndim() != 2) op_error(op, "expects (N,D) projections, got " + z->describe());
  }
  if (z1.shape() != z2.shape()) {
    op_error(op, "the two views differ in shape: z1 " + shape_str(z1.shape()) + " vs z2 " +
                     shape_str(z2.shape()));
  }
  if (z1.device() != z2.device()) {
    op_error(op, "the two views are on different devices: z1 " + z1.describe() + " vs z2 " + z2.describe());
  }
  if (z1.dtype() != z2.dtype()) {
    op_error(op, "the two views differ in dtype: z1 " + z1.describe() + " vs z2 " + z2.describe());
  }
  if (z1.size(0) < 1) op_error(op, "needs at least one image per view, got " + shape_str(z1.shape()));
  if (z1.size(1) < 1) op_error(op, "needs at least one feature per row, got " + shape_str(z1.shape()));
}

// (M,M) constant, kSelfMask on the diagonal and 0 elsewhere, made on the logits'
// device in their dtype from M indices (no (M,M) host buffer or copy): with
// d = i - k, relu(1 - d*d) is 1 where i == k and 0 elsewhere (|d| >= 1). Built with
// grad off and from tensors that need none, so the graph treats it as a constant.
Tensor self_mask(std::int64_t M, DType dtype, Device device) {
  NoGradGuard no_grad;
  const Tensor index = Tensor::arange(0.0, static_cast<double>(M), 1.0, dtype, device);  // (M)
  const Tensor d = reshape(index, {M, 1}) - reshape(index, {1, M});                      // (M,M)
  return relu(1.0 - d * d) * kSelfMask;                                                   // (M,M)
}

// positive_index[i] = (i + N) mod 2N: row i of view 1 pairs with row i of view 2.
std::vector<std::int64_t> positive_indices(std::int64_t N) {
  std::vector<std::int64_t> labels(static_cast<std::size_t>(2 * N));
  for (std::int64_t i = 0; i < 2 * N; ++i) labels[static_cast<std::size_t>(i)] = (i + N) % (2 * N);
  return labels;
}

// The masked, temperature-scaled cosine similarities of all 2N rows: (M,M).
Tensor masked_logits(const Tensor& z1, const Tensor& z2, double temperature) {
  const std::int64_t M = 2 * z1.size(0);
  const Tensor z = l2_normalize(cat({z1, z2}, 0));                // (M,D), unit rows
  const Tensor similarity = matmul(z, transpose(z, 0, 1));        // (M,D)@(D,M) -> (M,M), cosines
  const Tensor scaled = similarity * (1.0 / temperature);         // (M,M)
  return scaled + self_mask(M, z1.dtype(), z1.device());          // (M,M), diagonal ~ -1e9
}

}  // namespace

Tensor nt_xent(const Tensor& z1, const Tensor& z2, double temperature) {
  const char* op = "nt_xent";
  check_views(op, z1, z2);
  if (!(temperature > 0.0) || !std::isfinite(temperature)) {
    op_error(op, "temperature must be positive and finite, got " + std::to_string(temperature));
  }
  const std::int64_t N = z1.size(0);
  const Tensor logits = masked_logits(z1, z2, temperature);                           // (2N,2N)
  const Tensor labels = Tensor::from_vector(positive_indices(N), {2 * N}, z1.device());  // (2N) i64
  // Mean over the 2N anchors of logsumexp_{k != i}(logits[i,k]) - logits[i, pos(i)].
  return cross_entropy(logits, labels);                                               // ()
}

double contrastive_top1(const Tensor& z1, const Tensor& z2) {
  check_views("contrastive_top1", z1, z2);
  NoGradGuard no_grad;
  const std::int64_t N = z1.size(0);
  const Tensor logits = masked_logits(z1, z2, 1.0);                                   // (2N,2N)
  const std::vector<std::int64_t> nearest = argmax(logits, 1).to(Device::cpu()).to_vector<std::int64_t>();  // (2N)
  const std::vector<std::int64_t> positive = positive_indices(N);
  std::int64_t hits = 0;
  for (std::size_t i = 0; i < nearest.size(); ++i) hits += nearest[i] == positive[i] ? 1 : 0;
  return 100.0 * static_cast<double>(hits) / static_cast<double>(2 * N);
}

}  // namespace nanossl::ssl
