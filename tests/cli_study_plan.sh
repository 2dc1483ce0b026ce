#!/usr/bin/env bash
# `nanossl study domain --preset smoke --plan slurm` (CTest label: integration): the
# study's runs as Slurm jobs, submitted to a stand-in `sbatch` that runs each job
# at once and checks, before it does, that the job named an afterok dependency on
# the job of every encoder it reads, and that those jobs have finished. Then:
#   1. the plan trained nothing by itself, and every run is a job;
#   2. after the jobs, `nanossl study` on the directory has nothing left to run and
#      the report (the last job) has every finding checked;
#   3. submitted again, every job finds its run finished.
# Usage: cli_study_plan.sh NANOSSL_BINARY WORK_DIR
set -euo pipefail
nanossl=$1
work=$2
rm -rf "$work"
mkdir -p "$work/bin"
# The domain study without its half-budget pass, for CI's time (17 jobs, each a
# process of its own): probes of pretrained encoders, of two concatenated, and
# supervised runs; the dependency of a fine-tuning or of a probe of a supervised
# trunk is the same `encoder` field of the run.
study=(study domain --preset smoke --set scale_trend=false --out "$work/study")

"$nanossl" "${study[@]}" --plan slurm > "$work/plan.log"
submit="$work/study/plan/submit.sh"
test -x "$submit"
test -x "$work/study/plan/run_one.sh"
if compgen -G "$work/study/runs/*/result.json" > /dev/null; then echo "--plan trained something" >&2; exit 1; fi
runs=$(sed -n 's/^\[study\] \([0-9]*\) runs to train: .*/\1/p' "$work/plan.log")
test "$runs" -ge 10
test "$(grep -c '^job[0-9]*=$(submit ' "$submit")" -eq "$runs"

# The stand-in sbatch: ids 1, 2, ...; jobs.txt holds "id run-dir" of each finished job.
cat > "$work/bin/sbatch" << 'EOF'
#!/usr/bin/env bash
set -euo pipefail
state=$SBATCH_STATE
after="" wrap="" args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dependency=afterok:*) after=${1#--dependency=afterok:} ;;
    --wrap) wrap=$2; shift ;;
    --*) ;;  # --parsable, --job-name, --output and SBATCH_ARGS
    *) args+=("$@"); break ;;
  esac
  shift
done
id=$(( $(wc -l < "$state/jobs.txt") + 1 ))
for dep in ${after//:/ }; do  # every dependency has finished
  grep -q "^$dep " "$state/jobs.txt" || { echo "sbatch: job $id depends on $dep, which has not run" >&2; exit 1; }
done
if [ -n "$wrap" ]; then
  bash -c "$wrap" > "$state/job-$id.out"
  echo "$id report" >> "$state/jobs.txt"
else
  # run_one.sh NANOSSL COMMAND RUN_DIR CONFIG [ENCODERS...]: an encoder with a job needs a dependency on it.
  for encoder in "${args[@]:5}"; do
    job=$(awk -v d="$encoder" '$2 == d { print $1 }' "$state/jobs.txt")
    if [ -n "$job" ] && [[ ":$after:" != *":$job:"* ]]; then
      echo "sbatch: job $id reads $encoder (job $job) without depending on it" >&2; exit 1
    fi
  done
  "${args[@]}" > "$state/job-$id.out"
  echo "$id ${args[3]}" >> "$state/jobs.txt"
fi
echo "$id;cluster"
EOF
chmod +x "$work/bin/sbatch"
: > "$work/jobs.txt"
PATH="$work/bin:$PATH" SBATCH_STATE="$work" SBATCH_ARGS="--partition=test" bash "$submit" > "$work/submit.log"
test "$(wc -l < "$work/jobs.txt")" -eq $((runs + 1))
grep -q "^submitted $runs runs and the report (job $((runs + 1)))" "$work/submit.log"
echo "--plan slurm: $runs jobs and the report, each after the jobs of its encoders"

"$nanossl" "${study[@]}" > "$work/after.log"
grep -q 'done: 0 runs now' "$work/after.log" || { echo "the jobs left runs to train" >&2; exit 1; }
grep -q '^## Findings' "$work/study/report.md"
if grep -q '| not run |' "$work/study/report.md"; then echo "a finding was not checked" >&2; exit 1; fi
echo "after the jobs the study has nothing left to run; the report has every finding"

: > "$work/jobs.txt"
PATH="$work/bin:$PATH" SBATCH_STATE="$work" bash "$submit" > "$work/submit2.log"
test "$(grep -l 'finished already' "$work"/job-*.out | wc -l)" -eq "$runs"
echo "submitted again: every run is finished already"
