// The autograd engine: accumulation, shared inputs, no-grad, detach,
// requires_grad propagation, graph freeing, and gradcheck's own behaviour.
#include <gtest/gtest.h>

#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "test_util.h"

using namespace nanossl;

namespace {
Tensor vec(std::vector<double> v) { return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}); }
}  // namespace

TEST(Autograd, GradientsAccumulateAcrossBackwardCalls) {
  Tensor x = vec({1, 2, 3});
  x.set_requires_grad();
  backward(sum(mul_scalar(x, 2.0)));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{2, 2, 2}));
  backward(sum(mul_scalar(x, 3.0)));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{5, 5, 5}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, InputUsedTwiceGetsBothContributions) {
  Tensor x = vec({1, -2, 3});
  x.set_requires_grad();
  Tensor y = sum(mul(x, x));  // dy/dx = 2x
  backward(y);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{2, -4, 6}));
}

TEST(Autograd, DiamondGraphRunsEachNodeOnce) {
  Tensor x = vec({1, 2});
  x.set_requires_grad();
  Tensor h = mul_scalar(x, 3.0);            // shared intermediate
  Tensor y = sum(add(mul(h, h), h));        // d/dx = (2h + 1) * 3
  backward(y);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{21, 39}));
}

TEST(Autograd, GradsOfTwoLeavesThatShareAnUpstreamGradientAreIndependent) {
  Tensor a = vec({1, 2}), b = vec({3, 4});
  a.set_requires_grad();
  b.set_requires_grad();
  backward(sum(add(a, b)));
  backward(sum(add(a, b)));
  a.grad().mul_(10.0);  // must not leak into b's gradient
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{2, 2}));
}

TEST(Autograd, RequiresGradPropagatesAndNoGradStopsIt) {
  Tensor x = vec({1, 2});
  Tensor w = vec({3, 4});
  w.set_requires_grad();
  EXPECT_FALSE(mul(x, x).requires_grad());
  Tensor y = mul(x, w);
  EXPECT_TRUE(y.requires_grad());
  EXPECT_FALSE(y.is_leaf());
  {
    NoGradGuard guard;
    Tensor z = mul(x, w);
    EXPECT_FALSE(z.requires_grad());
    EXPECT_EQ(z.grad_fn(), nullptr);
  }
  EXPECT_TRUE(grad_enabled());
}

TEST(Autograd, DetachCutsTheGraphButSharesData) {
  Tensor w = vec({3, 4});
  w.set_requires_grad();
  Tensor y = mul_scalar(w, 2.0);
  Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.data_ptr(), y.data_ptr());
  backward(sum(mul(y, d)));  // d is a constant: grad = 2 * d
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{12, 16}));
}

TEST(Autograd, BackwardWithExplicitGradient) {
  Tensor x = vec({1, 2, 3});
  x.set_requires_grad();
  Tensor y = mul_scalar(x, 2.0);
  backward(y, vec({1, 0, -1}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{2, 0, -2}));
}

TEST(Autograd, ErrorsAreClear) {
  Tensor x = vec({1, 2});
  EXPECT_THROW(backward(x), std::invalid_argument);  // does not require grad
  x.set_requires_grad();
  Tensor y = mul_scalar(x, 2.0);
  EXPECT_THROW(backward(y), std::invalid_argument);  // not a scalar
  EXPECT_THROW(backward(y, vec({1, 2, 3})), std::logic_error);  // wrong gradient shape
  EXPECT_THROW(y.set_requires_grad(false), std::logic_error);   // not a leaf
  EXPECT_THROW(Tensor::zeros({2}, DType::i64).set_requires_grad(), std::invalid_argument);
}

TEST(Autograd, GraphIsFreedAfterBackward) {
  Tensor x = vec({1, 2});
  x.set_requires_grad();
  Tensor h = exp(x);
  Tensor y = sum(h);
  std::weak_ptr<autograd::Node> exp_node = h.grad_fn();
  h = Tensor();  // only the graph keeps exp's node alive now
  EXPECT_FALSE(exp_node.expired());
  backward(y);
  EXPECT_TRUE(exp_node.expired());
  EXPECT_THROW(backward(y), std::logic_error);  // second backward through a freed graph
}

TEST(Gradcheck, CatchesAWrongGradient) {
  // A node whose backward is off by a factor of two must fail the check.
  struct WrongBackward : autograd::Node {
    const char* name() const override { return "wrong"; }
    std::vector<Tensor> backward(const Tensor& g) override { return {mul_scalar(g, 6.0)}; }
  };
  auto wrong_triple = [](const std::vector<Tensor>& in) {
    Tensor out;
    {
      NoGradGuard guard;
      out = mul_scalar(in[0], 3.0);
    }
    autograd::attach(out, std::make_shared<WrongBackward>(), {in[0]});
    return out;
  };
  Tensor x = Tensor::randn({4}, DType::f64);
  x.set_requires_grad();
  GradcheckResult r = gradcheck(wrong_triple, {x});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("analytic"), std::string::npos);
}

TEST(Gradcheck, SkipsKinksButChecksTheRest) {
  Tensor x = Tensor::from_vector(std::vector<double>{0.0, 1.0, -2.0, 3.0}, {4});
  x.set_requires_grad();
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return relu(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.skipped, 1);
  EXPECT_EQ(r.checked, 3);
}

TEST(Gradcheck, RejectsFloatInputs) {
  Tensor x = Tensor::randn({3});
  x.set_requires_grad();
  EXPECT_THROW(gradcheck([](const std::vector<Tensor>& in) { return in[0]; }, {x}), std::invalid_argument);
}
