"""Opens N idle TCP connections from the kernel to synack (attack suite, t_idle_conns.sh).

usage: idle_conns.py N DST PORT SRC1,SRC2,... READY_FILE
Connects non-blocking from the given source addresses (round robin; the caller runs several
processes when N exceeds the descriptor limit), waits (bounded) until every
connection is established or failed, writes "established E failed F seconds S" to READY_FILE,
then keeps the sockets open until killed.
"""
import errno
import resource
import selectors
import socket
import sys
import time

n, dst, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
srcs, ready = sys.argv[4].split(","), sys.argv[5]
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
if hard != resource.RLIM_INFINITY and n + 64 > hard:
    sys.exit("idle_conns.py: %d sockets exceed the descriptor limit %d: run more processes" % (n, hard))
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64 if hard == resource.RLIM_INFINITY else hard, hard))
sel = selectors.DefaultSelector()
socks, pending, failed = [], 0, 0
t0 = time.monotonic()
deadline = t0 + max(60, n / 50)
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((srcs[i % len(srcs)], 0))
    rc = s.connect_ex((dst, port))
    if rc not in (0, errno.EINPROGRESS):
        failed += 1
        s.close()
        continue
    socks.append(s)
    sel.register(s, selectors.EVENT_WRITE)
    pending += 1
    # At most 128 handshakes in flight, below synack's SYN backlog (256): a burst beyond it is
    # answered with SYN cookies, and a cookie connection whose final ACK is lost (the TAP's queue
    # overflows in a burst) exists for the kernel only until it sends something; idle, never.
    while pending > 128 and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            sel.unregister(key.fileobj)
            pending -= 1
            if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                failed += 1
while pending and time.monotonic() < deadline:
    for key, _ in sel.select(timeout=0.5):
        sel.unregister(key.fileobj)
        pending -= 1
        if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            failed += 1
established = len(socks) - failed - pending
with open(ready, "w") as f:
    f.write("established %d failed %d pending %d seconds %.1f\n" % (established, failed, pending, time.monotonic() - t0))
time.sleep(600)
