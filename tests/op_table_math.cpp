// Op table entries for the elementwise ops (with broadcasting), the reductions
// and the matrix products. Shapes mix the small ones finite differences can
// afford with the odd and large ones the CUDA kernels branch on (sizes 7, 13, 33,
// size-1 dims, scalars, multi-block reductions).
#include <algorithm>
#include <tuple>
#include <utility>

#include "autograd/ops/broadcast.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/linalg.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/shape.h"
#include "cpu/broadcast.h"
#include "op_table.h"

namespace nanossl::testing {
namespace {

using In = const std::vector<Tensor>&;
using Binary = Tensor (*)(const Tensor&, const Tensor&);
using Dims = std::vector<std::int64_t>;

// Same shapes, broadcasting both ways, size-1 dims, scalar operands, and sizes
// that are not multiples of a vector width.
const std::vector<std::pair<Shape, Shape>> kShapePairs = {
    {{3, 4}, {3, 4}},     {{3, 1, 5}, {4, 1}},          {{1}, {2, 3}},         {{2, 3}, {}},
    {{1, 1}, {3, 1}},     {{2, 1, 3}, {2, 4, 1}},       {{4}, {3, 1}},         {{2, 3, 4}, {1, 3, 1}},
    {{37, 53}, {37, 53}}, {{64, 33}, {}},               {{8, 16, 5, 7}, {1, 16, 1, 1}},
    {{300, 70}, {70}},    {{257, 1}, {1, 129}},         {{70000}, {70000}},
};

// A binary op over every shape pair, plus inputs the engine reads through views
// (a sliced batch) and copies (a transpose). The smaller input's gradient sums
// many output elements, so its atol grows with that count.
OpEntry binary_entry(const std::string& name, Binary op, bool positive_b, bool swapped_too) {
  OpEntry e{name, Family::elementwise, {}};
  const double lo = positive_b ? 0.5 : -2.0;
  const double grad_scale = positive_b ? 4.0 : 1.0;  // d(a/b)/db reaches a/b^2
  for (const auto& [sa, sb] : kShapePairs) {
    const std::int64_t out = shape_numel(cpu::broadcast_shape(name.c_str(), sa, sb));
    const std::int64_t summed = out / std::max<std::int64_t>(1, std::min(shape_numel(sa), shape_numel(sb)));
    OpCase c{shape_label(sa) + "_by_" + shape_label(sb), {in(sa), in(sb, lo)}, [op](In x) { return op(x[0], x[1]); }};
    c.backward = {grad_scale * reduce_atol(summed), 1e-5};
    e.cases.push_back(c);
    if (swapped_too) {
      c.label += "_swapped";
      c.fn = [op](In x) { return op(x[1], x[0]); };
      e.cases.push_back(c);
    }
  }
  e.cases.push_back({"sliced_rows_1_to_4_of_5x7_by_7", {in({5, 7}), in({7}, lo)},
                     [op](In x) { return op(slice(x[0], 1, 4), x[1]); }});
  e.cases.push_back({"transposed_5x3_by_3x5", {in({5, 3}), in({3, 5}, lo)},
                     [op](In x) { return op(transpose(x[0], 0, 1), x[1]); }});
  // Only one side differentiable: a constant on the left and on the right.
  e.cases.push_back({"constant_4x1_by_3x1x5", {constant({4, 1}, 0.5, 2.0), in({3, 1, 5}, 0.5, 2.0)},
                     [op](In x) { return op(x[0], x[1]); }});
  e.cases.push_back({"3x1x5_by_constant_4x1", {in({3, 1, 5}), constant({4, 1}, 0.5, 2.0)},
                     [op](In x) { return op(x[0], x[1]); }});
  return e;
}

const std::vector<Shape> kUnaryShapes = {{}, {1}, {4}, {7}, {3, 1, 2}, {5, 7}, {33}, {3, 1, 40}, {100001}};

// A unary op on every shape, on a slice view and on a transposed copy.
OpEntry unary_entry(const std::string& name, const std::function<Tensor(const Tensor&)>& op,
                    InputSpec (*make)(const Shape&, double, double), double lo, double hi) {
  OpEntry e{name, Family::elementwise, {}};
  for (const Shape& s : kUnaryShapes)
    e.cases.push_back({shape_label(s), {make(s, lo, hi)}, [op](In x) { return op(x[0]); }});
  e.cases.push_back(
      {"sliced_rows_1_to_4_of_5x7", {make({5, 7}, lo, hi)}, [op](In x) { return op(slice(x[0], 1, 4)); }});
  e.cases.push_back({"transposed_7x13", {make({7, 13}, lo, hi)}, [op](In x) { return op(transpose(x[0], 0, 1)); }});
  return e;
}

OpEntry pow_entry() {
  OpEntry e{"pow", Family::elementwise, {}};
  const std::vector<std::pair<double, std::string>> exponents = {
      {2.0, "2"}, {3.0, "3"}, {1.0, "1"}, {0.5, "0.5"}, {-1.5, "minus1.5"}, {0.0, "0"}};
  for (const auto& [p, text] : exponents) {
    for (const Shape& s : kUnaryShapes) {
      e.cases.push_back({"exponent_" + text + "_" + shape_label(s), {in(s, 0.2, 3.0)},
                         [p](In x) { return pow(x[0], p); }});
    }
  }
  // Integer exponents are defined for negative inputs too.
  e.cases.push_back({"exponent_3_of_negative_values_2x5", {in({2, 5})}, [](In x) { return pow(x[0], 3.0); }});
  return e;
}

// sum_to_shape and expand_to are adjoints: each one's backward is the other.
OpEntry sum_to_shape_entry() {
  OpEntry e{"sum_to_shape", Family::elementwise, {}};
  const std::vector<std::pair<Shape, Shape>> cases = {{{3, 4}, {4}},       {{3, 4}, {3, 1}},   {{2, 3, 4}, {1, 3, 1}},
                                                      {{2, 3}, {}},        {{2, 3}, {2, 3}},   {{6, 5, 4}, {5, 1}},
                                                      {{6, 5, 4}, {1, 1, 4}}, {{33, 7}, {1, 7}}};
  for (const auto& [from, to] : cases) {
    OpCase c{shape_label(from) + "_to_" + shape_label(to), {in(from)}, [to](In x) { return sum_to_shape(x[0], to); }};
    c.forward = {reduce_atol(shape_numel(from) / shape_numel(to)), 1e-5};
    e.cases.push_back(c);
  }
  return e;
}

OpEntry expand_to_entry() {
  OpEntry e{"expand_to", Family::elementwise, {}};
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{4}, {3, 4}}, {{3, 1}, {3, 4}}, {{1, 3, 1}, {2, 3, 4}}, {{}, {2, 3}}, {{1, 13}, {33, 13}}};
  for (const auto& [from, to] : cases) {
    OpCase c{shape_label(from) + "_to_" + shape_label(to), {in(from)}, [to](In x) { return expand_to(x[0], to); }};
    c.backward = {reduce_atol(shape_numel(to) / shape_numel(from)), 1e-5};
    e.cases.push_back(c);
  }
  return e;
}

std::string dims_label(const Dims& dims, bool keepdim) {
  std::string s = dims.empty() ? "all" : "dims";
  for (std::int64_t d : dims) s += d < 0 ? "_m" + std::to_string(-d) : "_" + std::to_string(d);
  return s + (keepdim ? "_keepdim" : "");
}

// Elements summed into each output element.
std::int64_t reduced_count(const Shape& shape, const Dims& dims) {
  if (dims.empty()) return shape_numel(shape);
  std::int64_t n = 1;
  for (std::int64_t d : dims)
    n *= shape[static_cast<std::size_t>(d < 0 ? d + static_cast<std::int64_t>(shape.size()) : d)];
  return n;
}

// Single dims, adjacent and separated runs, negative dims, all dims, size-1
// dims; then the CUDA kernel's paths: warp-per-row rows, long rows split across
// blocks (two levels), columns with one and several row splits, many rows.
const std::vector<std::pair<Shape, Dims>> kReduceCases = {
    {{5}, {}},           {{5}, {0}},           {{3, 4}, {0}},          {{3, 4}, {1}},
    {{3, 4}, {-1}},      {{3, 4}, {}},         {{2, 3, 4}, {0, 2}},    {{2, 3, 4}, {1, 2}},
    {{2, 3, 4}, {-3, -2}}, {{2, 1, 3}, {1}},   {{2, 1, 3}, {0, 2}},    {{1, 4, 1, 2}, {0, 1, 3}},
    {{2, 3, 2, 2}, {0, 2, 3}}, {{}, {}},       {{13, 17}, {1}},        {{4, 5000}, {-1}},
    {{3000, 40}, {0}},   {{100000, 3}, {0}},   {{7, 33, 65}, {1}},     {{8, 16, 6, 6}, {0, 2, 3}},
    {{6, 7, 8}, {}},     {{1, 1, 5}, {0, 1}},  {{70000, 5}, {1}},      {{70000, 2, 3}, {1}},
};
// Sum-only extras: rows long enough for the two-level split.
const std::vector<std::pair<Shape, Dims>> kLongSums = {{{2, 3000000}, {1}}, {{5000001}, {0}}};

std::vector<OpEntry> reductions() {
  OpEntry s{"sum", Family::reduce, {}}, m{"mean", Family::reduce, {}}, mx{"max", Family::reduce, {}};
  auto add_cases = [](const std::vector<std::pair<Shape, Dims>>& cases, OpEntry& sums, OpEntry* means, OpEntry* maxes) {
    for (const auto& [shape, dims] : cases) {
      for (bool keepdim : {false, true}) {
        const std::string label = shape_label(shape) + "_" + dims_label(dims, keepdim);
        const std::int64_t n = reduced_count(shape, dims);
        OpCase c{label, {in(shape, -1.0, 1.0)}, [dims, keepdim](In x) { return sum(x[0], dims, keepdim); }};
        c.forward = {reduce_atol(n), 1e-5};
        sums.cases.push_back(c);
        if (means) {
          c.fn = [dims, keepdim](In x) { return mean(x[0], dims, keepdim); };
          c.forward = {reduce_atol(n) / static_cast<double>(n) + 1e-6, 1e-5};
          means->cases.push_back(c);
        }
        if (maxes) {
          // No arithmetic: both devices must pick the same element exactly.
          c.fn = [dims, keepdim](In x) { return max(x[0], dims, keepdim); };
          c.forward = c.backward = {0, 0};
          maxes->cases.push_back(c);
        }
      }
    }
  };
  add_cases(kReduceCases, s, &m, &mx);
  add_cases(kLongSums, s, &m, nullptr);
  add_cases({{{2, 300000}, {1}}}, s, nullptr, &mx);
  // Exact ties share the gradient equally on both devices; a tie is a kink, so
  // finite differences cannot check it.
  for (const auto& [label, dims] :
       std::vector<std::pair<std::string, Dims>>{{"ties_2x4_dims_1", {1}}, {"ties_2x4_all", {}}}) {
    OpCase c{label, {exactly({2, 4}, {1, 3, 3, 2, 0, 0, 0, 0})}, [dims](In x) { return max(x[0], dims); }};
    c.forward = {0, 0};
    c.backward = {0, 1e-6};
    c.gradcheck = false;
    mx.cases.push_back(c);
  }
  return {s, m, mx};
}

}  // namespace

std::vector<OpEntry> elementwise_entries() {
  std::vector<OpEntry> entries = {binary_entry("add", add, false, false), binary_entry("sub", sub, false, false),
                                  binary_entry("mul", mul, false, true), binary_entry("div", div, true, false)};
  // The same tensor on both sides: the engine must accumulate both gradients.
  entries[2].cases.push_back(
      {"same_tensor_both_sides_3x2", {in({3, 2}, 0.5, 2.0)}, [](In x) { return mul(x[0], x[0]); }});
  entries[3].cases.push_back({"same_tensor_both_sides_3x2", {in({3, 2}, 0.5, 2.0)},
                              [](In x) { return div(add(x[0], x[0]), x[0]); }});
  const auto any = [](const Shape& s, double lo, double hi) { return in(s, lo, hi); };
  entries.push_back(unary_entry("neg", [](const Tensor& x) { return neg(x); }, any, -2, 2));
  entries.push_back(unary_entry("add_scalar", [](const Tensor& x) { return add_scalar(x, 0.75); }, any, -2, 2));
  entries.push_back(unary_entry("mul_scalar", [](const Tensor& x) { return mul_scalar(x, -1.25); }, any, -2, 2));
  entries.push_back(unary_entry("exp", [](const Tensor& x) { return exp(x); }, any, -2, 2));
  entries.push_back(unary_entry("log", [](const Tensor& x) { return log(x); }, any, 0.2, 3));    // positive
  entries.push_back(unary_entry("sqrt", [](const Tensor& x) { return sqrt(x); }, any, 0.2, 3));  // positive
  entries.push_back(unary_entry("relu", [](const Tensor& x) { return relu(x); }, nonzero, 0.1, 2));  // off the kink
  entries.push_back(pow_entry());
  entries.push_back(sum_to_shape_entry());
  entries.push_back(expand_to_entry());
  return entries;
}

std::vector<OpEntry> reduce_entries() { return reductions(); }

std::vector<OpEntry> linalg_entries() {
  // GEMMs differ in summation order over K between cuBLAS and our kernel.
  const Tolerance gemm{1e-4, 1e-4};
  OpEntry mm{"matmul", Family::linalg, {}};
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{3, 4}, {4, 5}},       {{1, 4}, {4, 1}},         {{4, 1}, {1, 3}},      {{1, 1}, {1, 1}},
      {{2, 3, 4}, {2, 4, 5}}, {{1, 1, 3}, {1, 3, 1}},   {{3, 2, 1}, {3, 1, 2}}, {{2, 3, 4}, {4, 5}},
      {{3, 1, 2}, {2, 1}},    {{37, 53}, {53, 29}},     {{4, 17, 23}, {4, 23, 11}}, {{3, 10, 20}, {20, 7}},
      {{1, 64}, {64, 1}},     {{5, 1}, {1, 6}},         {{7, 13}, {13, 33}},
  };
  const auto matmul_fn = [](In x) { return matmul(x[0], x[1]); };
  for (const auto& [a, b] : pairs)
    mm.cases.push_back({shape_label(a) + "_at_" + shape_label(b), {in(a, -1, 1), in(b, -1, 1)}, matmul_fn});
  mm.cases.push_back({"3x4_at_constant_4x2", {in({3, 4}, -1, 1), constant({4, 2}, -1, 1)}, matmul_fn});
  mm.cases.push_back({"constant_3x4_at_4x2", {constant({3, 4}, -1, 1), in({4, 2}, -1, 1)}, matmul_fn});
  mm.cases.push_back({"transposed_4x3_at_4x5", {in({4, 3}, -1, 1), in({4, 5}, -1, 1)},
                      [](In x) { return matmul(transpose(x[0], 0, 1), x[1]); }});
  mm.cases.push_back({"sliced_rows_1_to_4_of_5x4_at_4x6", {in({5, 4}, -1, 1), in({4, 6}, -1, 1)},
                      [](In x) { return matmul(slice(x[0], 1, 4), x[1]); }});

  OpEntry lin{"linear", Family::linalg, {}};
  for (const auto& [rows, in_f, out_f] : std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>>{
           {5, 4, 3}, {1, 3, 1}, {2, 1, 4}, {33, 47, 19}}) {
    const std::string label = std::to_string(rows) + "x" + std::to_string(in_f) + "_to_" + std::to_string(out_f);
    lin.cases.push_back({label + "_bias", {in({rows, in_f}, -1, 1), in({out_f, in_f}, -0.5, 0.5), in({out_f}, -1, 1)},
                         [](In x) { return linear(x[0], x[1], x[2]); }});
    lin.cases.push_back({label + "_no_bias", {in({rows, in_f}, -1, 1), in({out_f, in_f}, -0.5, 0.5)},
                         [](In x) { return linear(x[0], x[1]); }});
  }
  for (OpEntry* e : {&mm, &lin}) {
    for (OpCase& c : e->cases) c.forward = c.backward = gemm;
  }
  return {mm, lin};
}

}  // namespace nanossl::testing
