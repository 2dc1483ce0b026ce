#!/usr/bin/env bash
# Builds the CPU-only configuration with AddressSanitizer (LeakSanitizer included)
# and UndefinedBehaviorSanitizer into build-asan/ and runs the unit, gradcheck and
# integration suites under them; any report fails the test it happens in.
# Trimmed, for CI's time (each is 10-25x slower here and runs unsanitized in
# scripts/test.sh): the longest command-line tests (the smoke study, its plan as
# Slurm jobs, its HTML report in Chromium, the resume, interrupt and SSL round
# trips, the two write-fault runs, the README's first hour, whose commands the
# others cover, and --print-config on every command) and tests labelled slow.
# Built at -O1 (CMakeLists.txt: half the compile time). Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DNANOSSL_CUDA=OFF -DNANOSSL_BENCH=OFF \
  -DNANOSSL_SANITIZE=address,undefined
cmake --build build-asan -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -L "unit|gradcheck|integration" -LE slow \
  -E "cli\.(study_all_smoke|study_plan_slurm|report_html_in_chromium|train_resume_is_exact|interrupt_checkpoints_and_resumes|ssl_pretrain_resume_and_evaluate|write_faults_stop_and_resume|write_faults_full_tmpfs|first_hour|print_config_on_every_command)" "$@"
