// Clean stops on SIGINT and SIGTERM; see interrupt.h.
#include "commands/interrupt.h"

#include <csignal>

namespace nanossl {
namespace {

volatile std::sig_atomic_t received = 0;
int depth = 0;  // nesting of InterruptHandlers (the training loop inside a study)
struct sigaction previous_int, previous_term;

extern "C" void record_signal(int signal) { received = signal; }  // async-signal-safe: one store

}  // namespace

InterruptHandlers::InterruptHandlers() {
  if (depth++ > 0) return;
  received = 0;
  struct sigaction action {};
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // the next signal gets the default action: exit at once
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
  installed_ = true;
}

InterruptHandlers::~InterruptHandlers() {
  --depth;
  if (!installed_) return;
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
}

int interrupt_signal() { return received; }

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

}  // namespace nanossl
