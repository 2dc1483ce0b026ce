// Scoring a classifier on a test split; see evaluation.h.
#include "commands/evaluation.h"

#include <stdexcept>
#include <string>

#include "autograd/ops.h"
#include "data/loader.h"

namespace nanossl {

Json accuracy_by_level(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& labels,
                       const data::LabelHierarchy& hierarchy) {
  if (predicted.size() != labels.size() || labels.empty()) {
    throw std::invalid_argument("[accuracy_by_level] " + std::to_string(predicted.size()) + " predictions for " +
                                std::to_string(labels.size()) + " labels");
  }
  const auto fine_classes = static_cast<std::size_t>(hierarchy.num_fine());
  double fine = 0.0;
  std::vector<double> right(hierarchy.levels.size(), 0.0);  // per level
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto p = static_cast<std::size_t>(predicted[i]), t = static_cast<std::size_t>(labels[i]);
    if (p >= fine_classes || t >= fine_classes) {
      throw std::invalid_argument("[accuracy_by_level] prediction " + std::to_string(predicted[i]) + " or label " +
                                  std::to_string(labels[i]) + " of image " + std::to_string(i) + " is outside [0, " +
                                  std::to_string(fine_classes) + ")");
    }
    fine += p == t;
    for (std::size_t l = 0; l < right.size(); ++l) right[l] += hierarchy.levels[l].of_fine[p] == hierarchy.levels[l].of_fine[t];
  }
  const double n = static_cast<double>(labels.size());
  Json levels = {{"fine", 100.0 * fine / n}};
  for (std::size_t l = 0; l < right.size(); ++l) levels[hierarchy.levels[l].name] = 100.0 * right[l] / n;
  return levels;
}

Evaluation evaluate(nn::Module& model, data::DatasetPtr dataset, Device device, std::int64_t batch_size, int workers) {
  data::LoaderConfig config;
  config.batch_size = batch_size;
  config.augmentation = data::Augmentation::none;
  config.out_size = dataset->height();
  config.shuffle = false;
  config.workers = workers;
  data::Loader loader(dataset, config);
  loader.start(0);
  const auto classes = static_cast<std::size_t>(dataset->hierarchy().num_fine());
  std::vector<std::int64_t> correct(classes, 0), seen(classes, 0);
  std::vector<std::int64_t> all_predicted, all_labels;
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  Evaluation result;
  while (auto batch = loader.next()) {
    const Tensor predicted = argmax(model(batch->images.to(device)), 1).to(Device::cpu());
    const auto p = predicted.to_vector<std::int64_t>(), y = batch->labels.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < p.size(); ++i) {
      ++seen[static_cast<std::size_t>(y[i])];
      correct[static_cast<std::size_t>(y[i])] += p[i] == y[i];
    }
    all_predicted.insert(all_predicted.end(), p.begin(), p.end());
    all_labels.insert(all_labels.end(), y.begin(), y.end());
    result.images += static_cast<std::int64_t>(p.size());
  }
  model.train(was_training);
  std::int64_t total_correct = 0;
  for (std::size_t k = 0; k < classes; ++k) {
    total_correct += correct[k];
    result.per_class.push_back(seen[k] ? 100.0 * static_cast<double>(correct[k]) / static_cast<double>(seen[k]) : 0.0);
  }
  result.top1 = result.images ? 100.0 * static_cast<double>(total_correct) / static_cast<double>(result.images) : 0.0;
  if (result.images) result.by_level = accuracy_by_level(all_predicted, all_labels, dataset->hierarchy());
  return result;
}

}  // namespace nanossl
