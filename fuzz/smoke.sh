#!/usr/bin/env bash
# Builds every fuzz target once (cargo-fuzz's default: release with debug assertions, AddressSanitizer)
# and runs each for N seconds (default 20) on its seed corpus and its regression inputs.
# Exits non-zero when any target crashes, times out or runs out of memory, or when the tools are missing.
#
#   fuzz/smoke.sh [SECONDS]        (or FUZZ_SECONDS=N)
#   FUZZ_TARGETS="core_expr lm_gguf" fuzz/smoke.sh 60     only these targets
#
# New inputs found along the way go to a temporary folder, not into corpus/.
set -uo pipefail
cd "$(dirname "$0")"

seconds="${1:-${FUZZ_SECONDS:-20}}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "smoke.sh: SECONDS must be a whole number, not $seconds" >&2
  exit 2
fi
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "smoke.sh: the nightly Rust toolchain is missing: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "smoke.sh: cargo-fuzz is missing: cargo install cargo-fuzz" >&2
  exit 2
fi

targets="${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}"
echo "== building the fuzz targets"
if ! cargo +nightly fuzz build; then
  echo "smoke.sh: the fuzz targets do not build" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
start=$SECONDS
for target in $targets; do
  echo "== $target: ${seconds}s"
  mkdir -p "$work/$target"
  dirs=("$work/$target" "corpus/$target")
  if [ -d "regressions/$target" ]; then
    dirs+=("regressions/$target")
  fi
  timeout=10
  [ "$target" = server_api ] && timeout=30
  if ! cargo +nightly fuzz run "$target" "${dirs[@]}" -- \
    -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -print_final_stats=1 >"$work/$target.log" 2>&1; then
    failed+=("$target")
    tail -n 60 "$work/$target.log"
    echo "== $target FAILED (the input is kept under fuzz/artifacts/$target/)"
  else
    grep -E '^(Done|#[0-9]+ +DONE)' "$work/$target.log" | tail -n 1
  fi
done

echo "== $(wc -w <<<"$targets") targets in $((SECONDS - start))s of fuzzing"
if [ ${#failed[@]} -gt 0 ]; then
  echo "smoke.sh: failed: ${failed[*]}" >&2
  exit 1
fi
echo "smoke.sh: no crash"
