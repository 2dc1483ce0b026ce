#!/usr/bin/env bash
# The README's "Your first hour" block, run as written (CTest label: integration):
# every line of the fenced block after the `<!-- first-hour` marker, with
# build/nanossl replaced by the binary under test, in an empty directory where
# my-images/ (four classes of PNGs and a hierarchy.txt) stands for the user's own
# images; then the files the README says each step writes are checked.
# Usage: cli_first_hour.sh NANOSSL_BINARY README WORK_DIR
set -euo pipefail
nanossl=$1
readme=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
cd "$work"

# The block: from the marker to the end of the first fenced block after it.
awk '/<!-- first-hour/ {found = 1; next}
     found && /^```/ {if (inside) exit; inside = 1; next}
     inside' "$readme" > block.sh
test "$(grep -c '^build/nanossl ' block.sh)" -ge 6 || { echo "the README's first-hour block is missing or short" >&2; exit 1; }
sed -i "s|^build/nanossl |\"$nanossl\" |" block.sh

# my-images/: 4 classes x 12 grey 20x20 PNGs (a bar whose angle is the class), and a
# hierarchy of two coarse classes; written with zlib only.
python3 - <<'PY'
import math, os, random, struct, zlib
def png(path, pixels, side):
    rows = b"".join(b"\0" + bytes(pixels[r * side:(r + 1) * side]) for r in range(side))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
rng = random.Random(0)
side = 20
for k, name in enumerate(["flat", "rising", "steep", "falling"]):
    os.makedirs(f"my-images/{name}", exist_ok=True)
    angle = k * math.pi / 4
    for i in range(12):
        pixels = []
        for y in range(side):
            for x in range(side):
                d = abs((x - side / 2) * math.sin(angle) - (y - side / 2) * math.cos(angle))
                pixels.append(min(255, int(220 * (d < 2) + rng.randint(0, 30))))
        png(f"my-images/{name}/{i:02d}.png", pixels, side)
with open("my-images/hierarchy.txt", "w") as f:
    f.write("# fine coarse\nflat level\nrising sloped\nsteep sloped\nfalling sloped\n")
PY

bash -euo pipefail block.sh > block.log 2>&1 || { cat block.log >&2; echo "the first-hour block failed" >&2; exit 1; }

# What the README says each step writes.
for f in runs/preview/samples.png runs/preview/corrupted.png runs/preview/views.png \
         runs/ssl/config.json runs/ssl/metrics.csv runs/ssl/result.json runs/ssl/plots/loss.png \
         runs/probe/result.json runs/floor/result.json runs/supervised/result.json runs/mine/result.json; do
  test -s "$f" || { echo "missing $f" >&2; exit 1; }
done
ls runs/ssl/checkpoints/* > /dev/null
# (result.json is written at a run's end: the resumed pretraining finished.)
# The own-images run was scored at both levels of its hierarchy.
python3 - <<'PY'
import json
mine = json.load(open("runs/mine/result.json"))
assert "test_top1" in mine, mine
levels = mine.get("test_top1_by_level", {})
assert set(levels) >= {"fine", "coarse"}, f"levels of the own-images run: {sorted(levels)}"
print("own images: fine", levels["fine"], "coarse", levels["coarse"])
PY
# Without channels the folder run is refused with the key that fixes it.
if "$nanossl" train --preset train-smoke --set "dataset=folder:my-images?size=32" --out runs/no-channels \
  > no-channels.log 2>&1; then
  echo "a folder of images without channels= was accepted" >&2; exit 1
fi
grep -q "folder:my-images.*--set channels=1 or 3" no-channels.log || { cat no-channels.log >&2; exit 1; }
echo "cli_first_hour: the README's first hour runs as written"
