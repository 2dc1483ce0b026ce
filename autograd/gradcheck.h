// Numerical gradient checking in double precision, as torch.autograd.gradcheck:
// central differences (eps 1e-6) compared to the analytic backward with
// |analytic - numeric| <= atol + rtol * |numeric|.
// The function's output may have any shape: it is reduced to a scalar by a dot
// product with fixed random weights, so every output element is exercised.
// Points within eps of a kink (e.g. ReLU at 0, a max with a tie) are detected
// by disagreeing one-sided differences and skipped, and counted.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace nanossl {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  std::uint64_t seed = 1234;  // for the output weights
};

struct GradcheckResult {
  bool ok = true;
  std::int64_t checked = 0;      // input elements compared
  std::int64_t skipped = 0;      // near a kink
  double max_abs_error = 0.0;
  std::string message;           // first mismatch: input, index, analytic, numeric
};

// `inputs` must be f64 CPU tensors; those with requires_grad set are checked.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace nanossl
