// Scoring a classifier on a test split: top-1 overall, per class, and at every
// level of the label hierarchy.
#pragma once
#include <cstdint>
#include <vector>

#include "commands/config_fields.h"
#include "data/dataset.h"
#include "nn/module.h"

namespace nanossl {

// Top-1 accuracy (percent) of fine-class predictions at every level of the label
// hierarchy: {"fine": ..., "coarse": ..., one key per further level} (a prediction
// is right at a level when it falls in the true class of that level).
Json accuracy_by_level(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& labels,
                       const data::LabelHierarchy& hierarchy);

struct Evaluation {
  double top1 = 0.0;              // percent
  Json by_level;                  // accuracy_by_level of the predictions
  std::vector<double> per_class;  // percent, one per fine class
  std::int64_t images = 0;
};
// Eval-mode forward over every image of `dataset` (no augmentation).
Evaluation evaluate(nn::Module& model, data::DatasetPtr dataset, Device device, std::int64_t batch_size, int workers);

}  // namespace nanossl
