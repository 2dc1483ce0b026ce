// Feature extraction with a tiny ResNet-18 on procedural shapes: shapes and labels,
// bitwise repeatability, batch-size independence, a frozen encoder (state dict
// bitwise unchanged by extraction and probing, train/eval mode restored), errors.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "data/registry.h"
#include "nn/resnet.h"
#include "ssl/features.h"
#include "ssl/knn.h"
#include "ssl/linear_probe.h"
#include "tensor/random.h"
#include "test_util.h"

using namespace nanossl;
using namespace nanossl::ssl;

namespace {

std::shared_ptr<nn::ResNet> tiny_resnet() {
  manual_seed(7);
  nn::ResNetConfig config;
  config.depth = 18;
  config.stem = nn::ResNetStem::cifar;
  config.width_multiplier = 4;
  config.in_channels = 1;
  config.num_classes = 10;
  auto model = nn::make_resnet(config);
  // A few training-mode passes so the BN running statistics are not their initial
  // values: an extraction in training mode would visibly change them.
  NoGradGuard no_grad;
  model->train();
  for (int i = 0; i < 2; ++i) model->features(Tensor::rand({8, 1, 32, 32}));
  return model;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

nn::NamedTensors snapshot(const nn::Module& module) {
  nn::NamedTensors copy;
  for (const auto& [name, tensor] : module.named_state()) copy.emplace_back(name, tensor.clone());
  return copy;
}

void expect_state_unchanged(const nn::Module& module, const nn::NamedTensors& before) {
  const nn::NamedTensors after = module.named_state();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].first, before[i].first);
    EXPECT_TRUE(bitwise_equal(after[i].second, before[i].second)) << after[i].first << " changed";
  }
}

// Whether `module` and every module below it are in the given mode.
bool all_in_mode(const nn::Module& module, bool training) {
  if (module.is_training() != training) return false;
  for (const auto& [name, child] : module.children()) {
    if (!all_in_mode(*child, training)) return false;
  }
  return true;
}

}  // namespace

TEST(ExtractFeatures, ShapesLabelsAndRepeatability) {
  auto encoder = tiny_resnet();
  const data::DatasetPtr dataset = data::open_dataset("shapes:64", data::Split::train);
  const FeatureSet a = extract_features(*encoder, dataset, Device::cpu(), 16, 2);
  EXPECT_EQ(a.features.shape(), (Shape{64, encoder->feature_dim()}));
  EXPECT_EQ(encoder->feature_dim(), 32);
  EXPECT_EQ(a.features.dtype(), DType::f32);
  EXPECT_TRUE(a.features.device().is_cpu());
  ASSERT_EQ(a.labels.shape(), (Shape{64}));
  const auto labels = a.labels.to_vector<std::int64_t>();
  for (std::int64_t i = 0; i < 64; ++i) EXPECT_EQ(labels[static_cast<std::size_t>(i)], dataset->label(i)) << i;

  // Pooled ReLU outputs: finite, non-negative, not all alike.
  const auto values = a.features.to_vector<float>();
  for (float v : values) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GE(v, 0.0f);
  }
  EXPECT_NE(std::memcmp(values.data(), values.data() + 32, 32 * sizeof(float)), 0);

  const FeatureSet again = extract_features(*encoder, dataset, Device::cpu(), 16, 2);
  EXPECT_TRUE(bitwise_equal(again.features, a.features));
  EXPECT_TRUE(bitwise_equal(again.labels, a.labels));

  // Other batch sizes and thread counts give the same features (up to rounding:
  // eval-mode BN treats every image on its own).
  const FeatureSet other = extract_features(*encoder, dataset, Device::cpu(), 24, 0);
  EXPECT_TRUE(nanossl::testing::all_close(other.features, a.features, 1e-5, 1e-4));
  EXPECT_TRUE(bitwise_equal(other.labels, a.labels));
}

// The encoder is frozen: after extracting features and training a probe and a kNN
// on them its parameters and BN buffers are bitwise what they were, and its mode is
// what it was (training here, then evaluation).
TEST(ExtractFeatures, EncoderIsFrozenAndModeRestored) {
  auto encoder = tiny_resnet();
  const nn::NamedTensors before = snapshot(*encoder);
  const data::DatasetPtr train_set = data::open_dataset("shapes:64", data::Split::train);
  const data::DatasetPtr test_set = data::open_dataset("shapes:32", data::Split::test);

  encoder->train();
  const FeatureSet train = extract_features(*encoder, train_set, Device::cpu(), 32);
  EXPECT_TRUE(all_in_mode(*encoder, true));
  encoder->eval();
  const FeatureSet test = extract_features(*encoder, test_set, Device::cpu(), 32);
  EXPECT_TRUE(all_in_mode(*encoder, false));

  ProbeOptions options;
  options.epochs = 3;
  options.batch_size = 16;
  const std::int64_t classes = train_set->hierarchy().num_fine();
  const ProbeResult probe = train_linear_probe(train, test, classes, options);
  EXPECT_EQ(probe.weight.shape(), (Shape{classes, 32}));
  EXPECT_EQ(probe.epoch_loss.size(), 3u);
  const KnnResult knn = knn_classify(train, test, classes, KnnOptions{});
  EXPECT_EQ(knn.images, 32);

  expect_state_unchanged(*encoder, before);
  for (const Tensor& p : encoder->parameters()) EXPECT_FALSE(p.grad().defined());
}

// Without a GPU, asking for CUDA fails inside the extraction loop; the encoder's
// mode must still be restored.
TEST(ExtractFeatures, ModeIsRestoredAfterAnError) {
  if (cuda::available()) GTEST_SKIP() << "needs a machine without a CUDA device to provoke the error";
  auto encoder = tiny_resnet();
  encoder->train();
  const data::DatasetPtr dataset = data::open_dataset("shapes:8", data::Split::train);
  EXPECT_THROW(extract_features(*encoder, dataset, Device::cuda(), 4), std::exception);
  EXPECT_TRUE(all_in_mode(*encoder, true));
}

TEST(ExtractFeatures, Errors) {
  auto encoder = tiny_resnet();
  const data::DatasetPtr dataset = data::open_dataset("shapes:8", data::Split::train);
  auto expect_error = [](auto body, const std::string& piece) {
    try {
      body();
      FAIL() << "no exception thrown; expected one containing '" << piece << "'";
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("[extract_features]"), std::string::npos) << message;
      EXPECT_NE(message.find(piece), std::string::npos) << message;
    }
  };
  expect_error([&] { extract_features(*encoder, nullptr, Device::cpu()); }, "dataset is null");
  expect_error([&] { extract_features(*encoder, dataset, Device::cpu(), 0); }, "batch_size must be >= 1");
}
