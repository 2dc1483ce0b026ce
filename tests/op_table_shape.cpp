// Op table entries for the shape ops (pure data movement: the forward must match
// exactly on every device) and for composites, short chains of ops whose
// gradients must compose: the operators, a softplus-like expression, the
// log-softmax shift, conv -> pool chains, and a chain of every shape op.
#include <tuple>

#include "autograd/ops/conv.h"
#include "autograd/ops/pooling.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/loss.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/shape.h"
#include "op_table.h"

namespace nanossl::testing {
namespace {

using In = const std::vector<Tensor>&;

// Copies are exact; gradients of index_select and cat add rows (in any order on
// the GPU, with atomics), so they get a float atol.
constexpr Tolerance kExact{0, 0};
constexpr Tolerance kSummedRows{1e-6, 1e-6};

OpCase copy_case(const std::string& label, std::vector<InputSpec> inputs, OpFn fn) {
  OpCase c{label, std::move(inputs), std::move(fn)};
  c.forward = kExact;
  c.backward = kSummedRows;
  return c;
}

}  // namespace

std::vector<OpEntry> shape_entries() {
  OpEntry reshape_e{"reshape", Family::shape, {}};
  for (const Shape& s : {Shape{6}, Shape{2, 3}, Shape{1, 6, 1}}) {
    reshape_e.cases.push_back(copy_case(shape_label(s) + "_to_3xinferred", {in(s)}, [](In x) {
      return reshape(x[0], {3, -1});
    }));
  }
  reshape_e.cases.push_back(copy_case("7x13_to_13x7", {in({7, 13})}, [](In x) { return reshape(x[0], {13, 7}); }));
  reshape_e.cases.push_back(copy_case("1x1_to_scalar", {in({1, 1})}, [](In x) { return reshape(x[0], {}); }));

  OpEntry flatten_e{"flatten", Family::shape, {}};
  flatten_e.cases.push_back(copy_case("2x3x1x2", {in({2, 3, 1, 2})}, [](In x) { return flatten(x[0]); }));
  flatten_e.cases.push_back(copy_case("batch1_1x5x7", {in({1, 5, 7})}, [](In x) { return flatten(x[0]); }));
  flatten_e.cases.push_back(copy_case("2x3x4_from_dim2", {in({2, 3, 4})}, [](In x) { return flatten(x[0], 2); }));

  OpEntry permute_e{"permute", Family::shape, {}};
  permute_e.cases.push_back(copy_case("2x3x1x4_order_2031", {in({2, 3, 1, 4})}, [](In x) {
    return permute(x[0], {2, 0, 3, 1});
  }));
  permute_e.cases.push_back(copy_case("3x6x5_order_201", {in({3, 6, 5})}, [](In x) {
    return permute(x[0], {2, 0, 1});
  }));
  permute_e.cases.push_back(copy_case("33x7x13_order_120", {in({33, 7, 13})}, [](In x) {
    return permute(x[0], {1, 2, 0});
  }));

  OpEntry transpose_e{"transpose", Family::shape, {}};
  transpose_e.cases.push_back(
      copy_case("3x1x2_dims_0_m1", {in({3, 1, 2})}, [](In x) { return transpose(x[0], 0, -1); }));
  transpose_e.cases.push_back(copy_case("7x13_dims_0_1", {in({7, 13})}, [](In x) { return transpose(x[0], 0, 1); }));
  transpose_e.cases.push_back(copy_case("2x3x4_dims_1_2", {in({2, 3, 4})}, [](In x) { return transpose(x[0], 1, 2); }));

  OpEntry slice_e{"slice", Family::shape, {}};
  for (const auto& [shape, start, end] : std::vector<std::tuple<Shape, std::int64_t, std::int64_t>>{
           {{4, 2}, 1, 3}, {{1, 3, 2}, 0, 1}, {{33, 3}, 7, 20}, {{5, 2}, 0, 5}}) {
    const std::int64_t a = start, b = end;
    slice_e.cases.push_back(copy_case(shape_label(shape) + "_rows_" + std::to_string(a) + "_to_" + std::to_string(b),
                                      {in(shape)}, [a, b](In x) { return slice(x[0], a, b); }));
  }

  OpEntry index_e{"index_select", Family::shape, {}};
  const auto pick = [](In x) { return index_select(x[0], x[1]); };
  index_e.cases.push_back(copy_case("repeated_rows_of_4x2x2", {in({4, 2, 2}), labels({3, 0, 3, 1, 3})}, pick));
  index_e.cases.push_back(copy_case("one_row_of_7x3", {in({7, 3}), labels({5})}, pick));
  index_e.cases.push_back(copy_case("rows_of_5x3x6", {in({5, 3, 6}), labels({2, 0, 2, 1})}, pick));

  OpEntry cat_e{"cat", Family::shape, {}};
  for (std::int64_t dim : {0, 1, 2}) {
    Shape b{2, 3, 2};
    b[static_cast<std::size_t>(dim)] = 1;
    cat_e.cases.push_back(
        copy_case("2x3x2_and_" + shape_label(b) + "_dim" + std::to_string(dim), {in({2, 3, 2}), in(b)}, [dim](In x) {
          return cat({x[0], x[1]}, dim);
        }));
  }
  cat_e.cases.push_back(copy_case("constant_1x3_and_2x3_dim0", {constant({1, 3}), in({2, 3})},
                                  [](In x) { return cat({x[0], x[1]}, 0); }));
  cat_e.cases.push_back(copy_case("three_parts_dim1", {in({2, 1, 3}), in({2, 4, 3}), in({2, 2, 3})},
                                  [](In x) { return cat({x[0], x[1], x[2]}, 1); }));
  cat_e.cases.push_back(copy_case("3x4x5_and_3x2x5_dim1", {in({3, 4, 5}), in({3, 2, 5})},
                                  [](In x) { return cat({x[0], x[1]}, 1); }));
  return {reshape_e, flatten_e, permute_e, transpose_e, slice_e, index_e, cat_e};
}

std::vector<OpEntry> composite_entries() {
  std::vector<OpEntry> entries;
  auto push = [&](const std::string& name, OpCase c) { entries.push_back({name, Family::composite, {std::move(c)}}); };

  push("operators", {"2x3_and_3", {in({2, 3}), in({3})},
                    [](In x) { return (2.0 - x[0] * 3.0) / 4.0 + x[1] - (-x[0] + 1.0); }});
  push("softplus_like", {"4x3_3_4x1", {in({4, 3}), in({3}), in({4, 1})}, [](In x) {
        const Tensor z = add(mul(x[0], x[1]), x[2]);
        return sqrt(add_scalar(log(add_scalar(exp(z), 1.0)), 0.1));
      }});
  OpCase broadcast_chain{"6x5x4_and_5x1", {in({6, 5, 4}, -1, 1), in({5, 1}, -1, 1)},
                         [](In x) { return relu(sub(mul(x[0], x[1]), exp(x[1]))); }};
  broadcast_chain.backward = {reduce_atol(3 * 24), 1e-5};
  push("broadcast_relu_chain", broadcast_chain);
  push("log_softmax_shift", {"3x5", {in({3, 5})}, [](In x) { return sum(exp(sub(x[0], max(x[0], {1}, true))), {1}); }});
  push("mean_normalised", {"4x3", {in({4, 3})},
                          [](In x) { return div(x[0], add_scalar(mean(mul(x[0], x[0]), {0}, true), 1.0)); }});
  push("cross_entropy_after_log_softmax", {"2x4", {in({2, 4}), labels({1, 2})},
                                          [](In x) { return cross_entropy(log_softmax(x[0]), x[1]); }});

  // Average rather than max pooling: a max could pick different elements when
  // two conv outputs differ by less than the devices' rounding.
  OpCase conv_pool{"x2x2x4x4_w3x2x3x3", {in({2, 2, 4, 4}), in({3, 2, 3, 3}), in({3})}, [](In x) {
                     return global_avg_pool2d(avg_pool2d(conv2d(x[0], x[1], x[2], {1, 1, 1}), 2, 2));
                   }};
  OpCase conv_pool_conv{"x2x3x16x16_w8x3x3x3_w4x8x3x3",
                        {in({2, 3, 16, 16}, -1, 1), in({8, 3, 3, 3}, -0.5, 0.5), in({8}, -0.5, 0.5),
                         in({4, 8, 3, 3}, -0.5, 0.5)},
                        [](In x) {
                          Tensor y = avg_pool2d(conv2d(x[0], x[1], x[2], {1, 1, 1}), 3, 2, 1);
                          return global_avg_pool2d(conv2d(y, x[3], Tensor(), {2, 1, 1}));
                        }};
  for (OpCase* c : {&conv_pool, &conv_pool_conv}) c->forward = c->backward = {1e-4, 1e-4};
  push("conv_avg_pool_global_pool", conv_pool);
  push("conv_avg_pool_conv_global_pool", conv_pool_conv);

  OpCase moves = copy_case("3x4x5_and_3x2x5", {in({3, 4, 5}), in({3, 2, 5}), labels({2, 0, 2, 1})}, [](In x) {
    const Tensor moved = permute(cat({x[0], x[1]}, 1), {2, 0, 1});  // 5x3x6
    return slice(index_select(transpose(moved, 0, 1), x[2]), 1, 4);
  });
  push("shape_chain", moves);
  return entries;
}

}  // namespace nanossl::testing
