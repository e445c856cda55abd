#!/usr/bin/env bash
# Builds the explorer in the browser (`make web`): the core, the simulator, the pcap reader and
# writer, the scenario catalogue and the views compiled for wasm32-wasi with clang, wasi-libc and
# lld (Debian packages clang, lld, wasi-libc, libclang-rt-14-dev-wasm32), plus the page's static
# files, into OUT (default build/web). Nothing is fetched at run time: the folder is the site.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$src/build/web}
obj=$out/obj
mkdir -p "$out" "$obj"
CC=${WASM_CC:-clang}
rt=$($CC --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null || true)
if ! command -v wasm-ld >/dev/null 2>&1 || [ ! -f /usr/include/wasm32-wasi/stdio.h ] || [ ! -f "$rt" ]; then
  echo "web: needs clang, lld, wasi-libc and libclang-rt-14-dev-wasm32 (make deps installs them as root)" >&2
  exit 1
fi
flags=(--target=wasm32-wasi -std=c11 -Os -Wall -Wextra -Werror -Wswitch-enum -Wshadow -Wpointer-arith
       -Wstrict-prototypes -Wmissing-prototypes -Wvla -DNDEBUG
       -I"$src/include" -I"$src/src/core" -I"$src/src" -I"$src/tools" -I"$src/tools/views"
       -I"$src/tools/scenario" -I"$src/tools/web")
# The CLI entry points (scenario_cli.c's command, demo.c, the capture commands) link in but are
# dropped by the linker: nothing the page calls reaches them.
sources=("$src"/src/core/*.c "$src"/src/drivers/sim/*.c "$src"/src/drivers/pcap/*.c
         "$src"/tools/scenario/*.c "$src"/tools/views/ladder.c "$src"/tools/views/svg_ladder.c
         "$src"/tools/views/tsg.c "$src"/tools/views/pcapconn.c "$src"/tools/web/web_api.c
         "$src"/tools/web/web_wasm.c)
# Objects are reused only when no source or header changed since they were built (a digest of
# them all, taken before compiling: a change during the build is caught the next time).
digest=$( (cat "${sources[@]}"; find "$src/include" "$src/src" "$src/tools" -name '*.h' -print0 | sort -z | xargs -0 cat) \
          | sha1sum | cut -d' ' -f1)
if [ "$(cat "$obj/digest" 2>/dev/null)" != "$digest" ]; then rm -f "$obj"/*.o "$obj/digest"; fi
objs=()
pids=()
for f in "${sources[@]}"; do
  o=$obj/$(basename "$(dirname "$f")")_$(basename "$f" .c).o
  objs+=("$o")
  if [ ! -f "$o" ]; then
    $CC "${flags[@]}" -c "$f" -o "$o" &
    pids+=($!)
    if [ ${#pids[@]} -ge "${JOBS:-2}" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  fi
done
for p in "${pids[@]}"; do wait "$p"; done
# demo.c and the CLI table reference commands the module does not carry: leave them out.
link=()
for o in "${objs[@]}"; do case $o in *scenario_demo.o) ;; *) link+=("$o") ;; esac; done
$CC --target=wasm32-wasi -mexec-model=reactor -Os -Wl,--strip-all -Wl,--gc-sections \
    -o "$out/synack.wasm" "${link[@]}" -lm
echo "$digest" > "$obj/digest"
cp "$src"/tools/web/index.html "$src"/tools/web/explorer.js "$src"/tools/web/explorer.css "$out/"
echo "web: $out ($(stat -c %s "$out/synack.wasm") bytes of wasm); serve it with: synack explore --dir $out"
