#!/usr/bin/env bash
# A study's report.html in a real browser (CTest label: integration): the smoke
# quantity and granularity studies, then headless Chromium (Debian's `chromium`)
#   1. loads a copy of the page with a checker script appended, which records on
#      the page any script error and every image that failed to decode; the DOM
#      it dumps must say "errors 0" and as many decoded images as report.md has;
#   2. renders the page itself to a screenshot (kept in WORK_DIR/report.png to look at).
# Exits 77 (skipped) where chromium is not installed (scripts/setup.sh installs it).
# Usage: cli_report_html.sh NANOSSL_BINARY WORK_DIR
set -euo pipefail
nanossl=$1
work=$2
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium is not installed: skipped"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
for name in quantity granularity; do
  "$nanossl" study "$name" --preset smoke --set scale_trend=false --out "$work/study" > "$work/$name.log"
done
page="$work/study/report.html"
test -s "$page"
images=$(grep -o '!\[' "$work/study/report.md" | wc -l)
test "$images" -ge 4  # accuracy, levels and the pretraining curves
grep -q 'class="verdict ' "$page"
grep -q '<a href="runs/pretrain-[0-9a-f]*/config.json">' "$page"

# Chromium's sandbox needs user namespaces, which CI containers (root) lack.
run_browser() {
  "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --hide-scrollbars \
    --virtual-time-budget=10000 "$@" 2> "$work/chromium.log"
}
checked="$work/study/report-checked.html"
sed 's|</body>|<script>\
  let errors = 0;\
  window.addEventListener("error", () => { errors += 1; }, true);\
  window.addEventListener("load", () => {\
    const all = Array.from(document.images);\
    const decoded = all.filter((img) => img.complete \&\& img.naturalWidth > 0).length;\
    document.body.setAttribute("data-check", `errors ${errors} images ${all.length} decoded ${decoded}`);\
  });\
</script></body>|' "$page" > "$checked"
run_browser --dump-dom "file://$checked" > "$work/dom.html"
grep -o 'data-check="[^"]*"' "$work/dom.html" > "$work/check.txt" || { echo "the checker did not run" >&2; cat "$work/chromium.log" >&2; exit 1; }
test "$(cat "$work/check.txt")" = "data-check=\"errors 0 images $images decoded $images\"" || {
  echo "report.html in chromium: $(cat "$work/check.txt"), expected $images images, all decoded" >&2; exit 1; }

run_browser --screenshot="$work/report.png" --window-size=1280,2400 "file://$page"
test "$(head -c 4 "$work/report.png" | od -An -c | tr -d ' ')" = '211PNG'
echo "report.html: $images images embedded and decoded, no script errors; screenshot $work/report.png"
