// The pretraining methods of `nanossl pretrain` behind one face: the model (all
// its state, momentum networks and queue included, in one module, so checkpoints
// and --resume need nothing method-specific), the encoder that evaluation reads,
// and the step: forward, loss and backward on two views of a batch.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "commands/run_config.h"
#include "commands/training_loop.h"
#include "nn/resnet.h"

namespace nanossl {

struct PretrainModel {
  std::shared_ptr<nn::Module> module;  // trained, checkpointed and resumed whole
  nn::ResNet* encoder = nullptr;       // "encoder.*" of module's state dict
  std::string name;                    // "SimCLR", "MoCo v2", "BYOL", for messages
  // view1, view2 (N, C, H, W) on the model's device; `step` is the 0-based index of
  // the optimizer step this batch is for (the momentum schedules read it). Runs
  // backward; the loop then checks gradients and steps the optimizer.
  std::function<StepReport(const Tensor& view1, const Tensor& view2, std::int64_t step)> step;
};

// How reports and logs name a method: "SimCLR", "MoCo v2", "BYOL"; throws
// "[config] method: ..." for an unknown one.
std::string method_name(const std::string& method);

// config.method's model for images of `in_channels` channels, over `total_steps`
// optimizer steps (the cosine momentum schedule's length). Throws "[config] ..." for
// an unknown method or a head the method cannot build.
PretrainModel make_pretrain_model(const PretrainConfig& config, std::int64_t in_channels, std::int64_t total_steps);

}  // namespace nanossl
