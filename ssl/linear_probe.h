// The linear probe: multinomial logistic regression trained on cached frozen
// features (see ssl/features.h), the standard measure of a self-supervised
// representation (SimCLR §4, Kolesnikov et al. 2019). See docs/evaluation.md.
#pragma once
#include <cstdint>
#include <vector>

#include "ssl/features.h"

namespace nanossl::ssl {

struct ProbeOptions {
  std::int64_t epochs = 100;
  std::int64_t batch_size = 256;
  double lr = 0.1;              // peak rate, decayed to 0 by a cosine over all steps
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 0.0;    // L2 on the weight only, never the bias
  bool standardize = true;      // per-dimension (x - mean) / std from the training set
  std::uint64_t seed = 0;       // the shuffling of each epoch
};

struct ProbeResult {
  double train_top1 = 0.0, test_top1 = 0.0;  // percent
  std::vector<double> test_per_class;        // percent right per true class (0 where a class has no test image)
  std::vector<std::int64_t> test_predictions;  // the predicted class of every test row
  // The classifier on the raw (unstandardised) features: logits = x W^T + b,
  // with the standardisation folded in (W = W_s / std, b = b_s - W mean).
  Tensor weight;  // f32 (C, D)
  Tensor bias;    // f32 (C)
  std::vector<double> epoch_loss;  // mean training cross-entropy of each epoch (before each step's update)
};

// Trains W (C, D) and b (C), both starting at zero, with mini-batch SGD on the
// cross-entropy: each epoch visits the training rows in the order of
// data::epoch_permutation(N, seed, epoch), the last batch may be short, the rate at
// step s of S is lr * (1 + cos(pi s / S)) / 2. Everything runs on the CPU in f32;
// the same inputs and options give bitwise the same result. Throws
// "[linear_probe] ..." for invalid feature sets, different D, labels outside
// [0, num_classes), or options out of range.
ProbeResult train_linear_probe(const FeatureSet& train, const FeatureSet& test, std::int64_t num_classes,
                               const ProbeOptions& options = {});

}  // namespace nanossl::ssl
