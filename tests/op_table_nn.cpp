// Op table entries for the network ops: conv2d (every stride, padding, dilation,
// kernel size and bias combination the kernels branch on), the pools, batch norm
// (training and eval, with and without affine parameters and running buffers),
// l2_normalize, log_softmax, cross_entropy and NT-Xent.
#include <tuple>

#include "autograd/ops/conv.h"
#include "autograd/ops/pooling.h"
#include "autograd/ops/loss.h"
#include "autograd/ops/norm.h"
#include "autograd/ops/shape.h"
#include "op_table.h"
#include "ssl/info_nce.h"
#include "ssl/normalized_mse.h"
#include "ssl/ntxent.h"

namespace nanossl::testing {
namespace {

using In = const std::vector<Tensor>&;

struct ConvCase {
  Shape x, weight;  // N,C,H,W and K,C,R,S
  bool bias;
  Conv2dOptions options;
  double scale = 1.0;  // inputs in [-scale, scale): keeps float sums within 1e-4
};

std::string conv_label(const ConvCase& c) {
  return "x" + shape_label(c.x) + "_w" + shape_label(c.weight) + "_s" + std::to_string(c.options.stride) + "_p" +
         std::to_string(c.options.padding) + "_d" + std::to_string(c.options.dilation) + (c.bias ? "_bias" : "");
}

OpEntry conv2d_entry() {
  const std::vector<ConvCase> cases = {
      // 3x3 with strides and padding; Q = 8 is a compile-time row width.
      {{2, 3, 5, 5}, {4, 3, 3, 3}, true, {1, 1, 1}},   {{2, 3, 5, 5}, {4, 3, 3, 3}, false, {1, 0, 1}},
      {{2, 2, 6, 5}, {3, 2, 3, 3}, true, {2, 1, 1}},   {{1, 2, 5, 6}, {2, 2, 3, 3}, false, {2, 0, 1}},
      {{2, 2, 4, 4}, {2, 2, 3, 3}, true, {1, 2, 1}},   {{1, 2, 8, 8}, {2, 2, 3, 3}, false, {1, 1, 1}},
      // 5x5 and dilation.
      {{1, 2, 6, 6}, {2, 2, 5, 5}, true, {1, 2, 1}},   {{2, 1, 7, 6}, {2, 1, 5, 5}, false, {2, 1, 1}},
      {{2, 2, 6, 6}, {3, 2, 3, 3}, true, {1, 1, 2}},   {{1, 2, 7, 7}, {2, 2, 3, 3}, false, {2, 2, 2}},
      {{1, 1, 9, 10}, {1, 1, 5, 5}, true, {1, 0, 2}},
      // 1x1: im2col path, strided shortcut, padded, pointwise without im2col.
      {{2, 3, 4, 4}, {5, 3, 1, 1}, true, {1, 0, 1}},   {{2, 3, 5, 5}, {2, 3, 1, 1}, false, {2, 0, 1}},
      {{1, 2, 4, 4}, {2, 2, 1, 1}, true, {1, 1, 1}},   {{1, 1, 32, 32}, {2, 1, 1, 1}, true, {1, 0, 1}},
      // 32x32 maps: the GEMMs read dout and write out in place.
      {{1, 1, 32, 32}, {2, 1, 3, 3}, true, {1, 1, 1}},
      // Batches, one channel, even kernels, 7 channels on a 13x13 map.
      {{1, 1, 4, 4}, {1, 1, 3, 3}, true, {1, 1, 1}},   {{3, 1, 5, 4}, {2, 1, 3, 3}, true, {1, 0, 1}},
      {{3, 2, 5, 5}, {1, 2, 2, 2}, false, {2, 1, 1}},  {{1, 7, 13, 13}, {5, 7, 3, 3}, true, {2, 1, 1}},
      // Sizes of the CUDA parity suite: a CIFAR stem, ResNet-like layers.
      {{2, 3, 8, 8}, {4, 3, 3, 3}, true, {1, 1, 1}},   {{3, 4, 9, 7}, {5, 4, 3, 3}, false, {2, 1, 1}},
      {{2, 2, 10, 10}, {3, 2, 5, 5}, true, {1, 2, 1}}, {{2, 3, 11, 11}, {2, 3, 3, 3}, true, {2, 2, 2}},
      {{1, 1, 6, 6}, {1, 1, 3, 3}, true, {1, 0, 1}},   {{2, 8, 8, 8}, {16, 8, 1, 1}, false, {2, 0, 1}},
      {{2, 8, 16, 16}, {16, 8, 1, 1}, true, {1, 0, 1}}, {{2, 3, 32, 32}, {16, 3, 3, 3}, false, {1, 1, 1}},
      {{2, 64, 16, 16}, {64, 64, 3, 3}, false, {1, 1, 1}, 0.5},
      // 256 channels at 32x32: about 28 images fill one GPU im2col chunk, so 30 take two.
      {{30, 256, 32, 32}, {4, 256, 3, 3}, true, {1, 1, 1}, 0.1},
  };
  OpEntry e{"conv2d", Family::conv, {}};
  for (const ConvCase& c : cases) {
    std::vector<InputSpec> inputs{in(c.x, -c.scale, c.scale), in(c.weight, -c.scale, c.scale)};
    if (c.bias) inputs.push_back(in({c.weight[0]}, -c.scale, c.scale));
    const Conv2dOptions options = c.options;
    e.cases.push_back({conv_label(c), inputs, [options](In x) {
                         return conv2d(x[0], x[1], x.size() > 2 ? x[2] : Tensor(), options);
                       }});
  }
  // Only some inputs differentiable; a batch read through a slice view.
  e.cases.push_back({"constant_weight_x2x2x4x4_w3x2x3x3_s1_p1_bias",
                     {in({2, 2, 4, 4}), constant({3, 2, 3, 3}), in({3})},
                     [](In x) { return conv2d(x[0], x[1], x[2], {1, 1, 1}); }});
  e.cases.push_back({"constant_x_x2x2x4x4_w3x2x3x3_s2_p1", {constant({2, 2, 4, 4}), in({3, 2, 3, 3})},
                     [](In x) { return conv2d(x[0], x[1], Tensor(), {2, 1, 1}); }});
  e.cases.push_back({"sliced_batch_1_to_3_of_x4x2x5x5_w3x2x3x3", {in({4, 2, 5, 5}, -1, 1), in({3, 2, 3, 3}, -1, 1)},
                     [](In x) { return conv2d(slice(x[0], 1, 3), x[1], Tensor(), {1, 1, 1}); }});
  for (OpCase& c : e.cases) c.forward = c.backward = {1e-4, 1e-4};
  return e;
}

struct PoolCase {
  Shape x;
  std::int64_t kernel, stride, padding;
};

std::string pool_label(const PoolCase& c) {
  return shape_label(c.x) + "_k" + std::to_string(c.kernel) + "_s" + std::to_string(c.stride) + "_p" +
         std::to_string(c.padding);
}

const std::vector<PoolCase> kPoolCases = {
    {{2, 2, 4, 4}, 2, 2, 0}, {{1, 2, 5, 5}, 3, 2, 1}, {{2, 1, 5, 6}, 3, 1, 1},  {{1, 3, 7, 5}, 2, 1, 1},
    {{3, 1, 6, 6}, 3, 3, 0}, {{1, 1, 3, 3}, 3, 1, 1}, {{1, 1, 6, 6}, 4, 2, 2},  {{1, 1, 13, 13}, 3, 2, 1},
    {{2, 3, 8, 8}, 2, 2, 0}, {{2, 4, 9, 9}, 3, 2, 1}, {{1, 2, 7, 6}, 3, 1, 1},  {{2, 2, 5, 7}, 2, 1, 1},
    {{4, 64, 32, 32}, 3, 2, 1},
};

std::vector<OpEntry> pool_entries() {
  OpEntry mx{"max_pool2d", Family::pooling, {}}, avg{"avg_pool2d", Family::pooling, {}};
  for (const PoolCase& c : kPoolCases) {
    const std::int64_t k = c.kernel, s = c.stride, p = c.padding;
    // Distinct values: no ties, so every window's maximum is differentiable.
    mx.cases.push_back({pool_label(c), {distinct(c.x)}, [k, s, p](In x) { return max_pool2d(x[0], k, s, p); }});
    avg.cases.push_back({pool_label(c), {in(c.x, -1, 1)}, [k, s, p](In x) { return avg_pool2d(x[0], k, s, p); }});
  }
  OpEntry gap{"global_avg_pool2d", Family::pooling, {}};
  for (const Shape& s :
       {Shape{2, 3, 4, 4}, Shape{1, 1, 1, 1}, Shape{3, 2, 5, 3}, Shape{8, 512, 4, 4}, Shape{2, 2, 33, 35}}) {
    gap.cases.push_back({shape_label(s), {in(s, -1, 1)}, [](In x) { return global_avg_pool2d(x[0]); }});
  }
  std::vector<OpEntry> entries{mx, avg, gap};
  for (OpEntry& e : entries) {
    for (OpCase& c : e.cases) c.forward = c.backward = {1e-4, 1e-4};
  }
  return entries;
}

// Which optional inputs a batch_norm case passes; inputs go x, weight, bias,
// running_mean, running_var, leaving out the absent ones.
struct BatchNormCase {
  Shape x;
  bool training, weight, bias, running;
  bool x_constant = false;  // only the affine parameters are differentiated
  double lo = -2.0, hi = 3.0;
};

OpCase batch_norm_case(const BatchNormCase& b) {
  const std::int64_t C = b.x[1];
  std::vector<InputSpec> inputs{b.x_constant ? constant(b.x, b.lo, b.hi) : in(b.x, b.lo, b.hi)};
  if (b.weight) inputs.push_back(in({C}, 0.5, 1.5));
  if (b.bias) inputs.push_back(in({C}, -0.5, 0.5));
  if (b.running) {
    // Training updates these in place; the CUDA harness compares them afterwards.
    inputs.push_back(b.training ? constant({C}, -0.2, 0.2) : constant({C}, -1.0, 1.0));
    inputs.push_back(b.training ? constant({C}, 0.8, 1.2) : constant({C}, 0.5, 2.0));
  }
  std::string label = shape_label(b.x) + (b.training ? "_train" : "_eval") +
                      (b.weight && b.bias ? "_affine" : b.weight ? "_weight_only" : "_plain") +
                      (b.running && b.training ? "_running" : "") + (b.x_constant ? "_constant_x" : "");
  if (b.lo > 100) label += "_large_mean";
  OpCase c{label, inputs, [b](In x) {
             std::size_t i = 1;
             const Tensor w = b.weight ? x[i++] : Tensor();
             const Tensor bias = b.bias ? x[i++] : Tensor();
             const Tensor rm = b.running ? x[i++] : Tensor();
             const Tensor rv = b.running ? x[i++] : Tensor();
             return batch_norm(x[0], w, bias, rm, rv, b.training, 0.1, 1e-5);
           }};
  // Batch statistics accumulate in double on both devices.
  c.backward = {1e-5, 1e-4};
  return c;
}

OpEntry batch_norm_entry() {
  const std::vector<BatchNormCase> cases = {
      {{2, 3}, true, true, true, false},        {{4, 3}, true, true, true, false},
      {{5, 1}, true, true, true, false},        {{2, 3, 2, 3}, true, true, true, false},
      {{2, 4}, true, false, false, false},      {{3, 2, 2, 2}, true, false, false, false},
      {{1, 2, 1, 3}, true, false, false, false}, {{4, 3}, true, true, false, false},
      {{3, 2, 2, 2}, true, true, false, false}, {{4, 3}, false, true, false, true},
      {{3, 2, 2, 2}, false, true, false, true}, {{4, 3, 1, 2}, true, true, true, true},
      {{3, 2, 2, 2}, true, true, true, false, true},
      {{3, 4}, false, true, true, true},         {{2, 3, 2, 2}, false, true, true, true},
      {{1, 3}, false, true, true, true},         {{3, 4}, false, false, false, true},
      {{2, 3, 2, 2}, false, false, false, true}, {{1, 3}, false, false, false, true},
      // The CUDA suite's sizes: 1024 values per channel, odd sizes, (N,C), wide C.
      {{4, 8, 16, 16}, true, true, true, true}, {{3, 5, 3, 7}, true, false, false, true},
      {{64, 33}, true, true, true, true},       {{2, 1000}, true, false, false, true},
      {{5, 6, 4, 3}, false, true, true, true, false, -2.0, 2.0},
      {{17, 9}, false, true, true, true, false, -2.0, 2.0},
      // A large mean: variance by subtraction would cancel in float.
      {{512, 3}, true, false, false, false, false, 1e4 - 1.0, 1e4 + 1.0},
  };
  OpEntry e{"batch_norm", Family::norm, {}};
  for (const BatchNormCase& b : cases) e.cases.push_back(batch_norm_case(b));
  // At 1e4 an f64 ulp is 2e-12: a 1e-6 step leaves differences of about 1e-5
  // noise (measured), a 1e-3 step about 2e-8.
  e.cases.back().gradcheck_eps = 1e-3;
  e.cases.back().backward = {1e-4, 1e-4};
  return e;
}

OpEntry l2_normalize_entry() {
  OpEntry e{"l2_normalize", Family::norm, {}};
  for (const Shape& s : {Shape{4, 5}, Shape{1, 3}, Shape{3, 1}, Shape{32, 128}, Shape{7, 300}, Shape{9, 5}}) {
    OpCase c{shape_label(s), {in(s, -1, 1)}, [](In x) { return l2_normalize(x[0]); }};
    c.backward = {1e-5, 1e-4};
    e.cases.push_back(c);
  }
  // Rows with norm below eps are divided by the constant eps: the other branch.
  OpCase tiny{"below_eps_4x6", {in({4, 6}, -0.01, 0.01)}, [](In x) { return l2_normalize(x[0], 1.0); }};
  tiny.forward = {1e-7, 1e-5};
  e.cases.push_back(tiny);
  return e;
}

std::vector<OpEntry> loss_entries() {
  OpEntry ls{"log_softmax", Family::loss, {}};
  for (const Shape& s : {Shape{4, 5}, Shape{1, 7}, Shape{3, 1}, Shape{16, 1000}, Shape{33, 3}, Shape{4, 1}}) {
    ls.cases.push_back({shape_label(s), {in(s, -5, 5)}, [](In x) { return log_softmax(x[0]); }});
  }
  OpEntry ce{"cross_entropy", Family::loss, {}};
  const auto ce_fn = [](In x) { return cross_entropy(x[0], x[1]); };
  ce.cases.push_back({"5x4", {in({5, 4}), labels({0, 3, 3, 1, 2})}, ce_fn});
  ce.cases.push_back({"single_row_1x3", {in({1, 3}), labels({2})}, ce_fn});
  ce.cases.push_back({"single_class_2x1", {in({2, 1}), labels({0, 0})}, ce_fn});
  ce.cases.push_back({"large_logits_3x3", {in({3, 3}, -30, 30), labels({1, 0, 2})}, ce_fn});
  for (const auto& [N, C, scale] : std::vector<std::tuple<std::int64_t, std::int64_t, double>>{
           {64, 10, 3.0}, {300, 1000, 3.0}, {5, 7, 1e4}, {1, 1, 1.0}, {13, 33, 3.0}}) {
    const std::string label = std::to_string(N) + "x" + std::to_string(C) + (scale > 100 ? "_huge_logits" : "");
    ce.cases.push_back({label, {in({N, C}, -scale, scale), cyclic_labels(N, C)}, ce_fn});
  }
  for (OpCase& c : ce.cases) c.backward = {1e-6, 1e-5};
  return {ls, ce};
}

OpEntry nt_xent_entry() {
  OpEntry e{"nt_xent", Family::ssl, {}};
  auto add_case = [&](std::int64_t N, std::int64_t D, double tau, const std::string& tau_text) {
    e.cases.push_back({"N" + std::to_string(N) + "_D" + std::to_string(D) + "_tau" + tau_text,
                       {in({N, D}, -1, 1), in({N, D}, -1, 1)}, [tau](In x) { return ssl::nt_xent(x[0], x[1], tau); }});
  };
  add_case(1, 3, 0.5, "0.5");
  add_case(2, 3, 0.1, "0.1");
  add_case(3, 8, 1.0, "1");
  add_case(4, 5, 0.5, "0.5");
  add_case(6, 4, 0.2, "0.2");
  for (std::int64_t N : {1, 5, 16, 64}) {
    add_case(N, 8, 0.05, "0.05");
    add_case(N, 8, 0.5, "0.5");
  }
  // One view a constant (e.g. a stop-gradient target).
  e.cases.push_back({"constant_first_view_N3_D4_tau0.3", {constant({3, 4}, -1, 1), in({3, 4}, -1, 1)},
                     [](In x) { return ssl::nt_xent(x[0], x[1], 0.3); }});
  for (OpCase& c : e.cases) {
    c.forward = {1e-5, 1e-4};
    c.backward = {1e-5, 1e-3};
  }
  return e;
}

// MoCo's loss: queries, keys and queue all differentiable here (in MoCo only the
// queries are), and the MoCo case with keys and queue constants.
OpEntry info_nce_entry() {
  OpEntry e{"info_nce", Family::ssl, {}};
  auto add_case = [&](std::int64_t B, std::int64_t K, std::int64_t D, double tau, const std::string& tau_text) {
    e.cases.push_back({"B" + std::to_string(B) + "_K" + std::to_string(K) + "_D" + std::to_string(D) + "_tau" + tau_text,
                       {in({B, D}, -1, 1), in({B, D}, -1, 1), in({K, D}, -1, 1)},
                       [tau](In x) { return ssl::info_nce(x[0], x[1], x[2], tau); }});
  };
  add_case(1, 1, 3, 0.5, "0.5");
  add_case(3, 5, 4, 0.2, "0.2");
  add_case(4, 16, 8, 0.07, "0.07");
  add_case(8, 64, 8, 1.0, "1");
  e.cases.push_back({"moco_constants_B6_K32_D8_tau0.2", {in({6, 8}, -1, 1), constant({6, 8}, -1, 1), constant({32, 8}, -1, 1)},
                     [](In x) { return ssl::info_nce(x[0], x[1], x[2], 0.2); }});
  for (OpCase& c : e.cases) {
    c.forward = {1e-5, 1e-4};
    c.backward = {1e-5, 1e-3};
  }
  return e;
}

// BYOL's loss: predictions and targets both differentiable, and the BYOL case with
// the target a constant.
OpEntry normalized_mse_entry() {
  OpEntry e{"normalized_mse", Family::ssl, {}};
  for (const Shape& shape : {Shape{1, 3}, Shape{4, 5}, Shape{16, 8}, Shape{64, 8}}) {
    e.cases.push_back({shape_label(shape), {in(shape, -1, 1), in(shape, -1, 1)},
                       [](In x) { return ssl::normalized_mse(x[0], x[1]); }});
  }
  e.cases.push_back({"constant_target_6x4", {in({6, 4}, -1, 1), constant({6, 4}, -1, 1)},
                     [](In x) { return ssl::normalized_mse(x[0], x[1]); }});
  for (OpCase& c : e.cases) {
    c.forward = {1e-5, 1e-4};
    c.backward = {1e-5, 1e-4};
  }
  return e;
}

}  // namespace

std::vector<OpEntry> conv_entries() {
  std::vector<OpEntry> entries{conv2d_entry()};
  for (OpEntry& e : pool_entries()) entries.push_back(std::move(e));
  return entries;
}

std::vector<OpEntry> norm_loss_entries() {
  std::vector<OpEntry> entries{batch_norm_entry(), l2_normalize_entry()};
  for (OpEntry& e : loss_entries()) entries.push_back(std::move(e));
  entries.push_back(nt_xent_entry());
  entries.push_back(info_nce_entry());
  entries.push_back(normalized_mse_entry());
  return entries;
}

}  // namespace nanossl::testing
