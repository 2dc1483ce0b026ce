// The threaded loader on a synthetic in-test dataset: batch shapes and labels, the
// keyed shuffle, byte-identical batches for any worker count, exact resume, two
// views, drop_last, clean shutdown mid-epoch, and errors that name the index.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "data/loader.h"

using namespace nanossl;
using namespace nanossl::data;

namespace {

// Deterministic images from a formula; optionally throws for one index or sleeps
// in image() to make workers slow.
class SyntheticDataset : public Dataset {
 public:
  SyntheticDataset(std::int64_t size, int channels, int side, std::int64_t bad_index = -1, int sleep_us = 0)
      : size_(size), channels_(channels), side_(side), bad_index_(bad_index), sleep_us_(sleep_us) {
    for (int i = 0; i < 10; ++i) hierarchy_.fine_names.push_back("class" + std::to_string(i));
  }
  std::string name() const override { return "synthetic"; }
  std::int64_t size() const override { return size_; }
  Image image(std::int64_t index) const override {
    check_index(*this, index);
    if (index == bad_index_) throw std::runtime_error("[synthetic] corrupt image");
    if (sleep_us_ > 0) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    Image image = make_image(channels_, side_, side_);
    for (int c = 0; c < channels_; ++c)
      for (int y = 0; y < side_; ++y)
        for (int x = 0; x < side_; ++x) image.at(c, y, x) = static_cast<std::uint8_t>((index * 37 + c * 80 + y * 5 + x * 3) % 256);
    return image;
  }
  std::int64_t label(std::int64_t index) const override { return index % 10; }
  const LabelHierarchy& hierarchy() const override { return hierarchy_; }
  int channels() const override { return channels_; }
  int height() const override { return side_; }
  int width() const override { return side_; }

 private:
  std::int64_t size_;
  int channels_, side_;
  std::int64_t bad_index_;
  int sleep_us_;
  LabelHierarchy hierarchy_;
};

std::shared_ptr<SyntheticDataset> dataset(std::int64_t size, int channels = 1, int side = 32,
                                          std::int64_t bad_index = -1, int sleep_us = 0) {
  return std::make_shared<SyntheticDataset>(size, channels, side, bad_index, sleep_us);
}

LoaderConfig simclr_config(int workers) {
  LoaderConfig c;
  c.batch_size = 16;
  c.views = 2;
  c.augmentation = Augmentation::simclr;
  c.seed = 9;
  c.workers = workers;
  c.prefetch = 3;
  return c;
}

std::vector<Batch> drain(Loader& loader) {
  std::vector<Batch> batches;
  while (auto batch = loader.next()) batches.push_back(std::move(*batch));
  return batches;
}

bool bytes_equal(const Tensor& a, const Tensor& b) {
  return a.defined() == b.defined() && (!a.defined() || (a.shape() == b.shape() && a.dtype() == b.dtype() &&
                                                         std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0));
}

void expect_same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].indices, b[i].indices) << "batch " << i;
    EXPECT_EQ(a[i].position, b[i].position);
    EXPECT_EQ(a[i].epoch, b[i].epoch);
    EXPECT_TRUE(bytes_equal(a[i].images, b[i].images)) << "batch " << i;
    EXPECT_TRUE(bytes_equal(a[i].images2, b[i].images2)) << "batch " << i;
    EXPECT_TRUE(bytes_equal(a[i].labels, b[i].labels)) << "batch " << i;
  }
}

}  // namespace

TEST(Loader, BatchShapesDtypesAndLabels) {
  auto data = dataset(50);
  LoaderConfig config;
  config.batch_size = 16;
  config.seed = 3;
  Loader loader(data, config);
  EXPECT_EQ(loader.batches_per_epoch(), 4);
  loader.start(0);
  const std::vector<Batch> batches = drain(loader);
  ASSERT_EQ(batches.size(), 4u);
  for (std::size_t b = 0; b < batches.size(); ++b) {
    const Batch& batch = batches[b];
    const std::int64_t n = b < 3 ? 16 : 2;
    EXPECT_EQ(batch.images.shape(), (Shape{n, 1, 32, 32}));
    EXPECT_EQ(batch.images.dtype(), DType::f32);
    EXPECT_FALSE(batch.images2.defined());
    EXPECT_EQ(batch.labels.shape(), (Shape{n}));
    EXPECT_EQ(batch.labels.dtype(), DType::i64);
    EXPECT_EQ(batch.position, static_cast<std::int64_t>(b));
    const auto labels = batch.labels.to_vector<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(labels[i], data->label(batch.indices[i]));
      // No augmentation: the image itself, as floats.
      const FloatImage expected = eval_view(data->image(batch.indices[i]), 32);
      EXPECT_EQ(std::memcmp(batch.images.data<float>() + i * 1024, expected.pixels.data(), 1024 * sizeof(float)), 0);
    }
  }
}

TEST(Loader, EachEpochIsAPermutationAndEpochsDiffer) {
  auto data = dataset(101);
  LoaderConfig config;
  config.batch_size = 10;
  config.seed = 5;
  Loader loader(data, config);
  std::vector<std::vector<std::int64_t>> orders;
  for (int epoch = 0; epoch < 2; ++epoch) {
    loader.start(epoch);
    std::vector<std::int64_t> order;
    for (const Batch& batch : drain(loader)) order.insert(order.end(), batch.indices.begin(), batch.indices.end());
    ASSERT_EQ(order.size(), 101u);
    EXPECT_EQ(std::set<std::int64_t>(order.begin(), order.end()).size(), 101u);
    EXPECT_EQ(*std::min_element(order.begin(), order.end()), 0);
    EXPECT_EQ(*std::max_element(order.begin(), order.end()), 100);
    EXPECT_EQ(order, epoch_permutation(101, 5, epoch));  // a pure function of (seed, epoch)
    orders.push_back(order);
  }
  EXPECT_NE(orders[0], orders[1]);
  EXPECT_NE(epoch_permutation(101, 5, 0), epoch_permutation(101, 6, 0));

  config.shuffle = false;
  Loader ordered(data, config);
  ordered.start(3);
  EXPECT_EQ(ordered.next()->indices, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(Loader, WorkerCountDoesNotChangeBatches) {
  for (int channels : {1, 3}) {
    auto data = dataset(70, channels);
    std::vector<std::vector<Batch>> runs;
    for (int workers : {0, 1, 2, 3}) {
      LoaderConfig config = simclr_config(workers);
      config.prefetch = workers == 3 ? 1 : 4;
      Loader loader(data, config);
      loader.start(2);
      runs.push_back(drain(loader));
    }
    for (std::size_t r = 1; r < runs.size(); ++r) expect_same_batches(runs[0], runs[r]);
  }
}

TEST(Loader, ResumeGivesTheUninterruptedTail) {
  auto data = dataset(90, 3);
  Loader full(data, simclr_config(2));
  full.start(4);
  const std::vector<Batch> all = drain(full);
  ASSERT_EQ(all.size(), 6u);
  Loader resumed(data, simclr_config(3));
  resumed.start(4, 2);
  expect_same_batches(std::vector<Batch>(all.begin() + 2, all.end()), drain(resumed));
  resumed.start(4, 6);  // resuming at the end: nothing left
  EXPECT_FALSE(resumed.next().has_value());
  EXPECT_THROW(resumed.start(4, 7), std::invalid_argument);
}

TEST(Loader, TwoViewsDifferAndChannelsConvert) {
  auto data = dataset(20, 1);
  LoaderConfig config = simclr_config(2);
  config.channels = 3;
  Loader loader(data, config);
  loader.start(0);
  const Batch batch = *loader.next();
  EXPECT_EQ(batch.images.shape(), (Shape{16, 3, 32, 32}));
  EXPECT_EQ(batch.images2.shape(), (Shape{16, 3, 32, 32}));
  EXPECT_FALSE(bytes_equal(batch.images, batch.images2));
  for (float v : batch.images.to_vector<float>()) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
  }
  // Per image, the two views are different crops / colours of the same image.
  int differing = 0;
  for (int i = 0; i < 16; ++i) {
    differing += std::memcmp(batch.images.data<float>() + i * 3072, batch.images2.data<float>() + i * 3072,
                             3072 * sizeof(float)) != 0;
  }
  EXPECT_EQ(differing, 16);
}

TEST(Loader, DropLastDropsThePartialBatch) {
  auto data = dataset(50);
  LoaderConfig config;
  config.batch_size = 16;
  config.drop_last = true;
  Loader loader(data, config);
  EXPECT_EQ(loader.batches_per_epoch(), 3);
  loader.start(0);
  const std::vector<Batch> batches = drain(loader);
  ASSERT_EQ(batches.size(), 3u);
  for (const Batch& batch : batches) EXPECT_EQ(batch.images.size(0), 16);
  EXPECT_FALSE(loader.next().has_value());  // stays exhausted
}

TEST(Loader, DestroyOrRestartMidEpochDoesNotHang) {
  auto slow = dataset(400, 3, 32, -1, 200);
  for (int round = 0; round < 3; ++round) {
    LoaderConfig config = simclr_config(3);
    config.prefetch = 2;
    Loader loader(slow, config);
    loader.start(0);
    ASSERT_TRUE(loader.next().has_value());
    if (round == 1) {
      loader.start(1, 5);  // restart while workers are busy
      EXPECT_EQ(loader.next()->position, 5);
    }
    // round 2: destroyed without taking anything beyond the first batch
  }
  Loader never_started(slow, simclr_config(2));
  EXPECT_THROW(never_started.next(), std::logic_error);
}

TEST(Loader, WorkerErrorsNameTheIndex) {
  for (int workers : {0, 2}) {
    auto data = dataset(40, 1, 32, /*bad_index=*/17);
    LoaderConfig config;
    config.batch_size = 8;
    config.shuffle = false;
    config.workers = workers;
    Loader loader(data, config);
    loader.start(0);
    EXPECT_EQ(loader.next()->position, 0);  // batches before the bad one arrive
    EXPECT_EQ(loader.next()->position, 1);
    for (int attempt = 0; attempt < 2; ++attempt) {  // and the error stays
      try {
        loader.next();
        FAIL() << "expected an error from index 17";
      } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("index 17"), std::string::npos) << message;
        EXPECT_NE(message.find("synthetic"), std::string::npos) << message;
        EXPECT_NE(message.find("corrupt image"), std::string::npos) << message;
      }
    }
  }
}

TEST(Loader, RejectsBadConfigs) {
  auto data = dataset(10);
  LoaderConfig config;
  config.views = 3;
  EXPECT_THROW(Loader(data, config), std::invalid_argument);
  config = LoaderConfig{};
  config.batch_size = 0;
  EXPECT_THROW(Loader(data, config), std::invalid_argument);
  config = LoaderConfig{};
  config.channels = 2;
  EXPECT_THROW(Loader(data, config), std::invalid_argument);
  config = LoaderConfig{};
  config.prefetch = 0;
  EXPECT_THROW(Loader(data, config), std::invalid_argument);
  EXPECT_THROW(Loader(nullptr, LoaderConfig{}), std::invalid_argument);
}

TEST(Loader, PinnedBatchesHoldTheSameValues) {
  auto data = dataset(20, 3);
  LoaderConfig config = simclr_config(2);
  Loader plain(data, config);
  config.pin_memory = true;
  Loader pinned(data, config);
  plain.start(0);
  pinned.start(0);
  expect_same_batches(drain(plain), drain(pinned));
}
