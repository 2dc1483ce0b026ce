#!/usr/bin/env bash
# Configures and builds nanossl into build/ (Release). The CUDA backend is built
# when nvcc is found (NANOSSL_CUDA=AUTO); pass extra CMake flags in
# NANOSSL_CMAKE_ARGS, e.g. NANOSSL_CMAKE_ARGS="-DNANOSSL_CUDA=OFF".
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a extra <<< "${NANOSSL_CMAKE_ARGS:-}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${extra[@]}"
cmake --build build -j"$(nproc)"
