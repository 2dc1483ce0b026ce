// The loader: per-epoch keyed shuffle, worker threads that each build whole
// batches (claimed in order from a counter), and a reorder buffer bounded by
// `prefetch` that hands batches to next() in order and holds workers back when full.
#include "data/loader.h"

#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include "data/keyed_random.h"

namespace nanossl::data {
namespace {

// Integer in [0, n) from two 24-bit draws (48 bits), so permutations of datasets
// beyond 2^24 images still reach every position.
std::int64_t wide_below(KeyedRandom& rng, std::int64_t n) {
  const double u = rng.uniform() + rng.uniform() * (1.0 / 16777216.0);
  const auto v = static_cast<std::int64_t>(u * static_cast<double>(n));
  return v < n ? v : n - 1;
}

void check_config(const LoaderConfig& c, const Dataset& dataset) {
  const std::string where = "[loader] dataset " + dataset.name() + ": ";
  if (c.batch_size <= 0) throw std::invalid_argument(where + "batch_size must be positive, got " + std::to_string(c.batch_size));
  if (c.views != 1 && c.views != 2) throw std::invalid_argument(where + "views must be 1 or 2, got " + std::to_string(c.views));
  if (c.out_size <= 0) throw std::invalid_argument(where + "out_size must be positive, got " + std::to_string(c.out_size));
  if (c.channels != 0 && c.channels != 1 && c.channels != 3) {
    throw std::invalid_argument(where + "channels must be 0 (keep), 1 or 3, got " + std::to_string(c.channels));
  }
  if (c.workers < 0) throw std::invalid_argument(where + "workers must be >= 0, got " + std::to_string(c.workers));
  if (c.prefetch < 1) throw std::invalid_argument(where + "prefetch must be >= 1, got " + std::to_string(c.prefetch));
  if (dataset.size() >= (std::int64_t{1} << 32)) {
    throw std::invalid_argument(where + "more than 2^32 images cannot be keyed by index");
  }
  if (c.augmentation == Augmentation::simclr) c.simclr.validate();
  if (c.supervised.padding < 0) throw std::invalid_argument(where + "supervised padding must be >= 0");
}

}  // namespace

std::vector<std::int64_t> epoch_permutation(std::int64_t size, std::uint64_t seed, std::int64_t epoch) {
  if (size < 0) throw std::invalid_argument("[shuffle] negative size " + std::to_string(size));
  std::vector<std::int64_t> order(static_cast<std::size_t>(size));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  KeyedRandom rng(seed, kPurposeShuffle, static_cast<std::uint64_t>(epoch), 0);
  for (std::int64_t i = size - 1; i > 0; --i) std::swap(order[i], order[wide_below(rng, i + 1)]);
  return order;
}

Loader::Loader(DatasetPtr dataset, LoaderConfig config) : dataset_(std::move(dataset)), config_(std::move(config)) {
  if (!dataset_) throw std::invalid_argument("[loader] no dataset");
  check_config(config_, *dataset_);
  channels_ = config_.channels != 0 ? config_.channels : dataset_->channels();
  if (channels_ != 1 && channels_ != 3) {
    // 0: images of differing channels (an image folder); the commands' `channels` key sets it.
    throw std::invalid_argument("[loader] dataset " + dataset_->name() + " reports " + std::to_string(channels_) +
                                " channels (its images may differ): convert them with --set channels=1 or 3"
                                " (LoaderConfig.channels)");
  }
}

Loader::~Loader() { stop_workers(); }

std::int64_t Loader::batches_per_epoch() const {
  const std::int64_t n = dataset_->size(), b = config_.batch_size;
  return config_.drop_last ? n / b : (n + b - 1) / b;
}

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void Loader::start(std::int64_t epoch, std::int64_t position) {
  stop_workers();
  const std::int64_t batches = batches_per_epoch();
  if (epoch < 0) throw std::invalid_argument("[loader] negative epoch " + std::to_string(epoch));
  if (position < 0 || position > batches) {
    throw std::invalid_argument("[loader] dataset " + dataset_->name() + ": position " + std::to_string(position) +
                                " is outside [0, " + std::to_string(batches) + "]");
  }
  epoch_ = epoch;
  if (config_.shuffle) {
    order_ = epoch_permutation(dataset_->size(), config_.seed, epoch);
  } else {
    order_.resize(static_cast<std::size_t>(dataset_->size()));
    std::iota(order_.begin(), order_.end(), std::int64_t{0});
  }
  end_ = batches;
  stopping_ = false;
  next_claim_ = next_return_ = position;
  ready_.clear();
  failed_.clear();
  started_ = true;
  const std::int64_t remaining = end_ - position;
  const int threads = static_cast<int>(std::min<std::int64_t>(config_.workers, remaining));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { worker_loop(); });
}

void Loader::worker_loop() {
  for (;;) {
    std::int64_t position;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [this] {
        return stopping_ || next_claim_ >= end_ || next_claim_ < next_return_ + config_.prefetch;
      });
      if (stopping_ || next_claim_ >= end_) return;
      position = next_claim_++;
    }
    std::optional<Batch> batch;
    std::exception_ptr error;
    try {
      batch = build_batch(position);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error) failed_.emplace(position, error);
      else ready_.emplace(position, std::move(*batch));
    }
    ready_cv_.notify_all();
  }
}

std::optional<Batch> Loader::next() {
  if (!started_) throw std::logic_error("[loader] next() called before start()");
  if (config_.workers == 0) {
    if (next_return_ >= end_) return std::nullopt;
    Batch batch = build_batch(next_return_);  // on error the position stays, as with workers
    ++next_return_;
    return batch;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_return_ >= end_) return std::nullopt;
  ready_cv_.wait(lock, [this] { return ready_.count(next_return_) > 0 || failed_.count(next_return_) > 0; });
  if (auto failure = failed_.find(next_return_); failure != failed_.end()) std::rethrow_exception(failure->second);
  auto found = ready_.find(next_return_);
  Batch batch = std::move(found->second);
  ready_.erase(found);
  ++next_return_;
  lock.unlock();
  work_cv_.notify_all();
  return batch;
}

Batch Loader::build_batch(std::int64_t position) const {
  const std::int64_t begin = position * config_.batch_size;
  const std::int64_t count = std::min<std::int64_t>(config_.batch_size, dataset_->size() - begin);
  const int C = channels_, S = config_.out_size;
  const std::size_t image_floats = static_cast<std::size_t>(C) * S * S;

  Batch batch;
  batch.epoch = epoch_;
  batch.position = position;
  batch.indices.assign(order_.begin() + begin, order_.begin() + begin + count);
  // With pin_memory the views are built straight into page-locked memory.
  auto image_tensor = [&] {
    return config_.pin_memory ? Tensor::empty_pinned({count, C, S, S}) : Tensor::empty({count, C, S, S});
  };
  batch.images = image_tensor();
  if (config_.views == 2) batch.images2 = image_tensor();
  batch.labels = Tensor::empty({count}, DType::i64);
  float* views[2] = {batch.images.data<float>(), config_.views == 2 ? batch.images2.data<float>() : nullptr};
  std::int64_t* labels = batch.labels.data<std::int64_t>();

  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t index = batch.indices[i];
    try {
      Image image = dataset_->image(index);
      if (image.channels != C) image = with_channels(image, C);
      labels[i] = dataset_->label(index);
      for (int v = 0; v < config_.views; ++v) {
        float* out = views[v] + static_cast<std::size_t>(i) * image_floats;
        KeyedRandom rng(config_.seed, kPurposeAugment, static_cast<std::uint64_t>(epoch_),
                        static_cast<std::uint64_t>(index), static_cast<std::uint64_t>(v));
        switch (config_.augmentation) {
          case Augmentation::none: eval_view_into(image, S, out); break;
          case Augmentation::supervised: train_supervised_view_into(image, config_.supervised, rng, S, out); break;
          case Augmentation::simclr: simclr_view_into(image, config_.simclr, rng, S, out); break;
        }
      }
    } catch (const std::exception& e) {
      throw std::runtime_error("[loader] dataset " + dataset_->name() + ", index " + std::to_string(index) +
                               " (epoch " + std::to_string(epoch_) + ", batch " + std::to_string(position) +
                               "): " + e.what());
    }
  }
  return batch;
}

}  // namespace nanossl::data
