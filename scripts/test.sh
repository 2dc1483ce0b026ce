#!/usr/bin/env bash
# Sets up, builds and runs every test (CTest labels: unit, gradcheck, cuda,
# integration). Extra arguments go to ctest, e.g. `scripts/test.sh -L gradcheck`.
# cuda tests skip themselves where no GPU is present.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
