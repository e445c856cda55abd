#!/usr/bin/env bash
# Issue 13's impairment matrix, full: tests/net/t_impair_matrix.sh --full with the bench build's
# CLI. The same 20 MB file sent by synack (serve --http to curl) and by the kernel (http.server
# to synack get) through the TAP driver's loss / reordering / duplication in both directions,
# seven cells over IPv4 and IPv6; prints the table (goodput of both senders, retransmitted and
# lost segments, RTOs, the ratio synack/kernel). Root only; prints SKIPPED otherwise.
# Usage: bash bench/bench_impair_matrix.sh BUILD_DIR   (SYNACK_MATRIX_BYTES, SYNACK_MATRIX_CELLS,
# SYNACK_MATRIX_OUT as in the test script)
set -u
. "$(dirname "$0")/netns_lib.sh"
dir=${1:?usage: bench/bench_impair_matrix.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
bench_need_root bench_impair_matrix tun "for a namespace and a TAP"
bench_need_cli bench_impair_matrix "$dir"
SYNACK_SOURCE_DIR=$src SYNACK_CLI=$(cd "$dir" && pwd)/synack bash "$src/tests/net/t_impair_matrix.sh" --full
rc=$?
# 77: a tool is missing (curl, python3): a skip, not a failure of the benchmark.
[ "$rc" = 77 ] && exit 0
exit "$rc"
