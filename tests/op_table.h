// The op table: every differentiable op with the inputs it is tested on. One
// entry per op, one case per shape or option set; gradcheck_ops.cpp runs the f64
// gradient check on each case, cuda_ops.cpp the CUDA-vs-CPU parity. See
// docs/testing.md for how to add an op.
//
// Headers covered (every differentiable function in them has an entry):
//   autograd/ops/elementwise.h  add sub mul div neg add_scalar mul_scalar exp log
//                               sqrt pow relu sum_to_shape, and the operators
//   autograd/ops/broadcast.h    expand_to (equal_mask is not differentiable)
//   autograd/ops/reduce.h       sum mean max (argmax is not differentiable)
//   autograd/ops/shape.h        reshape flatten permute transpose slice
//                               index_select cat
//   autograd/ops/linalg.h       matmul linear
//   autograd/ops/conv.h         conv2d
//   autograd/ops/pooling.h      max_pool2d avg_pool2d global_avg_pool2d
//   autograd/ops/norm.h         batch_norm l2_normalize
//   autograd/ops/loss.h         log_softmax cross_entropy
//   ssl/ntxent.h                nt_xent (contrastive_top1 is not differentiable)
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace nanossl::testing {

enum class Family { elementwise, reduce, shape, linalg, conv, pooling, norm, loss, ssl, composite };
const char* family_name(Family family);

// How one input of a case is made, in whatever float dtype the harness asks for.
struct InputSpec {
  enum class Kind {
    uniform,   // uniform in [lo, hi)
    nonzero,   // |value| uniform in [lo, hi), random sign: keeps relu off its kink
    distinct,  // a shuffled ramp (0.1 apart): max and max_pool2d have no ties
    values,    // exactly `values` (float data, e.g. deliberate ties)
    labels,    // exactly `values` as i64 (class labels, row indices); never needs grad
  };
  Shape shape;
  Kind kind = Kind::uniform;
  double lo = -2.0, hi = 2.0;
  bool requires_grad = true;
  std::vector<double> values;
};

// A differentiable input in [lo, hi).
inline InputSpec in(const Shape& shape, double lo = -2.0, double hi = 2.0) {
  return {shape, InputSpec::Kind::uniform, lo, hi, true, {}};
}
// An input the op reads but is not differentiated for (a constant, a running buffer).
inline InputSpec constant(const Shape& shape, double lo = -2.0, double hi = 2.0) {
  return {shape, InputSpec::Kind::uniform, lo, hi, false, {}};
}
inline InputSpec nonzero(const Shape& shape, double lo = 0.1, double hi = 2.0) {
  return {shape, InputSpec::Kind::nonzero, lo, hi, true, {}};
}
inline InputSpec distinct(const Shape& shape) { return {shape, InputSpec::Kind::distinct, 0, 0, true, {}}; }
inline InputSpec exactly(const Shape& shape, std::vector<double> values) {
  return {shape, InputSpec::Kind::values, 0, 0, true, std::move(values)};
}
InputSpec labels(const std::vector<std::int64_t>& values);
// N labels cycling through [0, C): (i*7 + 3) mod C.
InputSpec cyclic_labels(std::int64_t N, std::int64_t C);

// |actual - expected| <= atol + rtol * |expected|, element-wise.
struct Tolerance {
  double atol, rtol;
};

constexpr std::int64_t kGradcheckMaxElements = 4096;

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct OpCase {
  std::string label;  // shapes and options, e.g. "3x1x5_by_4x1"; part of the test name
  std::vector<InputSpec> inputs;
  OpFn fn;  // builds the op's output from the inputs, in the inputs' order
  // f64 finite differences on the CPU (gradcheck's defaults). The step must stay
  // large against the inputs' rounding, so inputs far from 0 need a larger one.
  Tolerance gradcheck_tol{1e-5, 1e-3};
  double gradcheck_eps = 1e-6;
  // CUDA f32 against CPU f32: the forward output, then every input's gradient.
  Tolerance forward{1e-5, 1e-5};
  Tolerance backward{1e-5, 1e-5};
  // false: parity only, deliberately at a kink (ties). Cases with more than
  // kGradcheckMaxElements differentiable input elements are parity only anyway:
  // finite differences cost two forward passes per element.
  bool gradcheck = true;
};

struct OpEntry {
  std::string name;
  Family family;
  std::vector<OpCase> cases;
  bool has_cuda = true;  // false: the CUDA harness reports the op as untested there
};

// The whole table, built once from the family files op_table_{math,shape,nn}.cpp.
const std::vector<OpEntry>& op_table();

// One case with its entry, the parameter of the value-parameterised suites.
struct TableCase {
  const OpEntry* entry;
  const OpCase* op_case;
};
// Every case, or only those the gradient check runs on (gradcheck set and small
// enough); throws if two test names collide.
std::vector<TableCase> table_cases(bool gradcheck_only);
// "<op>_<label>" with every character outside [A-Za-z0-9_] replaced by '_'.
std::string test_name(const TableCase& c);

// The case's inputs on the CPU in `dtype` (labels stay i64), requires_grad set as
// the spec says. Deterministic: input i of every case draws from seed i + 1.
std::vector<Tensor> make_inputs(const OpCase& c, DType dtype);

// Helpers for the family files.
std::string shape_label(const Shape& shape);  // "3x1x5", "scalar" for {}
// |error| bound of a float sum over n terms of magnitude <= 2: a reduction's atol.
double reduce_atol(std::int64_t n);

std::vector<OpEntry> elementwise_entries();
std::vector<OpEntry> reduce_entries();
std::vector<OpEntry> shape_entries();
std::vector<OpEntry> linalg_entries();
std::vector<OpEntry> conv_entries();        // conv2d and the pools
std::vector<OpEntry> norm_loss_entries();   // batch_norm, l2_normalize, losses, nt_xent
std::vector<OpEntry> composite_entries();   // chains of ops, checked like one op

}  // namespace nanossl::testing
