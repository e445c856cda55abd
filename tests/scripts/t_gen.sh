#!/usr/bin/env bash
# The generated packet scripts (tests/scripts/gen.py) must be up to date: the checked-in .pkt
# files are exactly what the generator writes. Skipped (77) without python3.
set -u
command -v python3 >/dev/null 2>&1 || { echo "python3 not found"; exit 77; }
exec python3 "${SYNACK_SOURCE_DIR:?}/tests/scripts/gen.py" --check
