#!/usr/bin/env bash
# The four studies end to end on the smoke preset (CTest label: integration):
#   1. `study all --preset smoke` writes every table, plot and report.md, with numbers,
#      and (the scale trend) every table again at half the budget, each finding with
#      its verdict at both budgets;
#   2. killed midway (SIGKILL) and started again, it finishes without redoing the
#      runs that had finished;
#   3. started once more, it reuses every run; `nanossl report` rewrites the report;
#   4. the directory runs with its own copy of the command presets (OUT/presets/);
#   5. each run is announced as "run K/N" against the planning pass's count, which
#      matches the runs trained (after a kill too), with the study's ETA;
#   6. `--set method=moco` (domain study) and `method=byol` (quantity study) run
#      every pretraining with that method and the report names it; another --set
#      on the same directory is refused.
#   7. a copy kept without weights (scripts/keep_results.sh) reuses every run, and
#      retrains an encoder only for an evaluation that still has to run.
# Usage: cli_study.sh NANOSSL_BINARY WORK_DIR
set -euo pipefail
nanossl=$1
work=$2
keep_results="$(dirname "$0")/../scripts/keep_results.sh"
rm -rf "$work"
mkdir -p "$work"
study=(study all --preset smoke)

"$nanossl" "${study[@]}" --out "$work/a" > "$work/a.log"
for budget in "" half-budget/; do
  for table in quantity/accuracy.csv domain/matrix.csv domain/pools.csv domain/concat.csv quality/drops.csv \
               granularity/levels.csv; do
    test -s "$work/a/$budget$table"
    # every table holds at least one accuracy
    grep -Eq '[0-9]+\.[0-9]' "$work/a/$budget$table" || { echo "$budget$table holds no number" >&2; exit 1; }
  done
  for plot in quantity/accuracy.png domain/matrix.png quality/drops.png granularity/levels.png; do
    test "$(head -c 4 "$work/a/$budget$plot" | od -An -c | tr -d ' ')" = '211PNG' || { echo "$budget$plot is not a PNG" >&2; exit 1; }
  done
done
grep -q '^## At half the budget' "$work/a/report.md"
grep -q '](half-budget/quantity/accuracy.png)' "$work/a/report.md"
# every finding has a checked verdict at half the budget too
grep -q '| at half the budget |' "$work/a/report.md"
if grep -Eq '\| (not run: |– \|$)' "$work/a/report.md"; then echo "a finding was not checked at half the budget" >&2; exit 1; fi
# granularity scores every level of each hierarchy: shapes has three
grep -q '^shapes:320,shape,8,' "$work/a/granularity/levels.csv" || { echo "no shapes 'shape' level row" >&2; exit 1; }
grep -q '^## Findings' "$work/a/report.md"
for name in quantity domain quality granularity; do grep -q "^## $name" "$work/a/report.md"; done
# every finding was checked: its verdict is yes, no or inconclusive, none "not run"
if grep -q '| not run |' "$work/a/report.md"; then echo "a finding was not checked" >&2; exit 1; fi
total=$(grep -c '^\[study\] .*: .* s' "$work/a.log" || true)
echo "study all --preset smoke: $total runs, report with every table and plot"
# The planning pass counted exactly the runs trained, each numbered against that count.
planned() { sed -n 's/^\[study\] \([0-9]*\) runs to train or resume in this session\(: .*\)\{0,1\}$/\1/p' "$1"; }
# ... and said which: "N runs ...: 12 linear, 5 pretrain, ..., 5 half-budget pretrain, ..."
grep -q '^\[study\] [0-9]* runs to train or resume in this session: [0-9]* finetune, .* half-budget pretrain' "$work/a.log"
test "$(planned "$work/a.log")" -eq "$total" || { echo "planned $(planned "$work/a.log") runs, ran $total" >&2; exit 1; }
test "$(grep -c "^\[study\] run [0-9]*/$total (.*: .* s" "$work/a.log")" -eq "$total"
grep -q "^\[study\] run $total/$total (.*), study ETA [0-9hms]*: " "$work/a.log"
echo "every run numbered K/$total, the last with the study's ETA"

# Killed midway: after some runs have finished, SIGKILL, then start again.
"$nanossl" "${study[@]}" --out "$work/b" > "$work/b1.log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null && [ "$(ls "$work/b/runs" 2>/dev/null | wc -l)" -lt 8 ]; do sleep 0.05; done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
finished=$(ls "$work/b"/runs/*/result.json 2>/dev/null | wc -l)
"$nanossl" "${study[@]}" --out "$work/b" > "$work/b2.log"
rerun=$(grep -c '^\[study\] .*: .* s' "$work/b2.log" || true)
echo "killed after $finished finished runs; the restart ran $rerun of $total"
test "$(planned "$work/b2.log")" -eq "$rerun"  # the restart counts only what is left
test "$finished" -ge 1
test "$rerun" -le $((total - finished))
cmp <(grep -v '^Preset\|^Wall time' "$work/a/report.md" | grep -c '|') \
    <(grep -v '^Preset\|^Wall time' "$work/b/report.md" | grep -c '|')

# Started again: nothing to run. `nanossl report` rewrites the report from the runs.
"$nanossl" "${study[@]}" --out "$work/b" > "$work/b3.log"
grep -q 'done: 0 runs now' "$work/b3.log"
rm "$work/b/report.md"
"$nanossl" report "$work/b" > "$work/report.log"
grep -q '^## Findings' "$work/b/report.md"
echo "restart reuses every run; report rewritten"

# The study reads the presets pinned in OUT/presets/, not the repository's: change
# the pinned pretraining preset and the finished encoders no longer match it.
pinned="$work/b/presets/pretrain-smoke.json"
test -s "$pinned"
cp "$pinned" "$work/pinned.json"
sed -i 's/"temperature": [0-9.e+-]*/"temperature": 0.123/' "$pinned"
"$nanossl" report "$work/b" > "$work/report2.log"
grep -q '| not run |' "$work/b/report.md" || { echo "the pinned preset was not read" >&2; exit 1; }
cp "$work/pinned.json" "$pinned"
"$nanossl" report "$work/b" > "$work/report3.log"
if grep -q '| not run |' "$work/b/report.md"; then echo "restored pinned preset does not match its runs" >&2; exit 1; fi
echo "the study directory keeps its own presets"

# Results kept without weights (scripts/keep_results.sh) reuse every finished run;
# an evaluation removed from the copy is run again, and its encoder, whose weights
# were not kept, is trained again first (once), numbered in the planned count.
"$keep_results" "$work/b" "$work/kept" > "$work/kept.log"
if find "$work/kept" -path '*/checkpoints/*' -o -path '*/features/*' | grep -q .; then
  echo "keep_results copied checkpoints or cached features" >&2; exit 1
fi
"$nanossl" "${study[@]}" --out "$work/kept" > "$work/kept1.log"
grep -q 'done: 0 runs now' "$work/kept1.log"
# A probe of one pretrained encoder (not a concatenation of two).
probe=$(grep -l '"encoder2": ""' $(grep -l '"encoder": ".*pretrain-' "$work"/kept/runs/linear-*/config.json) | head -1)
encoder=$(sed -n 's/.*"encoder": ".*\/\(pretrain-[0-9a-f]*\)".*/\1/p' "$probe")
rm -r "$(dirname "$probe")"
"$nanossl" "${study[@]}" --out "$work/kept" > "$work/kept2.log"
grep -q "retraining $encoder, whose weights were not kept" "$work/kept2.log"
test "$(grep -c '^\[study\] .*: .* s' "$work/kept2.log")" -eq 2
test "$(planned "$work/kept2.log")" -eq 2
# The same config and seed train the same encoder: the probe scores what it did before the copy.
top1() { sed -n 's/.*"test_top1": \([0-9.e+-]*\).*/\1/p' "$1"; }
again=$(top1 "$(dirname "$probe")/result.json")
test -n "$again"
test "$again" = "$(top1 "$work/b/runs/$(basename "$(dirname "$probe")")/result.json")"
echo "kept results: every run reused; a removed probe runs again after its encoder is retrained"

# The other methods, one study each (their pretrainings all go through
# Study::pretrain): domain (pools, a shorter budget) with MoCo v2, quantity (nested
# subsets, fine-tuning) with BYOL. Every pretraining runs the method; the report names it.
for pair in moco:domain byol:quantity; do
  method=${pair%%:*} name_of_study=${pair#*:}
  case $method in moco) name="MoCo v2" ;; byol) name="BYOL" ;; esac
  "$nanossl" study "$name_of_study" --preset smoke --set method=$method --set scale_trend=false \
    --out "$work/$method" > "$work/$method.log"
  grep -q "Pretraining method: $name" "$work/$method/report.md"
  grep -q "^$name pretrained on" "$work/$method/report.md"
  if grep -q '| not run |' "$work/$method/report.md"; then echo "$method: a finding was not checked" >&2; exit 1; fi
  for config in "$work/$method"/runs/pretrain-*/config.json; do
    grep -q "\"method\": \"$method\"" "$config" || { echo "$config is not a $method run" >&2; exit 1; }
  done
  echo "study $name_of_study --set method=$method: every pretraining is $name, the report names it"
done
grep -q "^BYOL 320 + linear," "$work/byol/quantity/accuracy.csv"
# A directory keeps the settings it began with: another --set is refused, the same one reuses every run.
if "$nanossl" study domain --preset smoke --set method=byol --set scale_trend=false --out "$work/moco" \
    > "$work/refused.log" 2>&1; then
  echo "a study directory accepted other settings" >&2
  exit 1
fi
grep -q "other settings" "$work/refused.log"
"$nanossl" study domain --preset smoke --set method=moco --set scale_trend=false --out "$work/moco" \
  > "$work/moco-again.log"
grep -q 'done: 0 runs now' "$work/moco-again.log"
echo "a study directory keeps its settings"
