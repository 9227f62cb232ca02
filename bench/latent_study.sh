#!/usr/bin/env bash
# Measures classifier directions learned from pixel-attribute scores on face-dcgan-celeba:
# scores 2000 seeds, builds one classifier direction per attribute, localises it to the attribute's
# region, and measures both on 24 unseen seeds against random directions of the same length.
# Prints a Markdown table (docs/LATENTS.md) and writes sweep pictures into docs/images.
#
#   bench/latent_study.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-target/latent-study}
mkdir -p "$work"
cargo build --release --quiet
vs=target/release/vecspace
$vs latent score --seeds 0..1999 --out "$work/scores.csv" >/dev/null
row() {
    python3 - "$@" <<'PY'
import json, sys
attribute, accuracy, raw, local = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), sys.argv[4]
def moved(m, key):
    return sum(l[key][-1] - l[key][0] for l in m["latents"]) / len(m["latents"])
def cells(m):
    ratio = "–" if m["mean_outside_change"] is None else f'{m["mean_outside_change"] / m["random_mean_outside_change"]:.2f}×'
    return f'{m["mean_spearman"]:.3f} ({m["share_spearman_at_least_0_9"] * 100:.0f} %) | {moved(m, "scores"):+.3f} | {ratio}'
local_cells = "– | – | –" if local == "-" else cells(json.load(open(local)))
random = f'{raw["random_mean_spearman"]:+.2f} / {moved(raw, "random_scores"):+.3f}'
print(f"| {attribute} | {accuracy} | {cells(raw)} | {local_cells} | {random} |")
PY
}
echo "| attribute | held-out accuracy | ρ classifier (≥ 0.9) | score change | outside change vs random | ρ localised (≥ 0.9) | score change | outside change vs random | random: ρ / score change |"
echo "|---|---|---|---|---|---|---|---|---|"
for attribute in brightness background eye-darkness mouth-contrast; do
    direction="$work/$attribute.safetensors"
    accuracy=$($vs --space face-dcgan-celeba direction build --method classifier --scores "$work/scores.csv" \
        --column "$attribute" --out "$direction" 2>/dev/null | sed -n 's/.*held-out accuracy \(.*\)/\1/p')
    $vs latent measure --direction "$direction" --attribute "$attribute" --json 2>/dev/null >"$work/$attribute.json"
    local_report=-
    if [ "$attribute" != brightness ]; then
        $vs latent localize "$direction" --attribute "$attribute" --out "$work/$attribute-local.safetensors" 2>/dev/null >/dev/null
        $vs latent measure --direction "$work/$attribute-local.safetensors" --attribute "$attribute" --json \
            2>/dev/null >"$work/$attribute-local.json"
        local_report="$work/$attribute-local.json"
    fi
    row "$attribute" "$accuracy" "$work/$attribute.json" "$local_report"
done
for sweep in eye-darkness eye-darkness-local mouth-contrast-local; do
    $vs latent measure --direction "$work/$sweep.safetensors" --attribute "${sweep%-local}" \
        --sweeps "docs/images/sweep-$sweep.png" --rows 3 >/dev/null 2>&1
done
