// A study's runs as Slurm jobs with dependencies; see cluster_plan.h.
#include "studies/cluster_plan.h"

#include <filesystem>
#include <map>

#include "commands/run_directory.h"  // write_text

namespace nanossl {
namespace fs = std::filesystem;

namespace {

// One run as a batch script: its arguments are the binary, the command, the run
// directory, its configuration and the encoders it reads.
const char* const kRunOne = R"(#!/usr/bin/env bash
# One run of a nanossl study plan (written by `nanossl study --plan slurm`; see
# studies/cluster_plan.h): skipped when finished, resumed from its checkpoints when
# it has some, else started afresh, as `nanossl study` itself would.
# Usage: run_one.sh NANOSSL COMMAND RUN_DIR CONFIG [ENCODER [ENCODER2]]
set -euo pipefail
nanossl=$1 command=$2 dir=$3 config=$4 encoder=${5:-} encoder2=${6:-}
has_checkpoints() { compgen -G "$dir/checkpoints/step-*" > /dev/null; }
# An encoder kept without its weights (scripts/keep_results.sh) is trained again.
if [ -f "$dir/result.json" ] && { [ "$command" = linear ] || [ "$command" = finetune ] || has_checkpoints; }; then
  echo "$dir: finished already"
  exit 0
fi
if [ "$command" != linear ] && has_checkpoints; then
  exec "$nanossl" "$command" --resume "$dir" > "$dir/log-resumed.txt"
fi
rm -rf "$dir"  # an evaluation, or a run without checkpoints, starts again
mkdir -p "$dir"
args=("$command" --preset "$config" --out "$dir")
if [ -n "$encoder" ]; then args+=(--encoder "$encoder"); fi
if [ -n "$encoder2" ]; then args+=(--encoder2 "$encoder2"); fi
exec "$nanossl" "${args[@]}" > "$dir/log.txt"
)";

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// "$job1:$job4": an afterok list of the shell variables holding job ids.
std::string job_list(const std::vector<std::string>& jobs) {
  std::string list;
  for (const std::string& job : jobs) list.append(list.empty() ? "" : ":").append(job);
  return list;
}

std::string absolute(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

}  // namespace

std::string write_slurm_plan(const std::string& out, const std::vector<PlannedRun>& runs,
                             const std::string& nanossl_binary) {
  const std::string plan = absolute(out) + "/plan";
  fs::create_directories(plan);
  write_text(plan + "/run_one.sh", kRunOne);
  fs::permissions(plan + "/run_one.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);

  std::string script =
      "#!/usr/bin/env bash\n"
      "# The runs of the study in " + absolute(out) + " as Slurm jobs, written by `nanossl study --plan slurm`\n"
      "# (studies/cluster_plan.h). Submit from a login node: bash " + plan + "/submit.sh\n"
      "# Every job: SBATCH_ARGS=\"--gres=gpu:1 --time=24:00:00 --partition=gpu\" bash submit.sh\n"
      "# Submitting again after a failure skips the finished runs and resumes the others.\n"
      "set -euo pipefail\n"
      "plan=" + quoted(plan) + "\n"
      "nanossl=" + quoted(nanossl_binary) + "\n"
      "read -r -a extra <<< \"${SBATCH_ARGS:-}\"\n"
      "mkdir -p \"$plan/logs\"\n"
      "# submit NAME AFTER ARGS...: a job that starts once the jobs AFTER (id:id:...) have succeeded.\n"
      "submit() {\n"
      "  local name=$1 after=$2 id\n"
      "  shift 2\n"
      "  id=$(sbatch --parsable \"${extra[@]}\" --job-name=\"$name\" --output=\"$plan/logs/%x-%j.out\" \\\n"
      "    ${after:+--dependency=afterok:$after} \"$@\")\n"
      "  echo \"${id%%;*}\"  # --parsable prints ID or ID;CLUSTER\n"
      "}\n";
  std::map<std::string, std::string> job_of;  // run directory -> "$jobN", the variable holding its job id
  std::vector<std::string> all_jobs;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const PlannedRun& run = runs[i];
    const std::string dir = absolute(run.dir);
    const std::string name = fs::path(dir).filename().string();
    write_text(plan + "/" + name + ".json", run.config.dump(2));
    std::vector<std::string> encoders, after;  // after: the jobs of those encoders that have one
    for (const std::string& encoder : {run.encoder, run.encoder2}) {
      if (encoder.empty()) continue;
      encoders.push_back(encoder == "random" ? encoder : absolute(encoder));  // "random": an argument, no job
      if (const auto job = job_of.find(encoders.back()); job != job_of.end()) after.push_back(job->second);
    }
    // (Appended piece by piece: "literal" + std::string trips GCC 12's -Wrestrict, bug 105329.)
    const std::string variable = std::string("$job").append(std::to_string(i + 1));
    script.append(variable.substr(1)).append("=$(submit ").append(quoted(name)).append(" \"").append(job_list(after));
    script.append("\" \"$plan/run_one.sh\" \"$nanossl\" ").append(run.command).append(" ").append(quoted(dir));
    script.append(" \"$plan/").append(name).append(".json\"");
    for (const std::string& encoder : encoders) script.append(" ").append(quoted(encoder));
    script += ")\n";
    job_of[dir] = variable;
    all_jobs.push_back(variable);
  }
  script.append("report=$(submit report \"").append(job_list(all_jobs)).append("\" --wrap \"$nanossl report ");
  script.append(quoted(absolute(out))).append("\")\n");
  script += "echo \"submitted " + std::to_string(runs.size()) +
            " runs and the report (job $report); it writes " + absolute(out) + "/report.md\"\n";
  const std::string submit = plan + "/submit.sh";
  write_text(submit, script);
  fs::permissions(submit, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add);
  return submit;
}

}  // namespace nanossl
