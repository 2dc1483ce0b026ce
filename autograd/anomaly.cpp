// Anomaly mode; see anomaly.h.
#include "autograd/anomaly.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops/reduce.h"

namespace nanossl {
namespace {

thread_local bool anomaly_enabled = false;

}  // namespace

bool anomaly_mode_enabled() { return anomaly_enabled; }

AnomalyGuard::AnomalyGuard() : previous_(anomaly_enabled) { anomaly_enabled = true; }
AnomalyGuard::~AnomalyGuard() { anomaly_enabled = previous_; }

namespace autograd {

void check_anomaly(const Tensor& t, const std::string& what) {
  if (!anomaly_enabled || !t.defined() || t.numel() == 0) return;
  if (t.dtype() != DType::f32 && t.dtype() != DType::f64) return;
  // The sum below is an op too; with grad mode off it records nothing, so it does
  // not come back here. NaN and infinity survive a sum (inf - inf is NaN).
  NoGradGuard no_grad;
  const double total = sum(t).item();
  if (!std::isfinite(total)) {
    throw AnomalyError("anomaly mode: " + what + " produced a non-finite value (" + t.describe() + ")");
  }
}

}  // namespace autograd
}  // namespace nanossl
