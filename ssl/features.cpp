// Feature extraction with a frozen encoder, feature concatenation, the safetensors
// feature cache, and the checks the probes share.
#include "ssl/features.h"

#include <cstring>
#include <map>
#include <stdexcept>

#include "autograd/grad_mode.h"
#include "data/loader.h"
#include "nn/safetensors.h"

namespace nanossl::ssl {
namespace {

[[noreturn]] void fail(const char* op, const std::string& message) {
  throw std::invalid_argument(std::string("[") + op + "] " + message);
}

// Restores a module's train/eval mode when it goes out of scope, even on an error.
class ModeRestorer {
 public:
  explicit ModeRestorer(nn::Module& module) : module_(module), was_training_(module.is_training()) {}
  ~ModeRestorer() { module_.train(was_training_); }
  ModeRestorer(const ModeRestorer&) = delete;
  ModeRestorer& operator=(const ModeRestorer&) = delete;

 private:
  nn::Module& module_;
  bool was_training_;
};

}  // namespace

void check_features(const FeatureSet& set, const char* op, const std::string& which, std::int64_t num_classes) {
  const Tensor& x = set.features;
  const Tensor& y = set.labels;
  if (!x.defined()) fail(op, which + " features are undefined");
  if (!y.defined()) fail(op, which + " labels are undefined");
  if (x.dtype() != DType::f32 || x.ndim() != 2 || !x.device().is_cpu()) {
    fail(op, which + " features must be an f32 (N, D) CPU tensor, got " + x.describe());
  }
  if (y.dtype() != DType::i64 || y.ndim() != 1 || !y.device().is_cpu()) {
    fail(op, which + " labels must be an i64 (N) CPU tensor, got " + y.describe());
  }
  if (x.size(0) == 0) fail(op, which + " set is empty");
  if (x.size(1) == 0) fail(op, which + " features have dimension 0");
  if (y.size(0) != x.size(0)) {
    fail(op, which + " set has " + std::to_string(x.size(0)) + " feature rows but " + std::to_string(y.size(0)) +
                 " labels");
  }
  if (num_classes > 0) {
    const std::int64_t* labels = y.data<std::int64_t>();
    for (std::int64_t i = 0; i < y.size(0); ++i) {
      if (labels[i] < 0 || labels[i] >= num_classes) {
        fail(op, which + " label " + std::to_string(labels[i]) + " at row " + std::to_string(i) + " is outside [0, " +
                     std::to_string(num_classes) + ")");
      }
    }
  }
}

FeatureSet extract_features(nn::ResNet& encoder, data::DatasetPtr dataset, Device device, std::int64_t batch_size,
                            int workers, const std::function<void(std::int64_t images)>& on_batch) {
  constexpr const char* op = "extract_features";
  if (!dataset) fail(op, "dataset is null");
  if (dataset->size() == 0) fail(op, "dataset " + dataset->name() + " is empty");
  if (dataset->height() <= 0 || dataset->height() != dataset->width()) {
    fail(op, "dataset " + dataset->name() + " has no single square image size (" + std::to_string(dataset->height()) +
                 "x" + std::to_string(dataset->width()) + "); resize it to one first");
  }
  if (batch_size < 1) fail(op, "batch_size must be >= 1, got " + std::to_string(batch_size));

  data::LoaderConfig config;
  config.batch_size = batch_size;
  config.augmentation = data::Augmentation::none;
  config.out_size = dataset->height();
  config.channels = static_cast<int>(encoder.config().in_channels);
  config.shuffle = false;
  config.workers = workers;
  data::Loader loader(dataset, config);

  const std::int64_t n = dataset->size(), dim = encoder.feature_dim();
  FeatureSet out{Tensor::empty({n, dim}), Tensor::empty({n}, DType::i64)};
  float* features = out.features.data<float>();
  std::int64_t* labels = out.labels.data<std::int64_t>();
  std::int64_t delivered = 0;

  ModeRestorer restore_mode(encoder);
  encoder.eval();
  NoGradGuard no_grad;
  loader.start(0);
  while (auto batch = loader.next()) {
    const Tensor f = encoder.features(batch->images.to(device)).to(Device::cpu());
    const std::int64_t rows = static_cast<std::int64_t>(batch->indices.size());
    if (f.dtype() != DType::f32 || f.ndim() != 2 || f.size(0) != rows || f.size(1) != dim) {
      fail(op, "encoder returned " + f.describe() + " for a batch of " + std::to_string(rows) +
                   " images; expected f32 (" + std::to_string(rows) + ", " + std::to_string(dim) + ")");
    }
    const float* src = f.data<float>();
    const std::int64_t* batch_labels = batch->labels.data<std::int64_t>();
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t index = batch->indices[static_cast<std::size_t>(r)];
      std::memcpy(features + index * dim, src + r * dim, static_cast<std::size_t>(dim) * sizeof(float));
      labels[index] = batch_labels[r];
    }
    delivered += rows;
    if (on_batch) on_batch(rows);
  }
  if (delivered != n) {
    fail(op, "the loader delivered " + std::to_string(delivered) + " of " + std::to_string(n) + " images");
  }
  return out;
}

FeatureSet concat_features(const FeatureSet& a, const FeatureSet& b) {
  constexpr const char* op = "concat_features";
  check_features(a, op, "first");
  check_features(b, op, "second");
  const std::int64_t n = a.features.size(0), da = a.features.size(1), db = b.features.size(1);
  if (b.features.size(0) != n) {
    fail(op, "the sets hold different images: " + std::to_string(n) + " rows vs " +
                 std::to_string(b.features.size(0)));
  }
  const std::int64_t* la = a.labels.data<std::int64_t>();
  const std::int64_t* lb = b.labels.data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    if (la[i] != lb[i]) {
      fail(op, "labels differ at row " + std::to_string(i) + " (" + std::to_string(la[i]) + " vs " +
                   std::to_string(lb[i]) + "); were both extracted from the same dataset in the same order?");
    }
  }
  FeatureSet out{Tensor::empty({n, da + db}), a.labels.clone()};
  const float* fa = a.features.data<float>();
  const float* fb = b.features.data<float>();
  float* dst = out.features.data<float>();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    std::memcpy(dst + i * (da + db), fa + i * da, static_cast<std::size_t>(da) * sizeof(float));
    std::memcpy(dst + i * (da + db) + da, fb + i * db, static_cast<std::size_t>(db) * sizeof(float));
  }
  return out;
}

void save_features(const std::string& path, const FeatureSet& set) {
  check_features(set, "save_features", path);
  nn::save_safetensors(path, {{"features", set.features}, {"labels", set.labels}},
                       {{"content", "nanossl feature set"}});
}

FeatureSet load_features(const std::string& path) {
  std::map<std::string, Tensor> tensors = nn::load_safetensors(path);
  for (const char* key : {"features", "labels"}) {
    if (!tensors.count(key)) {
      throw std::runtime_error("[load_features] " + path + ": no tensor named '" + key + "'");
    }
  }
  FeatureSet set{tensors.at("features"), tensors.at("labels")};
  try {
    check_features(set, "load_features", path);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  return set;
}

}  // namespace nanossl::ssl
