// InfoNCE with a queue, composed from existing differentiable ops (l2_normalize,
// mul, sum, matmul, cat, cross_entropy), each gradient-checked on its own.
// Legend: B queries, D projection width, K queued keys.
#include "ssl/info_nce.h"

#include <cmath>
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

std::string described(const Tensor& t) { return t.defined() ? t.describe() : "undefined"; }

void check_inputs(const char* op, const Tensor& queries, const Tensor& keys, const Tensor& queue) {
  if (!queries.defined() || !keys.defined() || !queue.defined()) {
    op_error(op, "needs defined queries, keys and queue, got " + described(queries) + ", " + described(keys) + ", " +
                     described(queue));
  }
  for (const Tensor* t : {&queries, &keys, &queue}) {
    if (t->dtype() != DType::f32 && t->dtype() != DType::f64) op_error(op, "expects f32 or f64, got " + t->describe());
    if (t->ndim() != 2) op_error(op, "expects 2-D (rows,D) tensors, got " + t->describe());
    if (t->dtype() != queries.dtype() || !(t->device() == queries.device())) {
      op_error(op, "queries " + queries.describe() + ", keys and queue must share dtype and device, got " + t->describe());
    }
  }
  if (queries.shape() != keys.shape()) {
    op_error(op, "queries " + shape_str(queries.shape()) + " and keys " + shape_str(keys.shape()) + " differ in shape");
  }
  if (queue.size(1) != queries.size(1)) {
    op_error(op, "the queue's rows have width " + std::to_string(queue.size(1)) + ", the queries " +
                     std::to_string(queries.size(1)));
  }
  if (queries.size(0) < 1 || queries.size(1) < 1 || queue.size(0) < 1) {
    op_error(op, "needs at least one query, one feature and one queued key, got queries " +
                     shape_str(queries.shape()) + " and queue " + shape_str(queue.shape()));
  }
}

// (B, 1+K) cosine logits before the temperature: the positive in column 0.
Tensor cosine_logits(const Tensor& queries, const Tensor& keys, const Tensor& queue) {
  const Tensor q = l2_normalize(queries);                            // (B,D)
  const Tensor k = l2_normalize(keys);                               // (B,D)
  const Tensor positive = sum(q * k, {1}, /*keepdim=*/true);         // (B,1)
  const Tensor negatives = matmul(q, transpose(queue, 0, 1));        // (B,D)@(D,K) -> (B,K)
  return cat({positive, negatives}, 1);                              // (B,1+K)
}

}  // namespace

Tensor info_nce(const Tensor& queries, const Tensor& keys, const Tensor& queue, double temperature) {
  const char* op = "info_nce";
  check_inputs(op, queries, keys, queue);
  if (!(temperature > 0.0) || !std::isfinite(temperature)) {
    op_error(op, "temperature must be positive and finite, got " + std::to_string(temperature));
  }
  const Tensor logits = cosine_logits(queries, keys, queue) * (1.0 / temperature);  // (B,1+K)
  const Tensor labels = Tensor::zeros({queries.size(0)}, DType::i64, queries.device());  // (B): class 0
  return cross_entropy(logits, labels);                                             // ()
}

double info_nce_top1(const Tensor& queries, const Tensor& keys, const Tensor& queue) {
  check_inputs("info_nce_top1", queries, keys, queue);
  NoGradGuard no_grad;
  const std::vector<std::int64_t> best =
      argmax(cosine_logits(queries, keys, queue), 1).to(Device::cpu()).to_vector<std::int64_t>();  // (B)
  std::int64_t hits = 0;
  for (std::int64_t b : best) hits += b == 0 ? 1 : 0;
  return 100.0 * static_cast<double>(hits) / static_cast<double>(best.size());
}

}  // namespace nanossl::ssl
