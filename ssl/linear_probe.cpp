// The linear probe: standardise with the training set's statistics, then train a
// zero-initialised linear layer with Nesterov SGD and a cosine-decayed rate through
// the autograd ops (linear, cross_entropy, backward) and nn::Sgd, all on the CPU.
#include "ssl/linear_probe.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "autograd/ops.h"
#include "data/loader.h"
#include "nn/optim.h"
#include "nn/schedule.h"

namespace nanossl::ssl {
namespace {

constexpr const char* kOp = "linear_probe";
// Added to each dimension's variance: a constant dimension standardises to 0.
constexpr double kVarianceEps = 1e-8;

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(std::string("[") + kOp + "] " + message); }

struct Standardizer {
  std::vector<double> mean, inv_std;  // per dimension
};

// Per-dimension mean and 1 / sqrt(population variance + eps) of x (N, D), in
// double, in a fixed order (so the result does not depend on the thread count).
Standardizer fit_standardizer(const Tensor& x) {
  const std::int64_t n = x.size(0), d = x.size(1);
  const float* data = x.data<float>();
  Standardizer s{std::vector<double>(static_cast<std::size_t>(d), 0.0), std::vector<double>(static_cast<std::size_t>(d), 0.0)};
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t c = 0; c < d; ++c) s.mean[static_cast<std::size_t>(c)] += data[i * d + c];
  }
  for (double& m : s.mean) m /= static_cast<double>(n);
  std::vector<double> var(static_cast<std::size_t>(d), 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t c = 0; c < d; ++c) {
      const double dev = data[i * d + c] - s.mean[static_cast<std::size_t>(c)];
      var[static_cast<std::size_t>(c)] += dev * dev;
    }
  }
  for (std::size_t c = 0; c < var.size(); ++c) {
    if (!std::isfinite(var[c])) fail("train feature dimension " + std::to_string(c) + " holds a non-finite value");
    s.inv_std[c] = 1.0 / std::sqrt(var[c] / static_cast<double>(n) + kVarianceEps);
  }
  return s;
}

Tensor apply_standardizer(const Standardizer& s, const Tensor& x) {
  const std::int64_t n = x.size(0), d = x.size(1);
  Tensor out = Tensor::empty({n, d});
  const float* src = x.data<float>();
  float* dst = out.data<float>();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t c = 0; c < d; ++c) {
      const auto k = static_cast<std::size_t>(c);
      dst[i * d + c] = static_cast<float>((src[i * d + c] - s.mean[k]) * s.inv_std[k]);
    }
  }
  return out;
}

// Predictions argmax(x W^T + b) of every row.
std::vector<std::int64_t> predict(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  NoGradGuard no_grad;
  return argmax(linear(x, weight.detach(), bias.detach()), 1).to_vector<std::int64_t>();
}

// Percent right overall and per true class (0 for a class with no row).
double accuracy(const std::vector<std::int64_t>& predicted, const Tensor& labels, std::int64_t num_classes,
                std::vector<double>* per_class) {
  const std::int64_t* y = labels.data<std::int64_t>();
  std::vector<std::int64_t> correct(static_cast<std::size_t>(num_classes), 0), seen(correct.size(), 0);
  std::int64_t total = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    const auto label = static_cast<std::size_t>(y[i]);
    const bool right = predicted[i] == y[i];
    ++seen[label];
    correct[label] += right;
    total += right;
  }
  if (per_class) {
    per_class->clear();
    for (std::size_t c = 0; c < correct.size(); ++c) {
      per_class->push_back(seen[c] ? 100.0 * static_cast<double>(correct[c]) / static_cast<double>(seen[c]) : 0.0);
    }
  }
  return 100.0 * static_cast<double>(total) / static_cast<double>(predicted.size());
}

void check_options(const ProbeOptions& o) {
  if (o.epochs < 1) fail("epochs must be >= 1, got " + std::to_string(o.epochs));
  if (o.batch_size < 1) fail("batch_size must be >= 1, got " + std::to_string(o.batch_size));
  if (!(o.lr > 0.0) || !std::isfinite(o.lr)) fail("lr must be positive and finite, got " + std::to_string(o.lr));
  if (!(o.momentum >= 0.0 && o.momentum < 1.0)) fail("momentum must be in [0, 1), got " + std::to_string(o.momentum));
  if (o.nesterov && o.momentum == 0.0) fail("Nesterov momentum needs momentum > 0");
  if (!(o.weight_decay >= 0.0) || !std::isfinite(o.weight_decay)) {
    fail("weight_decay must be >= 0 and finite, got " + std::to_string(o.weight_decay));
  }
}

}  // namespace

ProbeResult train_linear_probe(const FeatureSet& train, const FeatureSet& test, std::int64_t num_classes,
                               const ProbeOptions& options) {
  if (num_classes < 1) fail("num_classes must be >= 1, got " + std::to_string(num_classes));
  check_options(options);
  check_features(train, kOp, "train", num_classes);
  check_features(test, kOp, "test", num_classes);
  const std::int64_t n = train.features.size(0), d = train.features.size(1);
  if (test.features.size(1) != d) {
    fail("train features have D = " + std::to_string(d) + " but test features have D = " +
         std::to_string(test.features.size(1)));
  }

  Standardizer standardizer;
  Tensor x_train = train.features, x_test = test.features;
  if (options.standardize) {
    standardizer = fit_standardizer(train.features);
    x_train = apply_standardizer(standardizer, train.features);
    x_test = apply_standardizer(standardizer, test.features);
  }

  Tensor weight = Tensor::zeros({num_classes, d});
  Tensor bias = Tensor::zeros({num_classes});
  weight.set_requires_grad();
  bias.set_requires_grad();
  nn::SgdOptions sgd;
  sgd.lr = options.lr;
  sgd.momentum = options.momentum;
  sgd.nesterov = options.nesterov;
  sgd.weight_decay = options.weight_decay;
  nn::Sgd optimizer({{"weight", weight, true, true}, {"bias", bias, false, false}}, sgd);

  const std::int64_t steps_per_epoch = (n + options.batch_size - 1) / options.batch_size;
  nn::WarmupCosine schedule{options.lr, 0, options.epochs * steps_per_epoch, 0.0};
  const float* x = x_train.data<float>();
  const std::int64_t* y = train.labels.data<std::int64_t>();
  ProbeResult result;
  std::int64_t step = 0;
  for (std::int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    const std::vector<std::int64_t> order = data::epoch_permutation(n, options.seed, epoch);
    double loss_sum = 0.0;
    for (std::int64_t start = 0; start < n; start += options.batch_size, ++step) {
      const std::int64_t rows = std::min(options.batch_size, n - start);
      Tensor xb = Tensor::empty({rows, d});
      Tensor yb = Tensor::empty({rows}, DType::i64);
      float* xb_data = xb.data<float>();
      std::int64_t* yb_data = yb.data<std::int64_t>();
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t i = order[static_cast<std::size_t>(start + r)];
        std::memcpy(xb_data + r * d, x + i * d, static_cast<std::size_t>(d) * sizeof(float));
        yb_data[r] = y[i];
      }
      optimizer.set_lr(schedule.at(step));
      const Tensor loss = cross_entropy(linear(xb, weight, bias), yb);
      optimizer.zero_grad();
      backward(loss);
      optimizer.step();
      loss_sum += loss.item() * static_cast<double>(rows);
    }
    result.epoch_loss.push_back(loss_sum / static_cast<double>(n));
  }

  result.train_top1 = accuracy(predict(x_train, weight, bias), train.labels, num_classes, nullptr);
  result.test_predictions = predict(x_test, weight, bias);
  result.test_top1 = accuracy(result.test_predictions, test.labels, num_classes, &result.test_per_class);

  // Fold the standardisation into the classifier, so it applies to raw features.
  result.weight = Tensor::empty({num_classes, d});
  result.bias = Tensor::empty({num_classes});
  const float* w = weight.data<float>();
  const float* b = bias.data<float>();
  float* w_out = result.weight.data<float>();
  float* b_out = result.bias.data<float>();
  for (std::int64_t c = 0; c < num_classes; ++c) {
    double shift = 0.0;
    for (std::int64_t k = 0; k < d; ++k) {
      const double scaled = options.standardize ? w[c * d + k] * standardizer.inv_std[static_cast<std::size_t>(k)]
                                                : w[c * d + k];
      w_out[c * d + k] = static_cast<float>(scaled);
      if (options.standardize) shift += scaled * standardizer.mean[static_cast<std::size_t>(k)];
    }
    b_out[c] = static_cast<float>(b[c] - shift);
  }
  return result;
}

}  // namespace nanossl::ssl
