#!/usr/bin/env bash
# `synack serve --idle-timeout` (the slowloris defence, tools/apps/app_serve.c): with a 2 s
# timeout, from the kernel side,
#   1. an idle keep-alive connection (its response read) is closed with a FIN: EOF;
#   2. a slowloris client trickling a request head, a line every 0.5 s, never completing it, is
#      reset (RST) although bytes keep arriving;
#   3. a client sending a complete request every second keeps its connection (progress);
#   4. a client that requests a 4 MB file and reads nothing (zero window) is reset;
# and the counters (idle-closed 1, idle-reset 2) appear in the SIGUSR1 dump. Each case prints
# how long after its last progress the close came.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require python3
net_setup
echo "<html>hi</html>" >"$NET_TMP/index.html"
head -c 4000000 /dev/zero >"$NET_TMP/big.bin"
net_serve 8090 --http "$NET_TMP" --quiet --idle-timeout 2
grep "limits:" "$NET_TMP/serve.log" | grep -q "idle-timeout 2.0 s" || fail "limits line without the idle timeout"

out=$(net_in timeout 60 python3 - "$SADDR4" <<'PY'
import socket, sys, time
host = sys.argv[1]
REQ = b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"

def conn():
    s = socket.create_connection((host, 8090), timeout=10)
    s.settimeout(10)
    return s

def read_response(s):
    data = b""
    while b"</html>" not in data:
        d = s.recv(4096)
        if not d:
            raise SystemExit("EOF before the response")
        data += d

def wait_close(s, since):
    # "FIN" when recv returns EOF, "RST" on a reset; the seconds since the last progress.
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return "FIN", time.time() - since
    except ConnectionResetError:
        return "RST", time.time() - since
    except socket.timeout:
        return "none", time.time() - since

# 1. idle keep-alive
s = conn(); s.sendall(REQ); read_response(s)
how, t = wait_close(s, time.time())
print("keepalive %s %.1f" % (how, t))

# 2. slowloris: header lines forever, never the blank line
s = conn(); s.sendall(b"GET /index.html HTTP/1.1\r\n"); start = time.time()
how = "none"
for i in range(40):
    try:
        s.sendall(b"X-a: b\r\n")
    except (BrokenPipeError, ConnectionResetError):
        how = "RST"; break
    s.settimeout(0.5)
    try:
        d = s.recv(100)
        how = "FIN" if not d else "data"; break
    except socket.timeout:
        pass
    except ConnectionResetError:
        how = "RST"; break
print("slowloris %s %.1f" % (how, time.time() - start))

# 3. a request a second for 5 s: never idle
s = conn()
ok = True
for i in range(5):
    s.sendall(REQ); read_response(s); time.sleep(1.0)
s.sendall(REQ); read_response(s)
print("active open")
s.close()

# 4. zero window: request a large file and never read
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(10); s.connect((host, 8090))
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"); start = time.time()
time.sleep(6)
how, t = wait_close(s, start)
print("zerowindow %s" % how)
PY
) || { echo "$out"; fail "client failed"; }
echo "$out"
echo "$out" | grep -qE "^keepalive FIN (1\.[5-9]|[2-4]\.)" || fail "idle keep-alive connection not closed with a FIN after ~2 s"
echo "$out" | grep -qE "^slowloris RST ([1-5]\.)" || fail "slowloris connection not reset"
echo "$out" | grep -q "^active open" || fail "active connection closed"
echo "$out" | grep -q "^zerowindow RST" || fail "zero-window connection not reset"
kill -USR1 "$SERVE_PID"
net_wait 5 grep -q "^end-of-stats" "$NET_TMP/serve.log" || fail "no stats dump"
grep "serve-stats:" "$NET_TMP/serve.log" | tail -1
grep "serve-stats:" "$NET_TMP/serve.log" | tail -1 | grep -q "idle-closed 1 idle-reset 2" || fail "idle counters wrong"
echo "ok: idle timeout"
exit 0
