"""The Linux side of the lifecycle interop tests: small kernel-socket clients and servers that
report what the kernel said (errno names, bytes, timings) on stdout, one line each.

usage: python3 peer.py ACTION [args]
  refused HOST PORT          connect to a closed port; prints the errno name
  reset HOST PORT            connect, send, then read until the peer aborts; prints the errno name
  echo HOST PORT NBYTES      send NBYTES, read them back, then close first; prints "echo ok N"
  fetch-close HOST PORT PATH HTTP/1.1 request with "Connection: close"; reads to EOF before closing;
                             prints "eof-first N" (the server closed first) and the body size
  handshake HOST PORT        times connect(); prints "connected SECONDS"
  serve-close PORT DELAY     accepts one connection, waits DELAY s, closes without reading; prints "closed"
  serve-echo PORT            accepts one connection, echoes until EOF, then closes; prints "served N"
  many HOST PORT N SECS MODE opens N connections at once (non-blocking), for at most SECS s; MODE
                             idle: then closes them all (the client closes first); request: sends
                             an HTTP/1.1 "Connection: close" request on each and waits for the
                             server's FIN (the server closes first). Prints "connected C eof E"
Every socket operation has a timeout so that no test can hang (PEER_TIMEOUT seconds, default 20).
With PEER_MD5_KEY set, client sockets sign with that key (RFC 2385, Linux's TCP_MD5SIG) for the
host they connect to; with PEER_AO_KEY they use TCP-AO instead (RFC 5925, Linux's TCP_AO_ADD_KEY:
SendID and RecvID 100, the algorithm PEER_AO_ALG, default "hmac(sha1)").
  ao-probe                   prints "supported" when the kernel has TCP-AO, else "unsupported"
"""
import errno
import os
import socket
import struct
import sys
import time

TIMEOUT = float(os.environ.get("PEER_TIMEOUT", "20"))
TCP_MD5SIG = 14  # <netinet/tcp.h>
TCP_AO_ADD_KEY = 38  # <linux/tcp.h> (6.7 on)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def md5sig(host, key):
    """struct tcp_md5sig: the peer as a sockaddr_storage, flags, prefix, key length, ifindex, key."""
    fam = family(host)
    addr = socket.inet_pton(fam, host)
    if fam == socket.AF_INET:
        sa = struct.pack("=H", fam) + struct.pack("!H", 0) + addr
    else:
        sa = struct.pack("=H", fam) + struct.pack("!HI", 0, 0) + addr + struct.pack("=I", 0)
    sa += bytes(128 - len(sa))
    return sa + struct.pack("=BBHI", 0, 0, len(key), 0) + key.ljust(80, b"\0")


def ao_add(host, key, alg):
    """struct tcp_ao_add: the peer as a sockaddr_storage, the algorithm's name, ifindex, the
    set_current / set_rnext bits, padding, prefix, SendID, RecvID, MAC length, flags, key length, key."""
    sa = md5sig(host, b"")[:128]
    bits = 128 if family(host) == socket.AF_INET6 else 32
    return (sa + alg.encode().ljust(64, b"\0") + struct.pack("=iIHBBBBBB", 0, 0, 0, bits, 100, 100, 12, 0, len(key))
            + key.ljust(80, b"\0"))


def conn(host, port):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    key = os.environ.get("PEER_MD5_KEY", "").encode()
    if key:
        s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, md5sig(host, key))
    ao = os.environ.get("PEER_AO_KEY", "").encode()
    if ao:
        s.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, ao_add(host, ao, os.environ.get("PEER_AO_ALG", "hmac(sha1)")))
    s.settimeout(TIMEOUT)
    s.connect((host, int(port)))
    return s


def errname(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__


def main(argv):
    act = argv[1]
    if act == "ao-probe":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, ao_add("198.18.0.2", b"probe", "hmac(sha1)"))
            print("supported")
        except OSError as e:
            print("supported" if e.errno != errno.ENOPROTOOPT else "unsupported")
    elif act == "refused":
        try:
            conn(argv[2], argv[3])
            print("connected")
        except socket.timeout:
            print("timeout")
        except OSError as e:
            print(errname(e))
    elif act == "reset":
        s = conn(argv[2], argv[3])
        s.sendall(b"hello\n")
        try:
            deadline = time.time() + TIMEOUT
            while time.time() < deadline:
                d = s.recv(4096)
                if not d:
                    print("EOF")
                    return
            print("timeout")
        except OSError as e:
            print(errname(e))
    elif act == "echo":
        n = int(argv[4])
        s = conn(argv[2], argv[3])
        data = bytes((i * 7) & 0xFF for i in range(n))
        s.sendall(data)
        got = b""
        while len(got) < n:
            d = s.recv(65536)
            if not d:
                break
            got += d
        s.close()
        print("echo ok %d" % len(got) if got == data else "echo mismatch %d" % len(got))
    elif act == "fetch-close":
        s = conn(argv[2], argv[3])
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % argv[4]).encode())
        got = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
        head, _, body = got.partition(b"\r\n\r\n")
        print("eof-first %d %s" % (len(body), head.split(b"\r\n")[0].decode()))
        s.close()
    elif act == "handshake":
        t = time.time()
        s = conn(argv[2], argv[3])
        print("connected %.3f" % (time.time() - t))
        s.close()
    elif act == "serve-close":
        ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("::", int(argv[2])))
        ls.listen(4)
        ls.settimeout(TIMEOUT)
        print("listening", flush=True)
        c, _ = ls.accept()
        time.sleep(float(argv[3]))
        c.close()
        print("closed", flush=True)
        time.sleep(1)
    elif act == "serve-echo":
        ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("::", int(argv[2])))
        ls.listen(4)
        ls.settimeout(TIMEOUT)
        print("listening", flush=True)
        c, _ = ls.accept()
        c.settimeout(TIMEOUT)
        n = 0
        while True:
            d = c.recv(65536)
            if not d:
                break
            n += len(d)
            c.sendall(d)
        c.close()
        print("served %d" % n, flush=True)
    elif act == "many":
        many(argv[2], int(argv[3]), int(argv[4]), float(argv[5]), argv[6])
    else:
        print("unknown action", act)
        return 2
    return 0


def many(host, port, n, secs, mode):
    import selectors
    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(n):
        s = socket.socket(family(host), socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        sel.register(s, selectors.EVENT_WRITE)
        socks.append(s)
    req = ("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host).encode()
    connected = eof = 0
    pending = n
    deadline = time.monotonic() + secs
    while pending and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=0.2):
            s = key.fileobj
            if ev & selectors.EVENT_WRITE:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    sel.unregister(s)
                    pending -= 1
                    continue
                connected += 1
                if mode == "request":
                    s.send(req)
                    sel.modify(s, selectors.EVENT_READ)
                else:
                    sel.unregister(s)
                    pending -= 1
            else:
                try:
                    d = s.recv(65536)
                except OSError:
                    d = b""
                if not d:
                    eof += 1
                    sel.unregister(s)
                    pending -= 1
    for s in socks:
        s.close()
    print("connected %d eof %d" % (connected, eof), flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
