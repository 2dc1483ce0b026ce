// Anomaly mode: while an AnomalyGuard is alive, every op that records the graph
// checks its output, and the engine checks every gradient a backward returns; the
// first NaN or infinity throws AnomalyError naming the op and the pass (forward, or
// the backward of which input). Slow (a reduction and a sync per op), so it is off
// unless asked for: the training loop re-runs a faulty step with it when
// detect_anomaly is set. Thread-local, like grad mode.
#pragma once
#include <stdexcept>
#include <string>

#include "tensor/tensor.h"

namespace nanossl {

class AnomalyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

bool anomaly_mode_enabled();

class AnomalyGuard {
 public:
  AnomalyGuard();
  ~AnomalyGuard();
  AnomalyGuard(const AnomalyGuard&) = delete;
  AnomalyGuard& operator=(const AnomalyGuard&) = delete;

 private:
  bool previous_;
};

namespace autograd {

// Throws AnomalyError when anomaly mode is on and `t` (a float tensor) holds a NaN or
// an infinity; `what` names where it came from ("the forward of conv2d").
void check_anomaly(const Tensor& t, const std::string& what);

}  // namespace autograd
}  // namespace nanossl
