#!/usr/bin/env bash
# Inventory at fleet scale: fills a store with simulated hosts x packages (default 5000 x 2000)
# and prints insert rate, store size per host and query latency. Figures only, no assertions.
#   bench/inventory_query.sh [BUILD_DIR]        SSHM_BENCH_HOSTS=N SSHM_BENCH_PACKAGES=M to resize
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build/dev}
unit=$build/tests/unit/sshm_unit
[ -x "$unit" ] || { echo "build the unit tests first: cmake --build $build --target sshm_unit" >&2; exit 1; }
exec "$unit" --no-skip -tc='bench: inventory*' --success=false
