#!/usr/bin/env bash
# Inversion on face-dcgan-celeba: how close the faces of known latents come back (ten seeds the
# search never drew), and how close a real photograph gets (the astronaut in scikit-image's
# data, its face cropped), at the default search and at a longer one; then the found latent of
# the photograph edited with the smile direction of docs/LATENTS.md. Prints Markdown tables for
# docs/LATENTS.md and draws the pictures into docs/images.
#
#   bench/invert_study.sh [WORK_DIR]      (VECSPACE_BIN=path/to/vecspace skips the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-target/invert-study}
mkdir -p "$work"
vs=${VECSPACE_BIN:-}
if [ -z "$vs" ]; then
    cargo build --release --quiet
    vs=target/release/vecspace
fi
lscpu | sed -n 's/^Model name: *//p'
photo=$($vs fetch astronaut-photo | tail -1 | sed 's/.* in //')
crop=135,10,180
report() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
label, path, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
for image in json.load(open(path))["images"]:
    print(f'| {label} | {image["image"]} | {image["rms_levels"]:.1f} | {image["mean_abs_levels"]:.1f} | {image["latent_norm"]:.2f} | {seconds} s |')
PY
}
timed() {
    local started=$SECONDS
    "$@" 2>/dev/null
    echo $((SECONDS - started)) >"$work/seconds"
}
echo "| search | image | rms (levels of 255) | mean absolute | z norm | time |"
echo "|---|---|---|---|---|---|"
$vs latent sample --seeds 1000..1009 --out "$work/seeds/" 2>/dev/null
timed $vs --json latent invert "$work"/seeds/*.png --out "$work/seeds.npy" >"$work/seeds.json"
report "default, ten seeds side by side" "$work/seeds.json" "$(cat "$work/seconds")"
timed $vs --json latent invert "$photo" --crop "$crop" --out "$work/astronaut.npy" >"$work/astronaut.json"
report "default (300 steps, 4 starts)" "$work/astronaut.json" "$(cat "$work/seconds")"
timed $vs --json latent invert "$photo" --crop "$crop" --steps 1000 --starts 8 --out "$work/astronaut-long.npy" \
    >"$work/astronaut-long.json"
report "1000 steps, 8 starts" "$work/astronaut-long.json" "$(cat "$work/seconds")"
timed $vs --json latent invert "$photo" --out "$work/astronaut-whole.npy" >"$work/astronaut-whole.json"
report "default, the whole picture" "$work/astronaut-whole.json" "$(cat "$work/seconds")"
cp "$work/astronaut-long-compare.png" docs/images/invert-astronaut.png
$vs --space face-dcgan-celeba direction build --out smile --method mean-diff --force \
    --positive seed:0 seed:4 seed:8 seed:9 seed:18 seed:24 --negative seed:5 seed:6 seed:7 seed:21 seed:30 seed:13 \
    2>/dev/null
$vs latent edit z:0 --z-file "$work/astronaut-long.npy" --direction smile --range=-4..4 --steps 5 \
    --out docs/images/invert-astronaut-smile.png 2>/dev/null
