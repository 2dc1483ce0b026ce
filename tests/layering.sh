#!/usr/bin/env bash
# The layers of docs/design.md, enforced: every #include "folder/..." in a layer's
# files must name that layer or one it is allowed to build on. A failure names the
# file, the line and the include that goes the wrong way.
# Usage: tests/layering.sh SOURCE_DIR
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

# layer: the folders it may include besides itself (bottom to top).
declare -A allowed=(
  [base]=""
  [cpu]="base"
  [cuda]="base cpu"  # cpu/ for the descriptor types it shares with its CPU references
  [tensor]="base cpu cuda"
  [autograd]="base cpu cuda tensor"
  [data]="base tensor"
  [nn]="base cpu cuda tensor autograd"
  [ssl]="base cpu cuda tensor autograd data nn"
  [commands]="base cpu cuda tensor autograd data nn ssl"
  [studies]="base cpu cuda tensor autograd data nn ssl commands"
  [cli]="base cpu cuda tensor autograd data nn ssl commands studies"
)

status=0
for layer in "${!allowed[@]}"; do
  [ -d "$layer" ] || { echo "layering: no folder $layer/"; status=1; continue; }
  while IFS=: read -r file line include; do
    target=${include#*\"}
    target=${target%%/*}
    [ "$target" = "$layer" ] && continue
    case " ${allowed[$layer]} " in *" $target "*) continue ;; esac
    echo "layering: $file:$line includes \"$target/...\", above $layer/ (allowed: ${allowed[$layer]:-nothing})"
    status=1
  done < <(grep -rnoE '^#include "[a-z_]+/' "$layer" || true)
done
[ $status -eq 0 ] && echo "layering: every include goes down the layers"
exit $status
