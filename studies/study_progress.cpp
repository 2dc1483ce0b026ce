// The run count and ETA of a study session; see study_progress.h.
#include "studies/study_progress.h"

#include <numeric>

namespace nanossl {

void StudyProgress::planned(const std::string& dir, const std::string& kind) { pending_.emplace(dir, kind); }

void StudyProgress::recorded(const std::string& kind, double seconds) {
  if (seconds > 0) timed_before_[kind].push_back(seconds);
}

// What the ETA assumes: runs of one kind (command and budget) take about as long
// as each other, since a study's section fixes the optimizer steps whatever the
// number of images; so each remaining run is costed at the mean wall time of the
// runs of its kind finished in this session, or, before any has, at the mean time
// earlier sessions recorded in result.json (a resumed run's record holds only its
// last process, so that guess runs low). Runs of a kind never timed are left out,
// and the ETA then says "over". It ignores what the mean cannot see: a linear
// probe whose features are cached is quicker, a larger labelled set slower.
double StudyProgress::eta_seconds(int& untimed) const {
  auto mean = [](const std::vector<double>& values) {
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  };
  double seconds = 0.0;
  untimed = 0;
  for (const auto& [dir, kind] : pending_) {
    if (const auto now = timed_now_.find(kind); now != timed_now_.end()) seconds += mean(now->second);
    else if (const auto before = timed_before_.find(kind); before != timed_before_.end()) seconds += mean(before->second);
    else ++untimed;
  }
  return seconds;
}

std::map<std::string, int> StudyProgress::pending_by_kind() const {
  std::map<std::string, int> counts;
  for (const auto& [dir, kind] : pending_) ++counts[kind];
  return counts;
}

std::string StudyProgress::pending_text() const {
  std::string text;
  // The full budget's kinds first, then the half budget's (their names start with it).
  for (const bool half : {false, true}) {
    for (const auto& [kind, count] : pending_by_kind()) {
      if ((kind.find(' ') != std::string::npos) != half) continue;
      text.append(text.empty() ? "" : ", ").append(std::to_string(count)).append(" ").append(kind);
    }
  }
  return text;
}

std::string StudyProgress::before_run(const std::string& dir) const {
  const int number = finished_ + 1;
  // Appended piece by piece: "literal" + std::string trips GCC 12's -Wrestrict (bug 105329).
  std::string text = "run ";
  text.append(std::to_string(number));
  // A run the planning pass did not foresee (it should not happen): numbered, no total.
  if (counted && pending_.count(dir)) text.append("/").append(std::to_string(planned_runs()));
  if (!study.empty()) text.append(" (").append(study).append(")");
  if (!counted) return text;
  int untimed = 0;
  const double seconds = eta_seconds(untimed);
  if (untimed < static_cast<int>(pending_.size())) {  // something to go on
    text.append(", study ETA ").append(untimed > 0 ? "over " : "").append(format_duration(seconds));
  }
  return text;
}

void StudyProgress::after_run(const std::string& dir, double seconds) {
  const auto it = pending_.find(dir);
  if (it != pending_.end()) {
    timed_now_[it->second].push_back(seconds);
    pending_.erase(it);
  }
  ++finished_;
}

}  // namespace nanossl
