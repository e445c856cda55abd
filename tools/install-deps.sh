#!/usr/bin/env bash
# Installs what the tests need (compilers, capture tools, renderers) when it is missing.
# Runs apt-get only as root; otherwise it names what is missing and goes on.
set -u
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have cmake    || need+=(cmake)
have gcc      || need+=(gcc)
have clang    || need+=(clang)
have tshark   || need+=(tshark)
have tcpdump  || need+=(tcpdump)
have pkg-config || need+=(pkg-config)
have ip       || need+=(iproute2)
have xmllint  || need+=(libxml2-utils)
have rsvg-convert || need+=(librsvg2-bin)
have curl     || need+=(curl)
have wrk      || need+=(wrk)           # interop load test (tests/net)
have ab       || need+=(apache2-utils) # make bench: ab against synack serve and nginx
have nginx || [ -x /usr/sbin/nginx ] || need+=(nginx) # make bench: the kernel baseline (bench/bench_http.sh)
have ping     || need+=(iputils-ping)  # ping both ways (tests/net)
have python3  || need+=(python3)       # http.server and errno checks in the namespace (tests/net)
# The AF_XDP driver (src/drivers/xdp, built when these are found) and its test (tests/net/t_xdp.sh):
# libxdp/libbpf, xdp-tools (xdp-loader status to inspect a device), ethtool (offloads off on the veth).
[ -f /usr/include/xdp/xsk.h ] || need+=(libxdp-dev)
[ -f /usr/include/bpf/libbpf.h ] || need+=(libbpf-dev)
have xdp-loader || need+=(xdp-tools)
have ethtool  || need+=(ethtool)
have nginx    || need+=(nginx)         # an unmodified server on libsynack-preload.so (tests/net/t_preload.sh)
have pgrep    || need+=(procps)        # nginx's worker processes (tests/net/t_preload_nginx.sh)
# The explorer in the browser (make web, tests/web): clang for wasm32 with the WASI libc and the
# compiler-rt builtins for wasm32, lld's wasm-ld; Debian's Chromium driven by Selenium.
have wasm-ld  || need+=(lld)
[ -f /usr/share/wasi-sysroot/include/stdio.h ] || [ -f /usr/include/wasm32-wasi/stdio.h ] || need+=(wasi-libc)
ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 || need+=(libclang-rt-14-dev-wasm32)
have chromium || need+=(chromium)
have chromedriver || need+=(chromium-driver)
/usr/bin/python3 -c 'import selenium' 2>/dev/null || need+=(python3-selenium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && have apt-get; then
  echo "install-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer once, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "install-deps: missing ${need[*]} (not root: tests that need them will skip)"
fi
exit 0
