#!/usr/bin/env bash
# Sets up, builds and runs the main job. Until the study drivers land this is the
# smallest end-to-end training the engine can run: `nanossl demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/nanossl demo "$@"
