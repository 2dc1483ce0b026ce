// BYOL's normalised MSE from l2_normalize, mul, sum and mean. Legend: N rows, D width.
#include "ssl/normalized_mse.h"

#include <string>

#include "autograd/ops/dispatch.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/norm.h"
#include "autograd/ops/reduce.h"

namespace nanossl::ssl {

Tensor normalized_mse(const Tensor& predictions, const Tensor& targets) {
  const char* op = "normalized_mse";
  if (!predictions.defined() || !targets.defined()) op_error(op, "needs defined predictions and targets");
  for (const Tensor* t : {&predictions, &targets}) {
    if (t->dtype() != DType::f32 && t->dtype() != DType::f64) op_error(op, "expects f32 or f64, got " + t->describe());
    if (t->ndim() != 2 || t->size(0) < 1 || t->size(1) < 1) op_error(op, "expects (N,D) rows, got " + t->describe());
  }
  if (predictions.shape() != targets.shape() || predictions.dtype() != targets.dtype() ||
      !(predictions.device() == targets.device())) {
    op_error(op, "predictions " + predictions.describe() + " and targets " + targets.describe() +
                     " differ in shape, dtype or device");
  }
  const Tensor cosine = sum(l2_normalize(predictions) * l2_normalize(targets), {1});  // (N)
  return mean(2.0 - cosine * 2.0);                                                     // ()
}

}  // namespace nanossl::ssl
