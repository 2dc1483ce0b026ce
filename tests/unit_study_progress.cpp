// studies/study_progress: the run numbers and the ETA of a study session. Runs are
// numbered against the planning pass's count; the ETA costs each remaining run at
// the mean time of its kind (this session's runs before earlier sessions'), says
// "over" while some kind is untimed, and is left out while none is timed.
#include <gtest/gtest.h>

#include "studies/study_progress.h"

namespace nanossl {
namespace {

StudyProgress planned_session() {
  StudyProgress progress;
  progress.planned("runs/pretrain-a", "pretrain");
  progress.planned("runs/pretrain-b", "pretrain");
  progress.planned("runs/linear-a", "linear");
  progress.counted = true;
  progress.study = "quantity";
  return progress;
}

TEST(StudyProgress, NumbersRunsAgainstThePlanAndLeavesTheEtaOutUntilSomethingIsTimed) {
  StudyProgress progress = planned_session();
  EXPECT_EQ(progress.planned_runs(), 3);
  EXPECT_EQ(progress.before_run("runs/pretrain-a"), "run 1/3 (quantity)");
  progress.after_run("runs/pretrain-a", 100.0);
  // one pretraining left at 100 s; the linear probe's kind is not timed yet
  EXPECT_EQ(progress.before_run("runs/pretrain-b"), "run 2/3 (quantity), study ETA over 1m40s");
  progress.after_run("runs/pretrain-b", 140.0);
  EXPECT_EQ(progress.before_run("runs/linear-a"), "run 3/3 (quantity)");
  progress.after_run("runs/linear-a", 5.0);
  EXPECT_EQ(progress.finished_runs(), 3);
  EXPECT_EQ(progress.planned_runs(), 3);
}

TEST(StudyProgress, EarlierSessionsTimesStandInUntilThisSessionTimesAKind) {
  StudyProgress progress = planned_session();
  progress.recorded("pretrain", 3600.0);
  progress.recorded("linear", 60.0);
  EXPECT_EQ(progress.before_run("runs/pretrain-a"), "run 1/3 (quantity), study ETA 2h01m");
  progress.after_run("runs/pretrain-a", 1800.0);  // this session's time wins: 1800 + 60
  EXPECT_EQ(progress.before_run("runs/pretrain-b"), "run 2/3 (quantity), study ETA 31m00s");
}

TEST(StudyProgress, WithoutACountRunsAreNumberedWithoutATotal) {
  StudyProgress progress;  // the planning pass failed
  progress.study = "domain";
  EXPECT_EQ(progress.before_run("runs/x"), "run 1 (domain)");
  progress.after_run("runs/x", 3.0);
  EXPECT_EQ(progress.before_run("runs/y"), "run 2 (domain)");
}

TEST(StudyProgress, FormatsDurations) {
  EXPECT_EQ(format_duration(0.4), "0s");
  EXPECT_EQ(format_duration(59.6), "1m00s");
  EXPECT_EQ(format_duration(125.0), "2m05s");
  EXPECT_EQ(format_duration(3 * 3600.0 + 7 * 60.0), "3h07m");
}

}  // namespace
}  // namespace nanossl
