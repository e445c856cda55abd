#!/usr/bin/env python3
"""A tiny authoritative DNS responder for the net tests (kernel side of the namespace).

Usage: dns_responder.py ADDR [ADDR...] -- NAME=IP [NAME=IP...]
Listens on UDP port 53 of each ADDR and answers A / AAAA questions for the given names
(several NAME=IP pairs may share a name); other names get NXDOMAIN. One line per query
on stdout ("query NAME TYPE from ADDR:PORT"). Only for 198.18.0.0/15 and fd00::/8 test
addresses; it never forwards anything.
"""
import ipaddress
import select
import socket
import struct
import sys


def parse_question(msg):
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if flags & 0x8000 or qd != 1:
        return None
    off, labels = 12, []
    while True:
        if off >= len(msg):
            return None
        n = msg[off]
        if n == 0:
            off += 1
            break
        if n > 63 or off + 1 + n > len(msg):
            return None
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace").lower())
        off += 1 + n
    if off + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    return qid, flags, ".".join(labels), qtype, qclass, msg[12:off + 4]


def main():
    argv = sys.argv[1:]
    sep = argv.index("--")
    addrs, records = argv[:sep], {}
    for pair in argv[sep + 1:]:
        name, ip = pair.split("=", 1)
        records.setdefault(name.lower(), []).append(ipaddress.ip_address(ip))
    socks = []
    for a in addrs:
        fam = socket.AF_INET6 if ":" in a else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((a, 53))
        socks.append(s)
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select(socks, [], [], 60)
        if not ready:
            return  # idle for a minute: the test is over
        for s in ready:
            msg, peer = s.recvfrom(2048)
            q = parse_question(msg)
            if not q:
                continue
            qid, flags, name, qtype, qclass, question = q
            print("query %s %d from %s:%d" % (name, qtype, peer[0], peer[1]), flush=True)
            answers = []
            if name in records and qclass == 1:
                for ip in records[name]:
                    if qtype == 1 and ip.version == 4 or qtype == 28 and ip.version == 6:
                        answers.append(b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 60, len(ip.packed)) + ip.packed)
            rcode = 0 if name in records else 3
            hdr = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, len(answers), 0, 0)
            s.sendto(hdr + question + b"".join(answers), peer)


if __name__ == "__main__":
    main()
