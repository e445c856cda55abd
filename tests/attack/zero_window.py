"""Zero-window clients for the orphan attack (t_orphans.sh).

usage: zero_window.py N DST PORT PATH READY_FILE
Opens N connections with the smallest receive buffer the kernel allows, sends one request each
("Connection: close") and never reads: the kernel's window closes after a few kilobytes and it
answers every window probe with window 0. Writes "sent N" to READY_FILE, then sleeps until killed.
"""
import socket
import sys
import time

n, dst, port, path, ready = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    s.settimeout(5)
    s.connect((dst, port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
    socks.append(s)
with open(ready, "w") as f:
    f.write("sent %d\n" % len(socks))
time.sleep(900)
