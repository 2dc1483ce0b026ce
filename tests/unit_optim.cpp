// Optimizers and schedules: SGD and LARS steps against hand-computed values, the
// BN/bias exclusion rule, skipped parameters, checkpoint state round trips, the
// warmup + cosine schedule, batch-size scaling and their errors.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "nn/optim.h"
#include "nn/schedule.h"
#include "test_util.h"

using namespace nanossl;
using namespace nanossl::nn;

namespace {

Tensor leaf(std::vector<double> values) {
  Tensor t = Tensor::from_vector(values, {static_cast<std::int64_t>(values.size())});
  t.set_requires_grad();
  return t;
}

void set_grad(Tensor& t, std::vector<double> values) {
  t.set_grad(Tensor::from_vector(values, t.shape()));
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

void expect_near(const std::vector<double>& actual, const std::vector<double>& expected, double tol = 1e-12) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], tol) << "element " << i;
}

// Runs `body`, expecting std::invalid_argument whose message contains every piece.
template <class F>
void expect_error(F body, std::vector<std::string> pieces) {
  try {
    body();
    FAIL() << "no exception thrown";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    for (const std::string& piece : pieces) EXPECT_NE(message.find(piece), std::string::npos) << message;
  }
}

}  // namespace

// ---- parameter groups ----

TEST(OptimizerParams, OneDimensionalParametersAreExcluded) {
  NamedTensors named = {{"conv1.weight", Tensor::zeros({4, 1, 3, 3})},
                        {"bn1.weight", Tensor::ones({4})},
                        {"bn1.bias", Tensor::zeros({4})},
                        {"fc.weight", Tensor::zeros({2, 4})},
                        {"fc.bias", Tensor::zeros({2})}};
  const auto excluded = optimizer_params(named, true);
  ASSERT_EQ(excluded.size(), 5u);
  const std::vector<bool> expected = {true, false, false, true, false};
  for (std::size_t i = 0; i < excluded.size(); ++i) {
    EXPECT_EQ(excluded[i].name, named[i].first);
    EXPECT_TRUE(excluded[i].tensor.same(named[i].second));
    EXPECT_EQ(excluded[i].decay, expected[i]) << excluded[i].name;
    EXPECT_EQ(excluded[i].adapt, expected[i]) << excluded[i].name;
  }
  for (const OptimizerParam& p : optimizer_params(named, false)) {
    EXPECT_TRUE(p.decay && p.adapt) << p.name;
  }
}

TEST(OptimizerParams, RejectsRepeatedUndefinedAndIntegerParameters) {
  expect_error([] { optimizer_params({{"a", Tensor::zeros({2})}, {"a", Tensor::zeros({2})}}, true); }, {"'a'", "twice"});
  expect_error([] { optimizer_params({{"w", Tensor()}}, true); }, {"'w'", "undefined"});
  expect_error([] { optimizer_params({{"idx", Tensor::zeros({2}, DType::i64)}}, true); }, {"'idx'", "floating"});
}

// ---- SGD ----

TEST(Sgd, PlainStepWithWeightDecay) {
  Tensor p = leaf({1.0, -2.0});
  set_grad(p, {0.5, 0.25});
  Sgd sgd({{"p", p}}, {.lr = 0.1, .weight_decay = 0.01});
  sgd.step();
  // d = g + 0.01 p = [0.5 + 0.01, 0.25 - 0.02] = [0.51, 0.23]
  // p = p - 0.1 d  = [1 - 0.051, -2 - 0.023]    = [0.949, -2.023]
  expect_near(values(p), {0.949, -2.023});
  EXPECT_TRUE(sgd.state().empty());  // no momentum, no state
}

TEST(Sgd, MomentumOverThreeSteps) {
  Tensor p = leaf({1.0});
  Sgd sgd({{"p", p}}, {.lr = 0.1, .momentum = 0.9});
  // g = 1: buf = 1 (first step: buf = d);     p = 1 - 0.1*1      = 0.9
  // g = 2: buf = 0.9*1 + 2 = 2.9;             p = 0.9 - 0.29     = 0.61
  // g = -1: buf = 0.9*2.9 - 1 = 1.61;         p = 0.61 - 0.161   = 0.449
  const double grads[] = {1.0, 2.0, -1.0}, expected[] = {0.9, 0.61, 0.449};
  for (int s = 0; s < 3; ++s) {
    set_grad(p, {grads[s]});
    sgd.step();
    expect_near(values(p), {expected[s]});
  }
  expect_near(values(sgd.state().at(0).second), {1.61});
  EXPECT_EQ(sgd.state().at(0).first, "momentum/p");
}

TEST(Sgd, DampeningSkipsTheFirstStep) {
  Tensor p = leaf({1.0});
  Sgd sgd({{"p", p}}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
  set_grad(p, {1.0});
  sgd.step();  // buf = d = 1 (undamped);             p = 1 - 0.1   = 0.9
  set_grad(p, {2.0});
  sgd.step();  // buf = 0.9*1 + (1-0.5)*2 = 1.9;       p = 0.9 - 0.19 = 0.71
  expect_near(values(p), {0.71});
}

TEST(Sgd, Nesterov) {
  Tensor p = leaf({1.0});
  Sgd sgd({{"p", p}}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  set_grad(p, {1.0});
  sgd.step();  // buf = 1;             d = 1 + 0.9*1   = 1.9;  p = 1 - 0.19     = 0.81
  expect_near(values(p), {0.81});
  set_grad(p, {2.0});
  sgd.step();  // buf = 0.9 + 2 = 2.9; d = 2 + 0.9*2.9 = 4.61; p = 0.81 - 0.461 = 0.349
  expect_near(values(p), {0.349});
  // The gradient itself is not modified by the update.
  expect_near(values(p.grad()), {2.0});
}

TEST(Sgd, WeightDecayOnlyOnDecayParameters) {
  Tensor a = leaf({2.0}), b = leaf({2.0});
  set_grad(a, {0.0});
  set_grad(b, {0.0});
  Sgd sgd({{"a", a, true, true}, {"b", b, false, false}}, {.lr = 0.5, .momentum = 0.9, .weight_decay = 0.1});
  sgd.step();
  expect_near(values(a), {1.9});  // d = 0 + 0.1*2 = 0.2; a = 2 - 0.5*0.2
  expect_near(values(b), {2.0});  // d = 0: no decay
}

TEST(Sgd, ParametersWithoutGradientAreSkipped) {
  Tensor a = leaf({1.0}), b = leaf({5.0});
  Sgd sgd({{"a", a}, {"b", b}}, {.lr = 0.1, .momentum = 0.9});
  set_grad(a, {1.0});
  sgd.step();
  expect_near(values(a), {0.9});
  expect_near(values(b), {5.0});
  const NamedTensors state = sgd.state();
  ASSERT_EQ(state.size(), 2u);
  expect_near(values(state[1].second), {0.0});  // b's buffer does not exist yet: zeros
  // b's first gradient starts its buffer (buf = d), a's continues.
  sgd.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  set_grad(b, {1.0});
  sgd.step();
  expect_near(values(a), {0.9});
  expect_near(values(b), {4.9});
}

TEST(Sgd, RejectsBadOptions) {
  Tensor p = leaf({1.0});
  expect_error([&] { Sgd({{"p", p}}, {.lr = 0.1, .nesterov = true}); }, {"[sgd]", "Nesterov"});
  expect_error([&] { Sgd({{"p", p}}, {.lr = -1.0}); }, {"[sgd]", "learning rate"});
  expect_error([&] { Sgd({{"p", p}}, {.lr = 0.1, .momentum = -0.5}); }, {"momentum"});
  Sgd sgd({{"p", p}}, {.lr = 0.1});
  expect_error([&] { sgd.set_lr(std::nan("")); }, {"learning rate"});
  sgd.set_lr(0.25);
  EXPECT_EQ(sgd.lr(), 0.25);
}

// ---- LARS ----

TEST(Lars, StepAgainstHandComputedValues) {
  Tensor w = leaf({3.0, 4.0});
  Lars lars({{"w", w}}, {.lr = 3.0, .momentum = 0.9, .weight_decay = 0.1, .eta = 0.001});
  set_grad(w, {0.6, 0.8});
  lars.step();
  // g' = g + 0.1 w = [0.6 + 0.3, 0.8 + 0.4] = [0.9, 1.2];  ||w|| = 5, ||g'|| = 1.5
  // trust = 0.001 * 5 / 1.5 = 1/300;  lr * trust = 0.01
  // v = 0.01 g' = [0.009, 0.012];  w = [3 - 0.009, 4 - 0.012] = [2.991, 3.988]
  expect_near(values(w), {2.991, 3.988});
  EXPECT_NEAR(lars.last_trust_ratios()[0], 1.0 / 300.0, 1e-15);
  // Second step, same gradient: the formula spelled out in doubles.
  lars.step();
  const double g0 = 0.6 + 0.1 * 2.991, g1 = 0.8 + 0.1 * 3.988;
  const double trust = 0.001 * std::hypot(2.991, 3.988) / std::hypot(g0, g1);
  const double v0 = 0.9 * 0.009 + 3.0 * trust * g0, v1 = 0.9 * 0.012 + 3.0 * trust * g1;
  expect_near(values(w), {2.991 - v0, 3.988 - v1});
  expect_near(values(lars.state().at(0).second), {v0, v1});
}

TEST(Lars, ExcludedParametersAreNotAdaptedOrDecayed) {
  Tensor b = leaf({3.0, 4.0});
  Lars lars({{"bn.weight", b, false, false}}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1});
  set_grad(b, {0.6, 0.8});
  lars.step();
  // g' = g (no decay), trust = 1: v = 0.1 g = [0.06, 0.08]; b = [2.94, 3.92]
  expect_near(values(b), {2.94, 3.92});
  EXPECT_EQ(lars.last_trust_ratios()[0], 1.0);
  lars.step();
  // v = 0.9 [0.06, 0.08] + 0.1 [0.6, 0.8] = [0.114, 0.152]; b = [2.826, 3.768]
  expect_near(values(b), {2.826, 3.768});
}

TEST(Lars, ZeroNormsFallBackToTrustOne) {
  // ||w|| = 0: g' = g + 0.1*0 = [1, 2], trust 1, v = 0.1 g', w = [-0.1, -0.2].
  Tensor zero_w = leaf({0.0, 0.0});
  set_grad(zero_w, {1.0, 2.0});
  // ||g'|| = 0 (no decay, zero gradient): trust 1, v = 0, w unchanged.
  Tensor zero_g = leaf({3.0, 4.0});
  set_grad(zero_g, {0.0, 0.0});
  Lars lars({{"zero_w", zero_w}, {"zero_g", zero_g}}, {.lr = 0.1, .weight_decay = 0.0});
  lars.step();
  expect_near(values(zero_w), {-0.1, -0.2});
  expect_near(values(zero_g), {3.0, 4.0});
  EXPECT_EQ(lars.last_trust_ratios()[0], 1.0);
  EXPECT_EQ(lars.last_trust_ratios()[1], 1.0);
}

TEST(Lars, ParametersWithoutGradientAreSkipped) {
  Tensor a = leaf({3.0, 4.0}), b = leaf({1.0, 1.0});
  set_grad(a, {0.6, 0.8});
  Lars lars({{"a", a}, {"b", b}}, {.lr = 0.1});
  lars.step();
  expect_near(values(b), {1.0, 1.0});
  expect_near(values(lars.state().at(1).second), {0.0, 0.0});
  EXPECT_NE(values(a)[0], 3.0);
}

TEST(Lars, RejectsBadOptions) {
  Tensor p = leaf({1.0});
  expect_error([&] { Lars({{"p", p}}, {.lr = 0.1, .eta = 0.0}); }, {"[lars]", "eta"});
  expect_error([&] { Lars({{"p", p}}, {.lr = 0.1, .weight_decay = -1.0}); }, {"[lars]", "weight_decay"});
  expect_error([&] { Lars({{"p", p}, {"p", leaf({2.0})}}, {.lr = 0.1}); }, {"'p'", "twice"});
}

// ---- checkpoint state ----

namespace {

// Three f32 parameters (a conv kernel, a BN weight, a bias) and a deterministic
// gradient for each step.
NamedTensors make_params() {
  NamedTensors named = {{"conv.weight", nanossl::testing::uniform({3, 2, 2, 2}, -1, 1, DType::f32, 1)},
                        {"bn.weight", nanossl::testing::uniform({3}, 0.5, 1.5, DType::f32, 2)},
                        {"fc.bias", nanossl::testing::uniform({4}, -0.1, 0.1, DType::f32, 3)}};
  for (auto& [name, t] : named) t.set_requires_grad();
  return named;
}

void set_step_grads(const NamedTensors& named, int step) {
  std::uint64_t seed = 100;
  for (const auto& [name, t] : named) {
    Tensor(t).set_grad(nanossl::testing::uniform(t.shape(), -1, 1, DType::f32, seed++ + 10 * static_cast<std::uint64_t>(step)));
  }
}

template <class Opt, class Options>
void expect_resume_is_bitwise_identical(Options options) {
  const WarmupCosine schedule{options.lr, 2, 4};
  auto run = [&](Opt& opt, const NamedTensors& named, int from, int to) {
    for (int s = from; s < to; ++s) {
      set_step_grads(named, s);
      opt.set_lr(schedule.at(s));
      opt.step();
    }
  };
  const NamedTensors straight = make_params(), resumed = make_params();
  Opt a(optimizer_params(straight, true), options);
  run(a, straight, 0, 4);

  Opt b(optimizer_params(resumed, true), options);
  run(b, resumed, 0, 2);
  std::map<std::string, Tensor> saved;
  for (const auto& [key, value] : b.state()) saved.emplace(key, value);
  ASSERT_EQ(saved.size(), 3u);
  EXPECT_TRUE(saved.count("momentum/conv.weight"));
  Opt c(optimizer_params(resumed, true), options);
  c.load_state(saved);
  run(c, resumed, 2, 4);

  const NamedTensors initial = make_params();
  for (std::size_t i = 0; i < straight.size(); ++i) {
    EXPECT_NE(straight[i].second.to_vector<float>(), initial[i].second.to_vector<float>()) << straight[i].first;
    EXPECT_EQ(straight[i].second.to_vector<float>(), resumed[i].second.to_vector<float>()) << straight[i].first;
  }
}

}  // namespace

TEST(OptimizerState, SgdResumesBitwiseIdentically) {
  expect_resume_is_bitwise_identical<Sgd>(SgdOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-4, .nesterov = true});
}

TEST(OptimizerState, LarsResumesBitwiseIdentically) {
  expect_resume_is_bitwise_identical<Lars>(LarsOptions{.lr = 1.2, .momentum = 0.9, .weight_decay = 1e-4});
}

TEST(OptimizerState, LoadNamesMissingMisShapedAndUnexpectedEntries) {
  const NamedTensors named = make_params();
  Lars lars(optimizer_params(named, true), {.lr = 0.1});
  std::map<std::string, Tensor> state = {{"momentum/conv.weight", Tensor::zeros({3, 2, 2, 2})},
                                         {"momentum/bn.weight", Tensor::zeros({4})},
                                         {"momentum/fc.weights", Tensor::zeros({4})}};
  expect_error([&] { lars.load_state(state); },
               {"[lars]", "missing momentum/fc.bias", "mis-shaped momentum/bn.weight", "unexpected momentum/fc.weights"});
  // A failed load leaves the optimizer untouched: its state is still all zeros.
  for (const auto& [key, value] : lars.state()) {
    EXPECT_EQ(squared_norm(value), 0.0) << key;
  }
  Sgd plain(optimizer_params(named, true), {.lr = 0.1});
  expect_error([&] { plain.load_state({{"momentum/fc.bias", Tensor::zeros({4})}}); }, {"[sgd]", "without momentum"});
}

// ---- schedules ----

TEST(WarmupCosine, ValuesAtKeySteps) {
  const WarmupCosine s{.base_lr = 1.0, .warmup_steps = 4, .total_steps = 14, .final_lr = 0.1};
  EXPECT_DOUBLE_EQ(s.at(0), 0.25);  // 1 * (0+1)/4
  EXPECT_DOUBLE_EQ(s.at(1), 0.5);
  EXPECT_DOUBLE_EQ(s.at(3), 1.0);   // last warmup step reaches base_lr
  EXPECT_DOUBLE_EQ(s.at(4), 1.0);   // cosine starts at base_lr (progress 0)
  EXPECT_DOUBLE_EQ(s.at(9), 0.55);  // progress 5/10: 0.1 + 0.9 * (1 + cos(pi/2)) / 2
  // Last step, progress 9/10: 0.1 + 0.9 * (1 + cos(0.9 pi)) / 2 = 0.1 + 0.9 * 0.0244717418524
  EXPECT_NEAR(s.at(13), 0.12202456766718, 1e-12);
  EXPECT_DOUBLE_EQ(s.at(14), 0.1);  // total_steps and beyond: final_lr
  EXPECT_DOUBLE_EQ(s.at(1000), 0.1);
  const WarmupCosine no_warmup{.base_lr = 2.0, .warmup_steps = 0, .total_steps = 2};
  EXPECT_DOUBLE_EQ(no_warmup.at(0), 2.0);
  EXPECT_DOUBLE_EQ(no_warmup.at(1), 1.0);  // (1 + cos(pi/2)) / 2 of 2
  EXPECT_DOUBLE_EQ(no_warmup.at(2), 0.0);
}

TEST(WarmupCosine, RejectsInconsistentFields) {
  expect_error([] { WarmupCosine{1.0, 10, 5}.at(0); }, {"warmup_steps (10) exceeds total_steps (5)"});
  expect_error([] { WarmupCosine{1.0, 0, 0}.at(0); }, {"total_steps"});
  expect_error([] { WarmupCosine{-1.0, 0, 5}.at(0); }, {"base_lr"});
  expect_error([] { WarmupCosine{1.0, 1, 5}.at(-1); }, {"step must be >= 0"});
}

TEST(LrScaling, Rules) {
  EXPECT_DOUBLE_EQ(scale_lr(0.3, 512, LrScaling::linear), 0.6);   // 0.3 * 512/256
  EXPECT_DOUBLE_EQ(scale_lr(0.075, 4096, LrScaling::sqrt), 4.8);  // 0.075 * 64
  EXPECT_DOUBLE_EQ(scale_lr(0.5, 100, LrScaling::none), 0.5);
  expect_error([] { scale_lr(0.1, 0, LrScaling::linear); }, {"batch size", "0"});
}

TEST(LrScaling, ParsesNamesAndRejectsOthers) {
  for (LrScaling s : {LrScaling::none, LrScaling::linear, LrScaling::sqrt}) {
    EXPECT_EQ(parse_lr_scaling(to_string(s)), s);
  }
  EXPECT_EQ(parse_lr_scaling("sqrt"), LrScaling::sqrt);
  expect_error([] { parse_lr_scaling("Linear"); }, {"'Linear'", "none, linear or sqrt"});
  expect_error([] { parse_lr_scaling(""); }, {"''"});
}
