// Progress of a long command on stdout. On a terminal: one live line rewritten in
// place ('\r', the text, then clear-to-end-of-line), refreshed a few times a
// second, never every step; lines that must stay (an epoch's end, a result) end it
// first. Elsewhere (a log file, a pipe, a test): the plain lines of log_every
// steps, so logs and greps do not depend on where the output goes.
// NANOSSL_PROGRESS=line|plain forces either mode (docs/training.md).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "commands/run_directory.h"

namespace nanossl {

// Live when NANOSSL_PROGRESS=line, plain when =plain, else live exactly when stdout
// is a terminal. Asked anew by each progress line: a study sends every run's
// stdout to its log file. Another value of NANOSSL_PROGRESS throws, naming it.
bool progress_is_live();

// Ends the live line now showing, if any (it stays on the screen as it was), so
// that what is printed next starts on a line of its own. Call before any message
// that may follow a live line (the error handler of main included).
void end_live_line();

class ProgressLine {
 public:
  // refresh_seconds: the least time between two rewrites of the live line.
  explicit ProgressLine(double refresh_seconds = 0.25);
  ~ProgressLine();  // ends the live line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool live() const { return live_; }
  // Live mode: whether the line is due a rewrite (never shown yet, or the refresh
  // time has passed). Always false in plain mode.
  bool due() const;
  // Seconds since the previous show() (or construction): the window of a rate.
  double seconds_since_show() const;
  // Live mode: rewrites the live line with `text`; plain mode: nothing.
  void show(const std::string& text);
  // A line that stays, in both modes: ends the live line first (live mode
  // replaces the line in place by `text`).
  void print(const std::string& text);

 private:
  using Clock = std::chrono::steady_clock;
  bool live_;
  double refresh_seconds_;
  Clock::time_point shown_;
  bool shown_once_ = false;
};

// A pass over a known number of images (feature extraction, predict): the live
// line while it runs ("features of fashion (test): 12288/60000 images (20%)  4100
// img/s  ETA 0m11s") and, in both modes, one line when it ends.
class ImageProgress {
 public:
  ImageProgress(std::string what, std::int64_t total);
  void advance(std::int64_t images);  // `images` more are done
  void finish();                      // the closing line (once)

 private:
  std::string text(double images_per_s) const;

  std::string what_;
  std::int64_t total_, done_ = 0, done_at_show_ = 0;
  ProgressClock clock_;
  ProgressLine line_;
  bool finished_ = false;
};

}  // namespace nanossl
