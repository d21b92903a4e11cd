#!/bin/bash
# Deterministic cost of one screening: instructions, mispredicted conditional branches and L1 data read misses
# per document, simulated by valgrind's cachegrind. Unlike wall-clock time these do not move with the machine's
# ±30 % drift, so two commits can be compared by running this on each.
#
#   ./instructions.sh [shipped|10x] [messages|transactions]     (default: shipped messages)
#
# Needs valgrind (apt-get install -y valgrind). Runs the corpus 0 and 3 times; the difference is 3 passes.
set -euo pipefail
cd "$(dirname "$0")"
rules=${1:-shipped}; kind=${2:-messages}; rounds=3
command -v valgrind >/dev/null || { echo "valgrind not installed (apt-get install -y valgrind)" >&2; exit 2; }
swift build -c release --product screen-corpus >&2
binary=$(swift build -c release --show-bin-path)/screen-corpus
# valgrind cannot read the DWARF 5 Swift emits; symbols are enough.
stripped=$(mktemp)
trap 'rm -f "$stripped" "$stripped".*' EXIT
strip --strip-debug -o "$stripped" "$binary"
export SWIFT_DETERMINISTIC_HASHING=1
for n in 0 $rounds; do
    valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes --cachegrind-out-file=/dev/null \
        "$stripped" "$rules" "$kind" $n > "$stripped.out$n" 2> "$stripped.err$n"
done
python3 - "$stripped" $rounds "$rules" "$kind" <<'PY'
import re, sys
base, rounds, rules, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def counts(n):
    text = open(f"{base}.err{n}").read()
    number = lambda pattern: int(re.search(pattern, text).group(1).replace(",", ""))
    return (number(r"I\s+refs:\s+([\d,]+)"), number(r"Mispredicts:\s+[\d,]+\s+\(\s*([\d,]+) cond"),
            number(r"D1  misses:\s+[\d,]+\s+\(\s*([\d,]+) rd"))
documents = int(re.search(r"documents (\d+)", open(f"{base}.out{rounds}").read()).group(1))
a, b = counts(0), counts(rounds)
per = [(y - x) / (rounds * documents) for x, y in zip(a, b)]
print(f"{rules} rules, {documents} {kind}, per document: {per[0]:,.0f} instructions, "
      f"{per[1]:,.0f} mispredicted conditional branches, {per[2]:,.0f} L1 data read misses")
PY
