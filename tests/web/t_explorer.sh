#!/usr/bin/env bash
# The explorer in a real browser: builds the WebAssembly page, serves it with `synack explore`,
# and drives Debian's Chromium (headless) with Selenium through every story of the catalogue,
# a click that loses a segment in each, a Linux kernel capture (pcap and pcapng), downloads,
# keys and a phone-width layout (tests/web/explorer_test.py says what is asserted).
# Skips (77) where Chromium, its driver, Selenium or the wasm toolchain are missing.
set -u
src=${SYNACK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${SYNACK_BINARY_DIR:-$src/build/release}
cli=${SYNACK_CLI:-$bin/synack}
skip() { echo "SKIP: $*"; exit 77; }
command -v chromium >/dev/null 2>&1 || skip "chromium is not installed (make deps installs it as root)"
command -v chromedriver >/dev/null 2>&1 || skip "chromium-driver is not installed"
/usr/bin/python3 -c 'import selenium' 2>/dev/null || skip "python3-selenium is not installed"
command -v wasm-ld >/dev/null 2>&1 && [ -f /usr/include/wasm32-wasi/stdio.h ] || skip "clang/lld/wasi-libc for wasm32 missing"

out=$bin/web-test
shots=$bin/web-shots
rm -rf "$shots"
mkdir -p "$shots"
# The native catalogue's own counts, to compare the page's against (in parallel with the build).
mkdir -p "$shots/native"
"$cli" scenario run all --quiet --out-dir "$shots/native" --json yes > "$shots/native.txt" 2>&1 &
native=$!
if ! JOBS=2 bash "$src/tools/web/build.sh" "$out" > "$shots/build.log" 2>&1; then
  cat "$shots/build.log"
  echo "FAIL: make web's build failed"
  exit 1
fi
wait $native || { cat "$shots/native.txt"; echo "FAIL: the native catalogue failed"; exit 1; }
echo "$(tail -1 "$shots/build.log")"
timeout 600 /usr/bin/python3 "$src/tests/web/explorer_test.py" --cli "$cli" --dir "$out" --src "$src" \
  --shots "$shots" --native "$shots/native.txt" --native-dir "$shots/native"
