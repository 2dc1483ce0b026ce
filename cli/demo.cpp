// `nanossl demo`: a four-class problem of 16x16 images (a horizontal, vertical,
// diagonal or anti-diagonal line at a random position, plus noise), a small conv
// net written directly with the ops (conv, batch norm, ReLU, pooling, linear,
// cross-entropy), plain SGD, and held-out accuracy after every epoch. It exercises
// the whole engine end to end in seconds.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "autograd/ops.h"
#include "base/philox.h"
#include "commands/commands.h"
#include "tensor/random.h"

namespace nanossl {
namespace {

constexpr int kSide = 16;
constexpr int kClasses = 4;

// Image `index` of the stream `seed`: its label is index % 4.
void draw_line_image(std::uint64_t seed, std::uint64_t index, float* pixels, std::int64_t& label) {
  label = static_cast<std::int64_t>(index % kClasses);
  const int at = static_cast<int>(kSide * philox_uniform_at(seed, 1, 0, index));
  for (int r = 0; r < kSide; ++r) {
    for (int c = 0; c < kSide; ++c) {
      bool on = false;
      switch (label) {
        case 0: on = r == at; break;
        case 1: on = c == at; break;
        case 2: on = (r - c + kSide) % kSide == at; break;
        default: on = (r + c) % kSide == at; break;
      }
      const double noise = 0.4 * (philox_uniform_at(seed, 2, 0, index * kSide * kSide + r * kSide + c) - 0.5);
      pixels[r * kSide + c] = static_cast<float>((on ? 1.0 : 0.0) + noise);
    }
  }
}

void make_batch(std::uint64_t seed, std::uint64_t first, int count, Device device, Tensor& x, Tensor& y) {
  std::vector<float> pixels(static_cast<std::size_t>(count) * kSide * kSide);
  std::vector<std::int64_t> labels(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    draw_line_image(seed, first + i, pixels.data() + static_cast<std::size_t>(i) * kSide * kSide, labels[i]);
  }
  x = Tensor::from_vector(pixels, {count, 1, kSide, kSide}, device);
  y = Tensor::from_vector(labels, {count}, device);
}

struct SmallConvNet {
  Tensor conv1, conv2, gamma, beta, running_mean, running_var, fc_weight, fc_bias;

  explicit SmallConvNet(Device device) {
    auto param = [&](const Shape& shape, double std) {
      Tensor p = Tensor::randn(shape).mul_(std).to(device);
      p.set_requires_grad();
      return p;
    };
    conv1 = param({16, 1, 3, 3}, std::sqrt(2.0 / 9));
    conv2 = param({32, 16, 3, 3}, std::sqrt(2.0 / 144));
    gamma = Tensor::ones({32}, DType::f32, device).set_requires_grad();
    beta = Tensor::zeros({32}, DType::f32, device).set_requires_grad();
    running_mean = Tensor::zeros({32}, DType::f32, device);
    running_var = Tensor::ones({32}, DType::f32, device);
    fc_weight = param({kClasses, 32}, std::sqrt(1.0 / 32));
    fc_bias = Tensor::zeros({kClasses}, DType::f32, device).set_requires_grad();
  }

  // x (N,1,16,16) -> logits (N,4)
  Tensor forward(const Tensor& x, bool training) {
    Tensor h = max_pool2d(relu(conv2d(x, conv1, Tensor(), {1, 1, 1})), 2, 2);        // N,16,8,8
    h = relu(batch_norm(conv2d(h, conv2, Tensor(), {1, 1, 1}), gamma, beta, running_mean, running_var,
                        training));                                                    // N,32,8,8
    return linear(flatten(global_avg_pool2d(h)), fc_weight, fc_bias);
  }

  std::vector<Tensor> parameters() const { return {conv1, conv2, gamma, beta, fc_weight, fc_bias}; }
};

}  // namespace

int run_demo(const DemoOptions& options) {
  const Device device = Device::parse(options.device);
  manual_seed(options.seed);
  SmallConvNet net(device);
  const int test_images = 512;
  Tensor test_x, test_y;
  make_batch(options.seed + 1000, 0, test_images, device, test_x, test_y);

  std::printf("nanossl demo: %d training images of 16x16 lines in 4 orientations, %d held out, on %s\n",
              options.train_images, test_images, device.str().c_str());
  const auto start = std::chrono::steady_clock::now();
  double accuracy = 0.0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    double loss_sum = 0.0;
    int batches = 0;
    for (int first = 0; first + options.batch_size <= options.train_images; first += options.batch_size) {
      Tensor x, y;
      // A fresh slice of the stream per epoch: the data never repeats exactly.
      make_batch(options.seed, static_cast<std::uint64_t>(epoch) * options.train_images + first,
                 options.batch_size, device, x, y);
      Tensor loss = cross_entropy(net.forward(x, true), y);
      backward(loss);
      NoGradGuard no_grad;
      for (Tensor p : net.parameters()) {
        p.add_(p.grad(), -options.learning_rate);
        p.zero_grad();
      }
      loss_sum += loss.item();
      ++batches;
    }
    NoGradGuard no_grad;
    const Tensor predicted = argmax(net.forward(test_x, false), 1).to(Device::cpu());
    const auto p = predicted.to_vector<std::int64_t>();
    const auto t = test_y.to(Device::cpu()).to_vector<std::int64_t>();
    int correct = 0;
    for (std::size_t i = 0; i < p.size(); ++i) correct += p[i] == t[i];
    accuracy = 100.0 * correct / static_cast<double>(p.size());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("epoch %d  train loss %.4f  held-out accuracy %.1f%%  (%.1f s)\n", epoch,
                loss_sum / std::max(batches, 1), accuracy, seconds);
  }
  std::printf("final held-out accuracy: %.1f%% (chance is 25%%)\n", accuracy);
  return 0;
}

}  // namespace nanossl
