// End-to-end training with the raw ops: a two-layer MLP and a small conv net,
// trained with plain SGD on fixed synthetic problems, must drive the loss down.
#include <gtest/gtest.h>

#include "autograd/ops.h"
#include "tensor/random.h"
#include "training_util.h"

using namespace nanossl;
using namespace nanossl::testing;

TEST(Training, TwoLayerMlpSeparatesRings) {
  manual_seed(1);
  Tensor x, y;
  make_rings(x, y, 256);
  Tensor w1 = param({32, 2}, 1.0), b1 = param({32}, 0.0), w2 = param({2, 32}, 0.25), b2 = param({2}, 0.0);
  double first = 0, last = 0;
  for (int step = 0; step < 400; ++step) {
    Tensor loss = cross_entropy(linear(relu(linear(x, w1, b1)), w2, b2), y);
    if (step == 0) first = loss.item();
    last = loss.item();
    backward(loss);
    sgd_step({w1, b1, w2, b2}, 0.5);
  }
  EXPECT_GT(first, 0.5);
  EXPECT_LT(last, 0.05) << "loss went from " << first << " to " << last;
}

TEST(Training, SmallConvNetTellsBarsApart) {
  manual_seed(2);
  const auto [first, last] = train_bars_conv_net(Device::cpu(), 60);
  EXPECT_GT(first, 0.5);
  EXPECT_LT(last, 0.1) << "loss went from " << first << " to " << last;
}
