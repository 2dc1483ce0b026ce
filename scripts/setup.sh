#!/usr/bin/env bash
# Installs the Debian packages nanossl builds and runs with. Idempotent: packages
# already present are not touched, so a second run takes a second. Needs root
# (or sudo) on Debian 12. numpy, PyTorch and torchvision are for the tests of
# python/nanossl_io.py (and PyTorch is the benchmarks' peer too). `--bench` adds the
# other benchmark peers (OpenBLAS, oneDNN, jemalloc), `--fuzz` clang with libFuzzer
# (fuzz/run.sh); the build and the tests need neither.
set -euo pipefail

packages=(cmake g++ make libgtest-dev nlohmann-json3-dev libcli11-dev zlib1g-dev
  libstb-dev libturbojpeg0-dev dataset-fashion-mnist
  fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf gnuplot-nox
  python3-numpy python3-torch python3-torchvision
  pkg-config dpkg-dev  # the install test (pkg-config) and the .deb's dpkg-shlibdeps
  chromium)  # the test that renders a study's report.html headless
for option in "$@"; do
  case "$option" in
    --bench) packages+=(libopenblas0-pthread libjemalloc2 libdnnl-dev) ;;
    --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    *) echo "setup: unknown option '$option' (expected --bench or --fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
