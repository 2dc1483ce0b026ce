// Our ResNet-18 and ResNet-50 (ImageNet stem, 1000 classes, 3 channels) against
// torchvision's state_dict(): the same names, shapes and order, from fixture lists
// written once by tests/fixtures/make_resnet_fixtures.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nn/resnet.h"

namespace nanossl::nn {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;  // name, shape text

// Reads "name shape" lines, skipping blank lines and '#' comments. Tests run with
// the repository root as the working directory.
Entries read_fixture(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  Entries entries;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, shape;
    if (!(fields >> name >> shape)) throw std::runtime_error("bad fixture line in " + path + ": " + line);
    entries.emplace_back(name, shape);
  }
  return entries;
}

Entries ours(int depth) {
  ResNetConfig config;
  config.depth = depth;
  config.stem = ResNetStem::imagenet;
  config.in_channels = 3;
  config.num_classes = 1000;
  Entries entries;
  for (const auto& [name, tensor] : make_resnet(config)->named_state()) {
    entries.emplace_back(name, shape_str(tensor.shape()));
  }
  return entries;
}

void expect_same(const Entries& actual, const Entries& expected) {
  ASSERT_FALSE(expected.empty());
  const std::size_t n = std::min(actual.size(), expected.size());
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(actual[i].first, expected[i].first) << "entry " << i;
    ASSERT_EQ(actual[i].second, expected[i].second) << "shape of " << expected[i].first;
  }
  EXPECT_EQ(actual.size(), expected.size());
}

TEST(ResNetNames, ResNet18MatchesTorchvision) {
  const Entries expected = read_fixture("tests/fixtures/resnet18_state_dict.txt");
  EXPECT_EQ(expected.size(), 122u);
  expect_same(ours(18), expected);
}

TEST(ResNetNames, ResNet50MatchesTorchvision) {
  const Entries expected = read_fixture("tests/fixtures/resnet50_state_dict.txt");
  EXPECT_EQ(expected.size(), 320u);
  expect_same(ours(50), expected);
}

TEST(ResNetNames, ScalarBufferIsI64) {
  ResNetConfig config;
  config.width_multiplier = 8;
  config.num_classes = 10;
  const auto state = make_resnet(config)->state_dict();
  const Tensor& tracked = state.at("layer2.0.downsample.1.num_batches_tracked");
  EXPECT_EQ(tracked.dtype(), DType::i64);
  EXPECT_TRUE(tracked.shape().empty());
  EXPECT_EQ(tracked.item(), 0.0);
}

}  // namespace
}  // namespace nanossl::nn
