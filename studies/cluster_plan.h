// `nanossl study NAME --plan slurm`: a study's runs as cluster jobs. A study at the
// paper's scale is hundreds of GPU-hours of independent runs; on a Slurm cluster
// each run becomes one job, started only after the encoders it reads have
// finished (sbatch --dependency=afterok), and a last job writes the report once
// every run has finished. Nothing is trained by the planning command itself.
//
// OUT/plan/ holds:
//   <run>.json   each run's configuration (the run's own preset file)
//   run_one.sh   one run: skipped when finished, resumed from its checkpoints
//                when it has some, else started afresh (so a job killed by the
//                scheduler, or a failed submission, is taken up by submitting again)
//   submit.sh    the sbatch calls, in dependency order; SBATCH_ARGS adds options
//                to every job ("--gres=gpu:1 --time=24:00:00 --partition=gpu")
// The run directories are those `nanossl study` itself uses, so the finished runs
// are the study's: `nanossl study` or `nanossl report` on OUT reuses them.
#pragma once
#include <string>
#include <vector>

#include "studies/runner.h"

namespace nanossl {

// Writes OUT/plan/ for `runs` (encoders first, as a planner lists them) and
// returns the path of submit.sh. `nanossl_binary` is what the jobs run (an
// absolute path: a job starts in its own directory).
std::string write_slurm_plan(const std::string& out, const std::vector<PlannedRun>& runs,
                             const std::string& nanossl_binary);

}  // namespace nanossl
