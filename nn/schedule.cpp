// Warmup + cosine learning-rate schedule and batch-size scaling rules; the
// formulas are in nn/schedule.h and docs/optim.md.
#include "nn/schedule.h"

#include <cmath>
#include <numbers>

#include "base/error.h"

namespace nanossl::nn {

void WarmupCosine::validate() const {
  if (!std::isfinite(base_lr) || base_lr < 0.0) op_error("warmup_cosine", "base_lr must be finite and >= 0, got " + std::to_string(base_lr));
  if (!std::isfinite(final_lr) || final_lr < 0.0) op_error("warmup_cosine", "final_lr must be finite and >= 0, got " + std::to_string(final_lr));
  if (warmup_steps < 0) op_error("warmup_cosine", "warmup_steps must be >= 0, got " + std::to_string(warmup_steps));
  if (total_steps < 1) op_error("warmup_cosine", "total_steps must be >= 1, got " + std::to_string(total_steps));
  if (warmup_steps > total_steps) {
    op_error("warmup_cosine", "warmup_steps (" + std::to_string(warmup_steps) + ") exceeds total_steps (" +
                              std::to_string(total_steps) + ")");
  }
}

double WarmupCosine::at(std::int64_t step) const {
  validate();
  if (step < 0) op_error("warmup_cosine", "step must be >= 0, got " + std::to_string(step));
  if (step < warmup_steps) {
    return base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  }
  if (step >= total_steps) return final_lr;
  const double progress = static_cast<double>(step - warmup_steps) / static_cast<double>(total_steps - warmup_steps);
  return final_lr + (base_lr - final_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

double scale_lr(double base, std::int64_t batch_size, LrScaling scaling) {
  if (batch_size < 1) op_error("scale_lr", "batch size must be >= 1, got " + std::to_string(batch_size));
  const double batch = static_cast<double>(batch_size);
  switch (scaling) {
    case LrScaling::none: return base;
    case LrScaling::linear: return base * batch / 256.0;
    case LrScaling::sqrt: return base * std::sqrt(batch);
  }
  op_error("scale_lr", "unknown scaling rule");
}

LrScaling parse_lr_scaling(const std::string& text) {
  if (text == "none") return LrScaling::none;
  if (text == "linear") return LrScaling::linear;
  if (text == "sqrt") return LrScaling::sqrt;
  op_error("lr_scaling", "unknown learning-rate scaling '" + text + "' (choose none, linear or sqrt)");
}

std::string to_string(LrScaling scaling) {
  switch (scaling) {
    case LrScaling::none: return "none";
    case LrScaling::linear: return "linear";
    case LrScaling::sqrt: return "sqrt";
  }
  op_error("lr_scaling", "unknown scaling rule");
}

}  // namespace nanossl::nn
