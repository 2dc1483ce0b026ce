// ssl/simclr.h: the SimCLR model's names and shapes, the contrastive step (both
// views through BN as one batch), and loading a pretrained encoder into a ResNet.
#include <gtest/gtest.h>

#include <string>

#include "autograd/ops.h"
#include "nn/checkpoint.h"
#include "ssl/ntxent.h"
#include "ssl/simclr.h"
#include "tensor/random.h"
#include "test_util.h"

using namespace nanossl;

namespace {

ssl::SimclrConfig tiny_config(std::int64_t width = 4) {
  ssl::SimclrConfig config;
  config.encoder.depth = 18;
  config.encoder.stem = nn::ResNetStem::cifar;
  config.encoder.width_multiplier = width;
  config.encoder.in_channels = 1;
  config.projection_dim = 16;
  return config;
}

nn::ResNetConfig classifier_config(std::int64_t width = 4) {
  nn::ResNetConfig config = tiny_config(width).encoder;
  config.num_classes = 10;
  return config;
}

// Writes `model`'s state as a checkpoint of a run in `dir`.
void save_model(const nn::Module& model, const std::string& dir) {
  nn::TrainingState state;
  state.step = 7;
  state.config_json = "{}";
  nn::save_checkpoint(dir, model.state_dict(), state);
}

bool equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_vector<float>() == b.to_vector<float>();
}

}  // namespace

TEST(Simclr, NamesAndShapes) {
  manual_seed(1);
  ssl::Simclr model(tiny_config());
  const auto state = model.state_dict();
  EXPECT_TRUE(state.count("encoder.conv1.weight"));
  EXPECT_TRUE(state.count("encoder.layer4.1.bn2.running_var"));
  EXPECT_TRUE(state.count("head.0.weight"));
  EXPECT_TRUE(state.count("head.4.weight"));
  EXPECT_FALSE(state.count("head.4.bias"));  // the last BN has no beta
  EXPECT_FALSE(state.count("encoder.fc.weight"));
  for (const auto& [name, tensor] : state) {
    EXPECT_TRUE(name.rfind("encoder.", 0) == 0 || name.rfind("head.", 0) == 0) << name;
  }
  EXPECT_EQ(model.encoder().feature_dim(), 32);
  EXPECT_EQ(model(Tensor::rand({3, 1, 16, 16})).shape(), (Shape{3, 16}));
}

TEST(Simclr, ContrastiveStepPassesBothViewsThroughBatchNormTogether) {
  manual_seed(2);
  ssl::Simclr model(tiny_config());
  model.train();
  const Tensor v1 = Tensor::rand({6, 1, 16, 16}), v2 = Tensor::rand({6, 1, 16, 16});
  const ssl::ContrastiveStep step = ssl::contrastive_step(model, v1, v2, 0.5);
  // The same loss as projecting the concatenated batch by hand ...
  const Tensor z = model(cat({v1, v2}, 0));
  const double joint = ssl::nt_xent(slice(z, 0, 6), slice(z, 6, 12), 0.5).item();
  EXPECT_NEAR(step.loss.item(), joint, 1e-6);
  // ... and not the loss of two separate batches, whose BN statistics differ.
  const double separate = ssl::nt_xent(model(v1), model(v2), 0.5).item();
  EXPECT_GT(std::abs(step.loss.item() - separate), 1e-4);
  EXPECT_GE(step.positive_top1, 0.0);
  EXPECT_LE(step.positive_top1, 100.0);
  // The gradient reaches the encoder's first layer.
  backward(step.loss);
  ASSERT_TRUE(model.encoder().named_parameters().front().second.grad().defined());
  EXPECT_THROW(ssl::contrastive_step(model, v1, Tensor::rand({5, 1, 16, 16}), 0.5), std::invalid_argument);
}

TEST(Simclr, LoadsThePretrainedEncoderAndKeepsTheNewHead) {
  nanossl::testing::TempDir dir;
  manual_seed(3);
  ssl::Simclr pretrained(tiny_config());
  save_model(pretrained, dir.path);
  manual_seed(4);
  auto classifier = nn::make_resnet(classifier_config());
  const Tensor fc_before = classifier->state_dict().at("fc.weight").clone();
  const std::string used = ssl::load_pretrained_encoder(*classifier, dir.path);
  EXPECT_NE(used.find("step-000000007"), std::string::npos) << used;
  const auto loaded = classifier->state_dict(), source = pretrained.state_dict();
  for (const auto& [name, tensor] : loaded) {
    if (name.rfind("fc.", 0) == 0) continue;
    if (tensor.dtype() != DType::f32) continue;  // num_batches_tracked
    EXPECT_TRUE(equal(tensor, source.at("encoder." + name))) << name;
  }
  EXPECT_TRUE(equal(loaded.at("fc.weight"), fc_before));
  // One checkpoint directory works as well as the run directory.
  auto again = nn::make_resnet(classifier_config());
  EXPECT_EQ(ssl::load_pretrained_encoder(*again, used), used);
}

TEST(Simclr, LoadingTheWrongEncoderSaysWhatDisagrees) {
  nanossl::testing::TempDir dir;
  ssl::Simclr wide(tiny_config(8));
  save_model(wide, dir.file("wide"));
  auto narrow = nn::make_resnet(classifier_config(4));
  try {
    ssl::load_pretrained_encoder(*narrow, dir.file("wide"));
    ADD_FAILURE() << "a width-8 encoder loaded into a width-4 ResNet";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("conv1.weight"), std::string::npos) << error.what();
  }
  // A supervised checkpoint holds no encoder.* tensors.
  save_model(*nn::make_resnet(classifier_config(4)), dir.file("supervised"));
  try {
    ssl::load_pretrained_encoder(*narrow, dir.file("supervised"));
    ADD_FAILURE() << "a supervised checkpoint was taken for a SimCLR one";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("encoder."), std::string::npos) << error.what();
  }
  EXPECT_THROW(ssl::load_pretrained_encoder(*narrow, dir.file("missing")), std::runtime_error);
}

// Evaluation freezes either kind of run: a SimCLR encoder, or a supervised
// classifier without its fc (the quality study probes both the same way).
TEST(Simclr, EvaluationReadsTheTrunkOfASupervisedRun) {
  nanossl::testing::TempDir dir;
  manual_seed(5);
  auto supervised = nn::make_resnet(classifier_config());
  save_model(*supervised, dir.file("supervised"));
  const ssl::PretrainedEncoder trunk = ssl::read_any_encoder(dir.file("supervised"));
  const auto source = supervised->state_dict();
  EXPECT_EQ(trunk.state.size() + 2, source.size());  // all but fc.weight and fc.bias
  for (const auto& [name, tensor] : trunk.state) {
    EXPECT_NE(name.rfind("fc.", 0), 0u) << name;
    if (tensor.dtype() != DType::f32) continue;  // num_batches_tracked
    EXPECT_TRUE(equal(tensor, source.at(name))) << name;
  }
  EXPECT_EQ(trunk.in_channels(), 1);
  auto probe_encoder = nn::make_resnet(classifier_config());
  ssl::load_pretrained_encoder(*probe_encoder, trunk);
  EXPECT_TRUE(equal(probe_encoder->state_dict().at("layer4.1.conv2.weight"), source.at("layer4.1.conv2.weight")));

  // A SimCLR run reads as read_pretrained_encoder reads it.
  ssl::Simclr simclr(tiny_config());
  save_model(simclr, dir.file("simclr"));
  const ssl::PretrainedEncoder encoder = ssl::read_any_encoder(dir.file("simclr"));
  EXPECT_EQ(encoder.state.size(), ssl::read_pretrained_encoder(dir.file("simclr")).state.size());
  EXPECT_TRUE(equal(encoder.state.at("conv1.weight"), simclr.state_dict().at("encoder.conv1.weight")));

  // Neither kind: the error names the file and both kinds it looked for.
  nn::TrainingState state;
  state.config_json = "{}";
  nn::save_checkpoint(dir.file("other"), {{"weight", Tensor::zeros({2, 2})}}, state);
  try {
    ssl::read_any_encoder(dir.file("other"));
    ADD_FAILURE() << "a state without conv1 or encoder.* was taken for an encoder";
  } catch (const std::invalid_argument& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("model.safetensors"), std::string::npos) << what;
    EXPECT_NE(what.find("encoder.*"), std::string::npos) << what;
    EXPECT_NE(what.find("fc.weight"), std::string::npos) << what;
  }
}
