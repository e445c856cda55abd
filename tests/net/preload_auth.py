"""TCP MD5 signatures and TCP-AO through setsockopt under libsynack-preload.so (tests/net/t_preload_auth.sh).

usage: python3 preload_auth.py kserve PORT PEER KEY     kernel echo server whose listener signs with KEY
                                                       for PEER (TCP_MD5SIG); prints "ready"
       python3 preload_auth.py md5-echo HOST PORT KEY [PREFIX]
                                                       client (preloaded): TCP_MD5SIG for HOST (with
                                                       PREFIX: TCP_MD5SIG_EXT for HOST/PREFIX), echo
       python3 preload_auth.py md5-serve PORT PEER KEY server (preloaded): listener keyed for PEER,
                                                       echoes one connection; prints "ready"
       python3 preload_auth.py ao-echo HOST PORT KEY ALG
                                                       client (preloaded): TCP_AO_ADD_KEY (KeyIDs 100),
                                                       echo, TCP_AO_INFO counters, the errno of the
                                                       calls that must fail
       python3 preload_auth.py connect HOST PORT [md5|ao] KEY
                                                       prints "connected" or "timeout" (3 s)
The packing of the structures comes from peer.py. Every wait is bounded.
"""
import errno
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402  (md5sig, ao_add, family)
from checks import expect_errno, fail  # noqa: E402  (tests/net/checks.py)

TCP_MD5SIG, TCP_MD5SIG_EXT = 14, 32
TCP_AO_ADD_KEY, TCP_AO_DEL_KEY, TCP_AO_INFO = 38, 39, 40
N = 200000
DATA = bytes((i * 13 + 5) & 0xFF for i in range(N))


def md5_ext(host, key, prefix):
    """struct tcp_md5sig with TCP_MD5SIG_FLAG_PREFIX and a prefix length."""
    b = bytearray(peer.md5sig(host, key))
    b[128] = 1  # tcpm_flags = TCP_MD5SIG_FLAG_PREFIX
    b[129] = prefix
    return bytes(b)


def ao_del(host, sndid, rcvid):
    """struct tcp_ao_del: the address, ifindex, flag bits, padding, prefix, SendID, RecvID,
    current_key, rnext, keyflags (aligned to 8: 144 bytes)."""
    bits = 128 if peer.family(host) == socket.AF_INET6 else 32
    b = peer.md5sig(host, b"")[:128] + struct.pack("=iIHBBBBBB", 0, 0, 0, bits, sndid, rcvid, 0, 0, 0)
    return b + bytes(144 - len(b))


def echo(s):
    s.sendall(DATA)
    got = b""
    while len(got) < N:
        d = s.recv(65536)
        if not d:
            break
        got += d
    if got != DATA:
        fail("echo: %d bytes back, %s" % (len(got), "equal prefix" if DATA.startswith(got) else "different"))


def serve_echo(ls):
    print("ready", flush=True)
    c, _ = ls.accept()
    c.settimeout(30)
    with c:
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)


def listener(port, fam):
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
    ls.listen(8)
    ls.settimeout(60)
    return ls


def main(a):
    if a[1] == "kserve":
        port, host, key = int(a[2]), a[3], a[4].encode()
        ls = listener(port, peer.family(host))
        ls.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, peer.md5sig(host, key))
        while True:
            serve_echo(ls)
    elif a[1] == "md5-serve":
        port, host, key = int(a[2]), a[3], a[4].encode()
        ls = listener(port, peer.family(host))
        ls.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, peer.md5sig(host, key))
        serve_echo(ls)
    elif a[1] == "md5-echo":
        host, port, key = a[2], int(a[3]), a[4].encode()
        s = socket.socket(peer.family(host), socket.SOCK_STREAM)
        s.settimeout(20)
        if len(a) > 5:
            s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG_EXT, md5_ext(host, key, int(a[5])))
        else:
            s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, peer.md5sig(host, key))
        # Removing a key that is not there: ENOENT (keylen 0 removes).
        other = "198.18.1.9" if peer.family(host) == socket.AF_INET else "fd00::99"
        expect_errno(lambda: s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, peer.md5sig(other, b"")), errno.ENOENT,
                     "TCP_MD5SIG removing a key never set")
        # A socket signs with MD5 or TCP-AO, never both (RFC 5925 §2.2).
        expect_errno(lambda: s.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, peer.ao_add(host, key, "hmac(sha1)")),
                     errno.EKEYREJECTED, "TCP_AO_ADD_KEY on an MD5 socket")
        s.connect((host, port))
        echo(s)
        s.close()
        print("echo ok %d" % N, flush=True)
    elif a[1] == "ao-echo":
        host, port, key, alg = a[2], int(a[3]), a[4].encode(), a[5]
        s = socket.socket(peer.family(host), socket.SOCK_STREAM)
        s.settimeout(20)
        expect_errno(lambda: s.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, peer.ao_add(host, key, "md4")), errno.ENOENT,
                     "TCP_AO_ADD_KEY with an unknown algorithm")
        expect_errno(lambda: s.getsockopt(socket.IPPROTO_TCP, TCP_AO_INFO, 48), errno.ENOENT, "TCP_AO_INFO without keys")
        s.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, peer.ao_add(host, key, alg))
        expect_errno(lambda: s.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, peer.ao_add(host, key, alg)), errno.EEXIST,
                     "TCP_AO_ADD_KEY twice with the same KeyIDs")
        expect_errno(lambda: s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, peer.md5sig(host, key)), errno.EKEYREJECTED,
                     "TCP_MD5SIG on a TCP-AO socket")
        expect_errno(lambda: s.setsockopt(socket.IPPROTO_TCP, TCP_AO_DEL_KEY, ao_del(host, 7, 7)), errno.ENOENT,
                     "TCP_AO_DEL_KEY of a key never added")
        s.connect((host, port))
        echo(s)
        info = s.getsockopt(socket.IPPROTO_TCP, TCP_AO_INFO, 48)
        if len(info) != 48:
            fail("TCP_AO_INFO: %d bytes" % len(info))
        flags, _, cur, rnext, good, bad, nokey, req, _icmp = struct.unpack("=IHBBQQQQQ", info)
        if not flags & 1 or not flags & 2 or cur != 100 or rnext != 100:
            fail("TCP_AO_INFO flags %#x current %d rnext %d" % (flags, cur, rnext))
        if good < 10 or bad or nokey or req:
            fail("TCP_AO_INFO counters good %d bad %d key-not-found %d required %d" % (good, bad, nokey, req))
        expect_errno(lambda: s.setsockopt(socket.IPPROTO_TCP, TCP_AO_DEL_KEY, ao_del(host, 100, 100)), errno.EBUSY,
                     "TCP_AO_DEL_KEY of the key in use")
        s.close()
        print("echo ok %d good %d" % (N, good), flush=True)
    elif a[1] == "connect":
        host, port, kind, key = a[2], int(a[3]), a[4], a[5].encode()
        s = socket.socket(peer.family(host), socket.SOCK_STREAM)
        s.settimeout(3)
        if kind == "md5":
            s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, peer.md5sig(host, key))
        else:
            s.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, peer.ao_add(host, key, "hmac(sha1)"))
        try:
            s.connect((host, port))
            print("connected", flush=True)
        except socket.timeout:
            print("timeout", flush=True)
        except OSError as e:
            print(errno.errorcode.get(e.errno, str(e.errno)), flush=True)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
