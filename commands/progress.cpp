// The live progress line and its plain fallback; see progress.h.
#include "commands/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace nanossl {
namespace {

// Whether a live line is on the screen, unended: one stdout, so one flag.
bool g_line_open = false;

// The terminal's width, 0 when unknown (not a terminal, or forced live mode into a
// file). A live line longer than it would wrap, and '\r' returns only to the start
// of its last row: each rewrite would leave a stale row behind.
std::size_t terminal_width() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

}  // namespace

bool progress_is_live() {
  if (const char* mode = std::getenv("NANOSSL_PROGRESS"); mode && *mode) {
    const std::string value = mode;
    if (value == "line") return true;
    if (value == "plain") return false;
    throw std::invalid_argument("NANOSSL_PROGRESS=" + value + ": expected line or plain");
  }
  return ::isatty(STDOUT_FILENO) == 1;
}

void end_live_line() {
  if (!g_line_open) return;
  std::fputc('\n', stdout);
  std::fflush(stdout);
  g_line_open = false;
}

ProgressLine::ProgressLine(double refresh_seconds)
    : live_(progress_is_live()), refresh_seconds_(refresh_seconds), shown_(Clock::now()) {}

ProgressLine::~ProgressLine() {
  if (live_) end_live_line();
}

// The first rewrite is due at once: the line appears with the first step, not a refresh later.
bool ProgressLine::due() const { return live_ && (!shown_once_ || seconds_since_show() >= refresh_seconds_); }

double ProgressLine::seconds_since_show() const {
  return std::chrono::duration<double>(Clock::now() - shown_).count();
}

void ProgressLine::show(const std::string& text) {
  shown_ = Clock::now();
  if (!live_) return;
  shown_once_ = true;
  const std::size_t width = terminal_width();
  // One column short of the width: a line that fills it exactly wraps on some terminals.
  const std::string fitted = width > 1 && text.size() >= width ? text.substr(0, width - 1) : text;
  std::printf("\r%s\33[K", fitted.c_str());
  std::fflush(stdout);
  g_line_open = true;
}

void ProgressLine::print(const std::string& text) {
  if (live_ && g_line_open) {
    std::printf("\r%s\33[K\n", text.c_str());
    g_line_open = false;
  } else {
    std::printf("%s\n", text.c_str());
  }
  std::fflush(stdout);
  shown_ = Clock::now();
}

ImageProgress::ImageProgress(std::string what, std::int64_t total)
    : what_(std::move(what)), total_(total), clock_(0, total) {}

std::string ImageProgress::text(double images_per_s) const {
  const double percent = total_ > 0 ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 100.0;
  char text[160];
  std::snprintf(text, sizeof text, "%s: %lld/%lld images (%.0f%%)  %.0f img/s", what_.c_str(),
                static_cast<long long>(done_), static_cast<long long>(total_), percent, images_per_s);
  return text;
}

void ImageProgress::advance(std::int64_t images) {
  done_ += images;
  if (!line_.due()) return;
  const double rate = static_cast<double>(done_ - done_at_show_) / line_.seconds_since_show();
  done_at_show_ = done_;
  line_.show(text(rate) + "  ETA " + clock_.eta(done_));
}

void ImageProgress::finish() {
  if (finished_) return;
  finished_ = true;
  const double seconds = clock_.seconds();
  char tail[48];
  std::snprintf(tail, sizeof tail, "  in %.1f s", seconds);
  line_.print(text(seconds > 0 ? static_cast<double>(done_) / seconds : 0.0) + tail);
}

}  // namespace nanossl
