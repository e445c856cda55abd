"""Opens N idle TCP connections from the kernel to synack (attack suite, t_idle_conns.sh).

usage: idle_conns.py N DST PORT SRC1,SRC2,... READY_FILE
Connects non-blocking from the given source addresses (round robin; the caller runs several
processes when N exceeds the descriptor limit). Each connection then sends one 16-byte request
and reads it back (synack serve --echo), so that it has moved data both ways before it goes
idle. Waits (bounded) until every connection has done so or failed, writes
"established E failed F pending P seconds S" to READY_FILE (E counts the connections whose echo
came back), then keeps the sockets open until killed.
"""
import errno
import resource
import selectors
import socket
import sys
import time

# Linux's IP_BIND_ADDRESS_NO_PORT (not in Python's socket module): bind() fixes the source
# address only and the port is picked at connect() from the whole 4-tuple. Without it every
# bind(addr, 0) searches the ephemeral range for a port free on that address, a search that
# grows with the sockets already bound: the connect rate fell to ~350/s at 100,000.
IP_BIND_ADDRESS_NO_PORT = 24
REQUEST = b"idle-conn-ping\r\n"

n, dst, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
srcs, ready = sys.argv[4].split(","), sys.argv[5]
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
if hard != resource.RLIM_INFINITY and n + 64 > hard:
    sys.exit("idle_conns.py: %d sockets exceed the descriptor limit %d: run more processes" % (n, hard))
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64 if hard == resource.RLIM_INFINITY else hard, hard))
sel = selectors.DefaultSelector()
socks, got = [], {}
pending = failed = done = 0
t0 = time.monotonic()
deadline = t0 + max(60, n / 50)


def finish(s, ok):
    global pending, failed, done
    sel.unregister(s)
    pending -= 1
    if ok:
        done += 1
    else:
        failed += 1


def step(timeout):
    for key, ev in sel.select(timeout=timeout):
        s = key.fileobj
        if key.data == "connect":
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                finish(s, False)
                continue
            try:
                sent = s.send(REQUEST)
            except OSError:
                finish(s, False)
                continue
            if sent != len(REQUEST):
                finish(s, False)
                continue
            got[s] = b""
            sel.modify(s, selectors.EVENT_READ, "echo")
        else:
            try:
                d = s.recv(len(REQUEST))
            except BlockingIOError:
                continue
            except OSError:
                d = b""
            if not d:
                finish(s, False)
                continue
            got[s] += d
            if len(got[s]) >= len(REQUEST):
                finish(s, got.pop(s) == REQUEST)


for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    s.bind((srcs[i % len(srcs)], 0))
    rc = s.connect_ex((dst, port))
    if rc not in (0, errno.EINPROGRESS):
        failed += 1
        s.close()
        continue
    socks.append(s)
    sel.register(s, selectors.EVENT_WRITE, "connect")
    pending += 1
    # At most 128 connections in flight, below synack's SYN backlog (256): a burst beyond it is
    # answered with SYN cookies, and a cookie connection whose final ACK is lost (the TAP's queue
    # overflows in a burst) exists for the kernel only until it sends something.
    while pending > 128 and time.monotonic() < deadline:
        step(0.5)
while pending and time.monotonic() < deadline:
    step(0.5)
with open(ready, "w") as f:
    f.write("established %d failed %d pending %d seconds %.1f\n" % (done, failed, pending, time.monotonic() - t0))
time.sleep(600)
