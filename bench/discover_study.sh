#!/usr/bin/env bash
# Directions found without labels on face-dcgan-celeba (SeFa and GANSpace), named by measuring
# them: each of the first five is swept over 24 unseen seeds and scored with every pixel
# attribute against random directions of the same length (`latent measure`). Prints a Markdown
# table (docs/LATENTS.md) and draws each method's sheet into docs/images.
#
#   bench/discover_study.sh [WORK_DIR]      (VECSPACE_BIN=path/to/vecspace skips the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-target/discover-study}
mkdir -p "$work"
vs=${VECSPACE_BIN:-}
if [ -z "$vs" ]; then
    cargo build --release --quiet
    vs=target/release/vecspace
fi
attributes="brightness background eye-darkness mouth-contrast"
echo "| direction | share | $(for a in $attributes; do printf '%s: ρ / change | ' "$a"; done)"
echo "|---|---|$(for _ in $attributes; do printf -- '---|'; done)"
for method in sefa ganspace; do
    $vs --space face-dcgan-celeba --json direction discover --method "$method" --top 5 --prefix "$method" --force \
        --sheet "docs/images/discover-$method.png" --seeds 0,1,2 --range=-3..3 --steps 5 \
        2>/dev/null >"$work/$method.json"
    for k in 1 2 3 4 5; do
        for attribute in $attributes; do
            $vs latent measure --direction "$method$k" --attribute "$attribute" --json 2>/dev/null \
                >"$work/$method$k-$attribute.json"
        done
        python3 - "$work" "$method" "$k" $attributes <<'PY'
import json, sys
work, method, k, attributes = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
found = json.load(open(f"{work}/{method}.json"))[k - 1]
def moved(m, key):
    return sum(l[key][-1] - l[key][0] for l in m["latents"]) / len(m["latents"])
cells = []
for attribute in attributes:
    m = json.load(open(f"{work}/{method}{k}-{attribute}.json"))
    cells.append(f'{m["mean_spearman"]:+.2f} / {moved(m, "scores"):+.3f} (random {moved(m, "random_scores"):+.3f})')
print(f'| @{method}{k} | {found["share"] * 100:.1f} % | ' + " | ".join(cells) + " |")
PY
    done
done
