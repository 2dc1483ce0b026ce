// SIGINT and SIGTERM as a request to stop cleanly: while an InterruptHandlers
// object lives, the first such signal is only recorded; the training loop sees it
// after the step in progress, writes a checkpoint, prints the resume command and
// throws Interrupted, and the program exits with 128 + the signal number. The
// handler resets itself on delivery, so a second Ctrl-C kills at once, as usual.
#pragma once
#include <stdexcept>
#include <string>

namespace nanossl {

class InterruptHandlers {
 public:
  InterruptHandlers();  // nested objects are no-ops: the outermost one installs and restores
  ~InterruptHandlers();
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;

 private:
  bool installed_ = false;
};

// The signal received since the handlers were installed (SIGINT, SIGTERM), or 0.
int interrupt_signal();
// "SIGINT", "SIGTERM".
std::string signal_name(int signal);

class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal, const std::string& message) : std::runtime_error(message), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

}  // namespace nanossl
