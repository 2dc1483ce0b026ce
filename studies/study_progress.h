// Where a study session stands: which run it is on out of how many, and an ETA.
// The drivers plan their runs lazily (a fine-tuning needs its encoder's directory),
// so the count comes from a planning pass first: the drivers go through a Study
// that trains nothing (Study::planner), and every run without a result.json is
// recorded here. The runs then trained are numbered against that count.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "commands/run_directory.h"  // format_duration

namespace nanossl {

class StudyProgress {
 public:
  // The planning pass: a run this session will train (or resume), and the time an
  // earlier session recorded for a finished one. `kind` groups runs that take
  // about as long: the command and the budget ("pretrain", "half-budget linear").
  void planned(const std::string& dir, const std::string& kind);
  void recorded(const std::string& kind, double seconds);

  int planned_runs() const { return static_cast<int>(pending_.size() + finished_); }
  // The runs not finished yet, by kind: {"pretrain": 21, "half-budget linear": 24, ...}.
  std::map<std::string, int> pending_by_kind() const;
  // "21 pretrain, 21 train, ..., 7 half-budget pretrain, ...": the same, as text.
  std::string pending_text() const;
  int finished_runs() const { return finished_; }

  // Before the run in `dir`: "run 7/42 (quantity), study ETA 1h05m".
  std::string before_run(const std::string& dir) const;
  // After it finished in `seconds` of wall time.
  void after_run(const std::string& dir, double seconds);

  std::string study;  // the study running now, for the line: "quantity", "quantity, half budget"
  bool counted = false;  // false when the planning pass failed: runs are numbered without a total

 private:
  // The estimated seconds of the runs not finished yet (the next one included) whose
  // kind has been timed; `untimed` counts those whose kind has not.
  double eta_seconds(int& untimed) const;

  std::map<std::string, std::string> pending_;  // dir -> kind, the runs not finished yet
  std::map<std::string, std::vector<double>> timed_now_, timed_before_;  // kind -> seconds per run
  int finished_ = 0;
};

}  // namespace nanossl
