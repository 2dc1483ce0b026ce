// The threaded prefetching loader: turns a Dataset into batches of augmented float
// NCHW tensors. Worker threads build whole batches ahead of the consumer, a bounded
// reorder buffer hands them out in order, and every random choice is keyed by
// (seed, epoch, dataset index, view), so batches do not depend on the thread count
// and a loader started at (epoch, position) resumes exactly. See
// docs/augmentations-and-loader.md.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "tensor/tensor.h"

namespace nanossl::data {

struct LoaderConfig {
  std::int64_t batch_size = 256;
  int views = 1;  // 1, or 2 for SimCLR (images2 is the second view)
  Augmentation augmentation = Augmentation::none;
  SimclrAugmentConfig simclr;
  SupervisedAugmentConfig supervised;
  int out_size = 32;
  int channels = 0;  // 1 or 3 converts every image; 0 keeps the dataset's channels()
  bool shuffle = true;
  bool drop_last = false;
  std::uint64_t seed = 0;
  int workers = 2;   // threads; 0 builds each batch inside next() on the caller's thread
  int prefetch = 4;  // batches being built or waiting, at most
  bool pin_memory = false;  // page-locked batch memory (an ordinary copy without a GPU)
};

struct Batch {
  Tensor images;   // f32 [N, C, S, S], values in [0, 1]
  Tensor images2;  // the second view (views == 2), else undefined
  Tensor labels;   // i64 [N], fine labels
  std::int64_t epoch = 0, position = 0;  // position: this batch's index within its epoch
  std::vector<std::int64_t> indices;     // dataset indices of the N images
};

// The order of the epoch's images: a Fisher-Yates permutation keyed by
// (seed, kPurposeShuffle, epoch), a pure function of its arguments.
std::vector<std::int64_t> epoch_permutation(std::int64_t size, std::uint64_t seed, std::int64_t epoch);

class Loader {
 public:
  Loader(DatasetPtr dataset, LoaderConfig config);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Begins `epoch` at batch `position` (0 for a fresh epoch; a checkpoint's
  // position to resume). Stops any epoch in progress first.
  void start(std::int64_t epoch, std::int64_t position = 0);
  // The next batch in order, or nullopt once the epoch is exhausted. Rethrows a
  // worker's error (naming the dataset and index) when its batch comes up.
  std::optional<Batch> next();

  std::int64_t batches_per_epoch() const;
  const LoaderConfig& config() const { return config_; }
  const Dataset& dataset() const { return *dataset_; }

 private:
  void stop_workers();
  void worker_loop();
  Batch build_batch(std::int64_t position) const;

  DatasetPtr dataset_;
  LoaderConfig config_;
  int channels_ = 0;
  bool started_ = false;

  // The epoch in progress. Fixed while workers run.
  std::int64_t epoch_ = 0;
  std::vector<std::int64_t> order_;
  std::int64_t end_ = 0;  // batches in the epoch

  // Shared with workers, under mutex_.
  std::mutex mutex_;
  std::condition_variable work_cv_;   // workers wait for room in the window
  std::condition_variable ready_cv_;  // next() waits for its batch
  bool stopping_ = false;
  std::int64_t next_claim_ = 0;   // the next batch a worker will build
  std::int64_t next_return_ = 0;  // the next batch next() hands out
  std::map<std::int64_t, Batch> ready_;
  std::map<std::int64_t, std::exception_ptr> failed_;
  std::vector<std::thread> threads_;
};

}  // namespace nanossl::data
