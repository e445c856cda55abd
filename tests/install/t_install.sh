#!/usr/bin/env bash
# cmake --install puts the static and shared libraries, the headers and synack.pc under a
# prefix; a small program then builds against that copy through pkg-config and runs.
set -euo pipefail
command -v pkg-config >/dev/null || { echo "pkg-config missing: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A separate, plain build (no sanitizers) so the installed library links into a plain program.
cmake -S "$SYNACK_SOURCE_DIR" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DSYNACK_BENCH=OFF \
  -DCMAKE_INSTALL_PREFIX="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" -j 2 >/dev/null
cmake --install "$tmp/build" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -n1)
test -f "$tmp/prefix/include/synack/synack.h"
ls "$tmp"/prefix/lib*/libsynack.a "$tmp"/prefix/lib*/libsynack.so >/dev/null
# On Linux the preload library is installed too, exporting the calls it replaces and nothing of
# the synack library inside it (docs/preload.md).
if [ "$(uname -s)" = Linux ] && command -v nm >/dev/null; then
  pre=$(ls "$tmp"/prefix/lib*/libsynack-preload.so)
  syms=$(nm -D --defined-only "$pre" | awk '{ print $3 }')
  for f in socket connect accept4 recv send poll epoll_wait epoll_pwait2 close dup sendfile splice sendmmsg recvmmsg; do
    grep -qx "$f" <<<"$syms" || { echo "FAIL: libsynack-preload.so does not export $f"; exit 1; }
  done
  # here-strings, not `echo | grep -q`: with pipefail, grep -q leaving at its first match can
  # kill echo with SIGPIPE and fail the pipeline (a flaky "does not export" once the list grew)
  if grep -q '^synack_' <<<"$syms"; then echo "FAIL: libsynack-preload.so exports synack_* symbols"; exit 1; fi
fi
cat > "$tmp/hello.c" <<'C'
#include <stdio.h>
#include <synack/synack.h>
int main(void) {
  synack_config_t cfg;
  synack_config_default(&cfg);
  cfg.ip4 = synack_ip4(198, 18, 0, 1);
  if (synack_stack_new(&cfg, 0) != NULL || !synack_config_problem(&cfg)) return 1; /* no secret source */
  cfg.random = synack_random_os;
  synack_stack_t *st = synack_stack_new(&cfg, 0);
  if (!st) return 1;
  synack_ip_t dst = synack_ip4(198, 18, 0, 2);
  if (synack_stack_ping(st, 0, &dst, 1, 1, 8) != 0) return 1;
  synack_frame_t f;
  int frames = 0;
  while (synack_stack_poll_tx(st, 0, &f)) frames++; /* the ARP request */
  synack_stack_free(st);
  printf("frames=%d\n", frames);
  return frames == 1 ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$libdir"
cc=${CC:-cc}
# Shared library, then static.
$cc -std=c11 "$tmp/hello.c" -o "$tmp/hello" $(pkg-config --cflags --libs synack)
LD_LIBRARY_PATH="$(dirname "$libdir")" "$tmp/hello"
$cc -std=c11 "$tmp/hello.c" -o "$tmp/hello-static" $(pkg-config --cflags synack) "$(dirname "$libdir")/libsynack.a"
"$tmp/hello-static"
echo "install: ok"
