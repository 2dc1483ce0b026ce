// Learning-rate schedules and batch-size scaling: linear warmup then cosine decay
// (SimCLR's schedule), and the linear / square-root rules for the base rate.
#pragma once
#include <cstdint>
#include <string>

namespace nanossl::nn {

// lr(step), for step = 0, 1, 2, ... counted in optimizer steps:
//   step < warmup_steps:  base_lr * (step + 1) / warmup_steps
//   warmup_steps <= step < total_steps:
//     final_lr + (base_lr - final_lr) * (1 + cos(pi * (step - warmup_steps) / (total_steps - warmup_steps))) / 2
//   step >= total_steps:  final_lr
// So the first step already moves (SimCLR's reference uses step / warmup_steps,
// which spends step 0 at rate zero), warmup ends exactly at base_lr, and the cosine
// starts at base_lr. at() throws on a negative step or inconsistent fields.
struct WarmupCosine {
  double base_lr = 0.0;
  std::int64_t warmup_steps = 0;
  std::int64_t total_steps = 0;
  double final_lr = 0.0;

  double at(std::int64_t step) const;
  // Throws naming the field when base_lr or final_lr is negative or not finite,
  // warmup_steps < 0, total_steps < 1 or warmup_steps > total_steps.
  void validate() const;
};

enum class LrScaling { none, linear, sqrt };

// The learning rate for a batch size, from a base rate:
//   none: base;  linear: base * batch_size / 256;  sqrt: base * sqrt(batch_size)
// (SimCLR: 0.3 * batch/256 with LARS for long runs; 0.075 * sqrt(batch) for small
// batches or short runs). Throws if batch_size < 1.
double scale_lr(double base, std::int64_t batch_size, LrScaling scaling);

// "none", "linear", "sqrt"; anything else throws naming the text and the choices.
LrScaling parse_lr_scaling(const std::string& text);
std::string to_string(LrScaling scaling);

}  // namespace nanossl::nn
