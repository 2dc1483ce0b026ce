// Anomaly mode (autograd/anomaly.h): the first op whose forward output or backward
// gradient holds a NaN or an infinity is named; outside the mode nothing is checked.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "autograd/anomaly.h"
#include "autograd/engine.h"
#include "autograd/ops.h"

namespace nanossl {
namespace {

std::string anomaly_of(const std::function<void()>& body) {
  AnomalyGuard anomaly;
  try {
    body();
  } catch (const AnomalyError& error) {
    return error.what();
  }
  return "";
}

TEST(AnomalyMode, NamesTheForwardThatMadeAnInfinity) {
  Tensor x = Tensor::from_vector(std::vector<float>{1.0f, 0.0f, 2.0f}, {3});
  x.set_requires_grad();
  // exp is fine, log(0) = -inf: the message names log's forward, not the exp before it.
  const std::string message = anomaly_of([&] { (void)sum(log(mul(exp(x), x))); });
  EXPECT_NE(message.find("the forward of"), std::string::npos) << message;
  EXPECT_NE(message.find("log"), std::string::npos) << message;
  EXPECT_EQ(message.find("exp"), std::string::npos) << message;
}

TEST(AnomalyMode, NamesTheBackwardThatMadeAnInfinity) {
  // sqrt(0) is finite forward; its gradient 1 / (2 sqrt(0)) is infinite.
  Tensor x = Tensor::from_vector(std::vector<float>{4.0f, 0.0f}, {2});
  x.set_requires_grad();
  const std::string message = anomaly_of([&] { backward(sum(sqrt(x))); });
  EXPECT_NE(message.find("the backward of"), std::string::npos) << message;
  EXPECT_NE(message.find("sqrt"), std::string::npos) << message;
}

TEST(AnomalyMode, AnInputFedAnInfinityIsCaughtAtTheFirstOpThatSeesIt) {
  Tensor x = Tensor::from_vector(std::vector<float>{1.0f, std::numeric_limits<float>::infinity()}, {2});
  x.set_requires_grad();
  const std::string message = anomaly_of([&] { (void)mul_scalar(x, 2.0); });
  EXPECT_NE(message.find("the forward of"), std::string::npos) << message;
}

TEST(AnomalyMode, IsOffOutsideItsGuardAndRestoresTheOuterSetting) {
  EXPECT_FALSE(anomaly_mode_enabled());
  Tensor x = Tensor::from_vector(std::vector<float>{0.0f}, {1});
  x.set_requires_grad();
  const Tensor y = log(x);  // -inf, and no error: the mode is off
  EXPECT_TRUE(std::isinf(y.item()));
  {
    AnomalyGuard outer;
    { AnomalyGuard inner; }
    EXPECT_TRUE(anomaly_mode_enabled());
  }
  EXPECT_FALSE(anomaly_mode_enabled());
}

TEST(AnomalyMode, FiniteComputationsPass) {
  Tensor x = Tensor::from_vector(std::vector<float>{1.0f, 2.0f}, {2});
  x.set_requires_grad();
  EXPECT_EQ(anomaly_of([&] { backward(sum(mul(x, x))); }), "");
}

}  // namespace
}  // namespace nanossl
