// Loader throughput: images/s (each image yields two SimCLR views) and batches/s
// of the threaded loader on 32x32 images, 1 and 3 channels, 1 and 2 worker threads.
// The synthetic dataset holds its bytes in memory, so this measures augmentation
// and batching, not decoding; Fashion-MNIST runs too where Debian's package is installed.
//
//   bench_loader [--images 8192] [--batch 256] [--min-seconds 1.0]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "base/philox.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "data/mnist_format.h"

namespace {

using namespace nanossl::data;

// Random bytes in memory; image() is a copy, like a decoded in-memory dataset.
class MemoryDataset : public Dataset {
 public:
  MemoryDataset(std::int64_t size, int channels, int side) : size_(size), channels_(channels), side_(side) {
    hierarchy_.fine_names = {"a", "b"};
    const std::size_t bytes = static_cast<std::size_t>(size) * channels * side * side;
    pixels_.resize(bytes);
    for (std::size_t i = 0; i < bytes; ++i) pixels_[i] = static_cast<std::uint8_t>(nanossl::philox4x32(1, 2, i).word[0]);
  }
  std::string name() const override { return "memory" + std::to_string(channels_) + "x" + std::to_string(side_); }
  std::int64_t size() const override { return size_; }
  Image image(std::int64_t index) const override {
    check_index(*this, index);
    Image image{channels_, side_, side_, {}};
    const std::size_t n = static_cast<std::size_t>(channels_) * side_ * side_;
    image.pixels.assign(pixels_.begin() + index * n, pixels_.begin() + (index + 1) * n);
    return image;
  }
  std::int64_t label(std::int64_t index) const override { return index % 2; }
  const LabelHierarchy& hierarchy() const override { return hierarchy_; }
  int channels() const override { return channels_; }
  int height() const override { return side_; }
  int width() const override { return side_; }

 private:
  std::int64_t size_;
  int channels_, side_;
  std::vector<std::uint8_t> pixels_;
  LabelHierarchy hierarchy_;
};

struct Result {
  double images_per_s, batches_per_s;
};

// Whole epochs until at least `min_seconds` have passed (after one warm-up epoch).
Result measure(const DatasetPtr& dataset, int workers, std::int64_t batch, double min_seconds) {
  LoaderConfig config;
  config.batch_size = batch;
  config.views = 2;
  config.augmentation = Augmentation::simclr;
  config.workers = workers;
  config.prefetch = 2 * workers;
  config.seed = 1;
  Loader loader(dataset, config);
  loader.start(0);
  while (loader.next()) {
  }
  std::int64_t images = 0, batches = 0;
  const auto begin = std::chrono::steady_clock::now();
  double seconds = 0.0;
  for (std::int64_t epoch = 1; seconds < min_seconds; ++epoch) {
    loader.start(epoch);
    while (auto b = loader.next()) {
      images += b->images.size(0);
      ++batches;
    }
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  }
  return {images / seconds, batches / seconds};
}

void report(const DatasetPtr& dataset, int channels, std::int64_t batch, double min_seconds) {
  for (int workers : {1, 2}) {
    const Result r = measure(dataset, workers, batch, min_seconds);
    std::printf("%-20s %8d %8d %14.0f %12.1f\n", dataset->name().c_str(), channels, workers, r.images_per_s,
                r.batches_per_s);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t images = 8192, batch = 256;
  double min_seconds = 1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--images") images = std::atoll(argv[i + 1]);
    else if (flag == "--batch") batch = std::atoll(argv[i + 1]);
    else if (flag == "--min-seconds") min_seconds = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "bench_loader: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::printf("SimCLR two-view batches of %lld, 32x32 output (images/s counts source images)\n",
              static_cast<long long>(batch));
  std::printf("%-20s %8s %8s %14s %12s\n", "dataset", "channels", "workers", "images/s", "batches/s");
  for (int channels : {1, 3}) {
    report(std::make_shared<MemoryDataset>(images, channels, 32), channels, batch, min_seconds);
  }
  try {
    report(open_fashion_mnist(true), 1, batch, min_seconds);
  } catch (const std::exception& e) {
    std::printf("fashion-mnist skipped: %s\n", e.what());
  }
  return 0;
}
