// Grad mode: whether ops record the graph. Thread-local, like PyTorch, so loader
// threads never see a training thread's setting.
#pragma once

namespace nanossl {

bool grad_enabled();
void set_grad_enabled(bool enabled);

// RAII: disables graph recording in its scope (evaluation, optimizer steps, backward).
class NoGradGuard {
 public:
  NoGradGuard() : previous_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace nanossl
