#!/usr/bin/env bash
# --print-config on every command (CTest label: integration): each subcommand that
# `nanossl --help` lists, and each `data` subcommand, prints one JSON object and
# exits 0 without doing its work; values given on the command line and defaults
# both appear in it, typed.
# Usage: cli_print_config.sh NANOSSL_BINARY WORK_DIR
set -euo pipefail
nanossl=$1
work=$2
rm -rf "$work"
mkdir -p "$work/encoder"
cd "$work"

# The value at a dotted key of the JSON on stdin, as Python prints it.
value() { python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[k]
print(json.dumps(v))' "$1"; }
expect() { # what expected actual
  [ "$2" = "$3" ] || { echo "$1: expected $2, got $3" >&2; exit 1; }
}

# finetune resolves its model from its encoder, so it needs a finished pretraining.
"$nanossl" pretrain --preset pretrain-smoke --set epochs=1 --out encoder/ssl > encoder/ssl.log 2>&1 ||
  { echo "the smoke pretraining failed:" >&2; cat encoder/ssl.log >&2; exit 1; }

# Every command is covered: the list comes from the binary's own help.
commands=$("$nanossl" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF {print $1}')
[ -n "$commands" ] || { echo "no subcommands in --help" >&2; exit 1; }
for cmd in $commands; do
  case "$cmd" in
    linear | knn) args=(--encoder random) ;;
    finetune) args=(--encoder encoder/ssl) ;;
    predict) args=(--checkpoint runs/x) ;;
    report) args=(runs/study) ;;
    plot) args=(runs/a runs/b) ;;
    data) continue ;;
    *) args=() ;;
  esac
  "$nanossl" "$cmd" "${args[@]}" --print-config > "$cmd.json" || { echo "$cmd --print-config failed" >&2; exit 1; }
  python3 -c 'import json,sys; assert isinstance(json.load(open(sys.argv[1])), dict)' "$cmd.json" ||
    { echo "$cmd --print-config is not a JSON object:" >&2; cat "$cmd.json" >&2; exit 1; }
done
for sub in list "stats shapes" "inspect x.png" "preview shapes"; do
  # shellcheck disable=SC2086
  "$nanossl" data $sub --print-config | python3 -c 'import json,sys; assert isinstance(json.load(sys.stdin), dict)' ||
    { echo "data $sub --print-config failed" >&2; exit 1; }
done

# Typed values, from the command line and from the defaults.
expect "demo epochs" 3 "$("$nanossl" demo --epochs 3 --print-config | value epochs)"
expect "demo lr is a number" true "$("$nanossl" demo --print-config | value lr | python3 -c 'import sys; print(str(float(sys.stdin.read()) > 0).lower())')"
expect "predict checkpoint" '"runs/x"' "$("$nanossl" predict --checkpoint runs/x --print-config | value checkpoint)"
expect "plot runs" '["a", "b"]' "$("$nanossl" plot a b --print-config | value runs)"
expect "train epochs" 3 "$("$nanossl" train --preset train-smoke --set epochs=3 --print-config | value epochs)"
expect "study seeds" 2 "$("$nanossl" study --preset smoke --seeds 2 --print-config | value seeds)"
# Nothing ran: no run directory was made.
[ ! -e runs ] || { echo "--print-config wrote runs/" >&2; exit 1; }
echo "cli_print_config: every command prints its resolved configuration"
