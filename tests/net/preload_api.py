"""The socket API as a program sees it through libsynack-preload.so (tests/net/t_preload.sh).

usage: python3 preload_api.py peer            the kernel side (run without LD_PRELOAD): TCP echo on
                                               7000 (IPv4 and IPv6), UDP echo on 7001; a TCP line
                                               "CONNECT HOST PORT" makes it connect there and send
                                               b"hello-from-kernel"
       python3 preload_api.py check K4 K6 S4  the checks, run under LD_PRELOAD; K4/K6 the kernel's
                                               addresses, S4 synack's IPv4 address
Each check prints "ok: ..." or "FAIL: ..." (exit 1). Every wait is bounded.
"""
import errno
import fcntl
import os
import select
import socket
import struct
import subprocess
import sys
import termios
import threading
import time

from checks import expect_errno, fail, ok  # noqa: E402  (tests/net/checks.py)

TCP_PORT, UDP_PORT = 7000, 7001


def peer():
    def echo(c):
        with c:
            c.settimeout(30)
            first = c.recv(65536)
            if first.startswith(b"CONNECT "):
                _, host, port = first.decode().split()
                with socket.create_connection((host, int(port)), timeout=10) as o:
                    o.sendall(b"hello-from-kernel")
                return
            data = first
            while data:
                c.sendall(data)
                data = c.recv(65536)

    def tcp():
        ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("::", TCP_PORT))
        ls.listen(64)
        while True:
            c, _ = ls.accept()
            threading.Thread(target=echo, args=(c,), daemon=True).start()

    def udp():
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        u.bind(("::", UDP_PORT))
        while True:
            data, addr = u.recvfrom(65536)
            u.sendto(data, addr)

    threading.Thread(target=udp, daemon=True).start()
    print("peer ready", flush=True)
    tcp()


def recv_exact(s, n, timeout=10):
    s.settimeout(timeout)
    out = b""
    while len(out) < n:
        d = s.recv(n - len(out))
        if not d:
            break
        out += d
    return out


def echo_check(s, data, what):
    s.sendall(data)
    if recv_exact(s, len(data)) != data:
        fail(what)


def check(k4, k6, s4):
    # Creation and identity.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) != socket.SOCK_STREAM:
        fail("SO_TYPE")
    if s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) != socket.AF_INET:
        fail("SO_DOMAIN")
    # What synack does not have fails cleanly.
    expect_errno(lambda: s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"sk0"), errno.ENOPROTOOPT,
                 "SO_BINDTODEVICE")
    expect_errno(lambda: s.setsockopt(socket.IPPROTO_TCP, 31, b"tls"), errno.ENOPROTOOPT, "TCP_ULP")
    # Options the stack has reach it: TCP_DEFER_ACCEPT's 5 s kept as SYN-ACK timeouts (1+2+4 s,
    # read back 7 as Linux does), TCP_WINDOW_CLAMP as set.
    s.setsockopt(socket.IPPROTO_TCP, 9, 5)
    if s.getsockopt(socket.IPPROTO_TCP, 9) != 7:
        fail("TCP_DEFER_ACCEPT 5 read back %d, want 7" % s.getsockopt(socket.IPPROTO_TCP, 9))
    s.setsockopt(socket.IPPROTO_TCP, 10, 20000)
    if s.getsockopt(socket.IPPROTO_TCP, 10) != 20000:
        fail("TCP_WINDOW_CLAMP 20000 read back %d" % s.getsockopt(socket.IPPROTO_TCP, 10))
    s.setsockopt(socket.IPPROTO_TCP, 9, 0)
    # TCP_MD5SIG reaches the stack: a key for no address family is refused as Linux refuses it.
    expect_errno(lambda: s.setsockopt(socket.IPPROTO_TCP, 14, b"\0" * 216), errno.EINVAL, "TCP_MD5SIG, family 0")
    expect_errno(lambda: s.getsockopt(socket.SOL_IP, 14), errno.ENOPROTOOPT, "IP_MTU")
    expect_errno(lambda: fcntl.ioctl(s.fileno(), 0x8921, b"\0" * 40), errno.ENOTTY, "SIOCGIFMTU ioctl")
    ok("unsupported options and calls fail with ENOPROTOOPT / ENOTTY / EINVAL")

    # A closed port: the kernel's RST.
    expect_errno(lambda: s.connect((k4, 7999)), errno.ECONNREFUSED, "connect to a closed port")
    s.close()
    ok("blocking connect to a closed port: ECONNREFUSED")

    # Non-blocking connect, poll for POLLOUT, SO_ERROR, names.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    rc = s.connect_ex((k4, TCP_PORT))
    if rc != errno.EINPROGRESS:
        fail("non-blocking connect returned %s, want EINPROGRESS" % errno.errorcode.get(rc, rc))
    p = select.poll()
    p.register(s, select.POLLOUT)
    ev = p.poll(5000)
    if not ev or not ev[0][1] & select.POLLOUT:
        fail("poll after connect: %r" % ev)
    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
        fail("SO_ERROR after connect")
    if s.getpeername() != (k4, TCP_PORT):
        fail("getpeername %r" % (s.getpeername(),))
    if s.getsockname()[0] != s4 or not 1024 <= s.getsockname()[1] <= 65535:
        fail("getsockname %r" % (s.getsockname(),))
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    if info[0] != 1:
        fail("TCP_INFO state %d, want 1 (ESTABLISHED)" % info[0])
    ok("non-blocking connect: EINPROGRESS, POLLOUT, SO_ERROR 0, names, TCP_INFO ESTABLISHED")

    expect_errno(lambda: s.recv(10), errno.EAGAIN, "recv with nothing to read")
    # epoll with a kernel pipe and the synack socket in one set, level- and edge-triggered.
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    ep.register(s.fileno(), select.EPOLLIN | select.EPOLLET)
    if ep.poll(0.2):
        fail("epoll reported an event with nothing ready")
    os.write(w, b"x")
    ev = ep.poll(2)
    if ev != [(r, select.EPOLLIN)]:
        fail("epoll with the pipe written: %r" % ev)
    os.read(r, 1)
    s.send(b"ping-1")
    ev = ep.poll(5)
    if len(ev) != 1 or ev[0][0] != s.fileno() or not ev[0][1] & select.EPOLLIN:
        fail("epoll after the echo: %r" % ev)
    time.sleep(0.1)
    n = struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
    if n != 6:
        fail("FIONREAD %d, want 6" % n)
    if ep.poll(0.2):
        fail("edge-triggered epoll reported the same data twice")
    if s.recv(100) != b"ping-1":
        fail("echo data")
    s.send(b"ping-2")
    ev = ep.poll(5)
    if len(ev) != 1 or ev[0][0] != s.fileno():
        fail("edge-triggered epoll missed new data: %r" % ev)
    if recv_exact(s, 6) != b"ping-2":
        fail("second echo")
    s.setblocking(False)
    ep.close()
    os.close(r)
    os.close(w)
    ok("epoll: kernel pipe and synack socket in one set; EPOLLET reports each arrival once; FIONREAD")

    # select, vectored I/O, MSG_PEEK.
    s.sendmsg([b"ab", b"cd", b"ef"])
    rd, _, _ = select.select([s], [], [], 5)
    if rd != [s]:
        fail("select did not report the echo")
    time.sleep(0.1)
    if s.recv(6, socket.MSG_PEEK) != b"abcdef":
        fail("MSG_PEEK")
    b1, b2 = bytearray(2), bytearray(10)
    nb, _, _, _ = s.recvmsg_into([b1, b2])
    if nb != 6 or bytes(b1) + bytes(b2[:4]) != b"abcdef":
        fail("recvmsg_into: %d %r %r" % (nb, b1, b2))
    ok("select, sendmsg/recvmsg_into with several buffers, MSG_PEEK")

    # Bulk echo, blocking with a timeout (poll-based in Python).
    blob = os.urandom(3 << 20)
    s.settimeout(20)
    t = threading.Thread(target=s.sendall, args=(blob,))
    t.start()
    back = recv_exact(s, len(blob), 20)
    t.join(20)
    if back != blob:
        fail("3 MiB echo: got %d bytes" % len(back))
    ok("3 MiB echoed with a sending and a receiving thread on one socket")

    # Half close: our FIN, the peer's, EOF and POLLRDHUP.
    s.shutdown(socket.SHUT_WR)
    p = select.poll()
    p.register(s, select.POLLIN | select.POLLRDHUP)
    ev = p.poll(5000)
    if not ev or not ev[0][1] & select.POLLRDHUP:
        fail("no POLLRDHUP after the peer's FIN: %r" % ev)
    if s.recv(10) != b"":
        fail("no EOF after the peer's FIN")
    s.close()
    ok("shutdown(SHUT_WR): the peer closes, POLLRDHUP, EOF")

    # SO_RCVTIMEO on a blocking socket.
    s = socket.create_connection((k4, TCP_PORT), timeout=5)
    s.settimeout(None)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 300000))
    t0 = time.monotonic()
    expect_errno(lambda: s.recv(10), errno.EAGAIN, "recv past SO_RCVTIMEO")
    dt = time.monotonic() - t0
    if not 0.25 <= dt <= 2.0:
        fail("SO_RCVTIMEO waited %.3f s, want 0.3" % dt)
    s.close()
    ok("SO_RCVTIMEO 0.3 s: EAGAIN after %.2f s" % dt)

    # IPv6.
    s6 = socket.create_connection((k6, TCP_PORT), timeout=5)
    echo_check(s6, b"over-ipv6", "IPv6 echo")
    s6.close()
    ok("IPv6 echo")

    # A listener: the kernel connects to it; accept with a timeout, then non-blocking EAGAIN.
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((s4, 0))
    ls.listen(8)
    port = ls.getsockname()[1]
    if ls.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) != 1:
        fail("SO_ACCEPTCONN")
    ctl = socket.create_connection((k4, TCP_PORT), timeout=5)
    ctl.sendall(("CONNECT %s %d" % (s4, port)).encode())
    ls.settimeout(10)
    c, addr = ls.accept()
    if addr[0] != k4:
        fail("accept address %r" % (addr,))
    if recv_exact(c, 17) != b"hello-from-kernel":
        fail("accepted connection data")
    c.close()
    ctl.close()
    ls.setblocking(False)
    expect_errno(lambda: ls.accept(), errno.EAGAIN, "accept with nothing queued")
    ls.close()
    ok("listen/accept: the kernel's connection accepted, data read; EAGAIN when none")

    # A closed descriptor is released: the kernel hands its number out again.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fd = s.fileno()
    s.close()
    r, w = os.pipe()
    if fd not in (r, w):
        fail("descriptor %d not reused after close (pipe got %d, %d)" % (fd, r, w))
    os.close(r)
    os.close(w)
    ok("close releases the descriptor number")

    # dup, dup2 and F_DUPFD_CLOEXEC: more descriptors for one socket; closing one leaves the others.
    s = socket.create_connection((k4, TCP_PORT), timeout=5)
    d1 = os.dup(s.fileno())
    d2 = fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, 200)
    if d2 < 200 or os.get_inheritable(d2):
        fail("F_DUPFD_CLOEXEC gave %d, inheritable %s" % (d2, os.get_inheritable(d2)))
    r, w = os.pipe()
    os.dup2(s.fileno(), w)  # onto a kernel descriptor: it is closed, then the socket's
    os.close(r)
    s.close()
    a = socket.socket(fileno=d1)
    a.settimeout(5)
    echo_check(a, b"through-dup", "echo through dup() after closing the original")
    a.close()
    b = socket.socket(fileno=d2)
    b.settimeout(5)
    echo_check(b, b"through-dupfd", "echo through F_DUPFD_CLOEXEC")
    b.close()
    c = socket.socket(fileno=w)
    c.settimeout(5)
    if c.type != socket.SOCK_STREAM or c.getpeername() != (k4, TCP_PORT):
        fail("dup2's copy: %r %r" % (c.type, c.getpeername()))
    echo_check(c, b"through-dup2", "echo through dup2() after closing the others")
    c.shutdown(socket.SHUT_WR)
    if c.recv(10) != b"":
        fail("no EOF through dup2's copy")
    c.close()
    ok("dup, dup2, F_DUPFD_CLOEXEC: one socket behind several descriptors, each close drops one")

    # SCM_RIGHTS: the parent passes a connection to a forked child over an AF_UNIX socketpair
    # and closes its own descriptor; the child adopts it and echoes on it.
    p_end, c_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            p_end.close()
            c_end.settimeout(10)
            msg, fds, _, _ = socket.recv_fds(c_end, 16, 1)
            if msg != b"take" or len(fds) != 1:
                code = 6
            else:
                t = socket.socket(fileno=fds[0])
                t.settimeout(5)
                if t.family != socket.AF_INET or t.type != socket.SOCK_STREAM:
                    code = 7
                else:
                    echo_check(t, b"passed-by-scm-rights" * 100, "echo on the passed connection")
                    t.close()
                    c_end.sendall(b"done")
        except (OSError, SystemExit) as e:
            print("child: %r" % e, flush=True)
            code = code or 8
        os._exit(code)
    c_end.close()
    s = socket.create_connection((k4, TCP_PORT), timeout=5)
    echo_check(s, b"before-passing", "echo before passing")
    if socket.send_fds(p_end, [b"take"], [s.fileno()]) != 4:
        fail("send_fds")
    s.close()  # the passed copy keeps the connection
    p_end.settimeout(15)
    if p_end.recv(4) != b"done":
        fail("the child did not echo on the passed connection")
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        fail("SCM_RIGHTS child: exit code %d" % os.waitstatus_to_exitcode(status))
    p_end.close()
    ok("SCM_RIGHTS: a connection passed to a forked child (sender's copy closed) echoes there")

    # fork: parent and child share the stack and the socket, as they would share a kernel socket.
    # The child echoes on the inherited connection, accepts nothing it should not, makes and uses a
    # connection of its own, and closes its copy: the parent's connection lives on (the child's
    # close drops only the child's reference). Then the parent closes first and the child goes on.
    s = socket.create_connection((k4, TCP_PORT), timeout=5)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(r)
            echo_check(s, b"from-the-child", "the child's echo on the inherited connection")
            c = socket.create_connection((k4, TCP_PORT), timeout=5)
            echo_check(c, b"child-own-connection" * 500, "the child's own connection")
            c.close()
            s.close()
            os.write(w, b"x")
        except OSError as e:
            print("child: %r" % e, flush=True)
            code = 3
        except SystemExit:
            code = 4
        os._exit(code)
    os.close(w)
    if os.read(r, 1) != b"x":
        fail("the forked child did not finish its checks")
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        fail("forked child: exit code %d" % os.waitstatus_to_exitcode(status))
    echo_check(s, b"after-fork", "the parent's connection after the child closed its copy")
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            time.sleep(0.3)  # the parent has closed its copy by now
            echo_check(s, b"child-after-parent-closed", "the child's copy after the parent's close")
            s.close()
        except (OSError, SystemExit) as e:
            print("child: %r" % e, flush=True)
            code = 5
        os._exit(code)
    s.close()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        fail("second forked child: exit code %d" % os.waitstatus_to_exitcode(status))
    ok("fork: parent and child share sockets; each close drops one reference; the child makes its own")

    # A child killed with its own connection open: its process slot is found gone (its wake
    # socket refuses), its references dropped, so the stack closes the connection as the kernel
    # closes a killed process's sockets: the kernel's side of it disappears (ss) within seconds.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            c = socket.create_connection((k4, TCP_PORT), timeout=5)
            echo_check(c, b"x", "the doomed child's echo")
            os.write(w, b"%8d" % c.getsockname()[1])
            time.sleep(30)
        finally:
            os._exit(0)
    os.close(w)
    port = int(os.read(r, 8))
    os.close(r)

    def kernel_conn():
        out = subprocess.run(["ss", "-tnH", "state", "established", "dst", "%s:%d" % (s4, port)],
                             capture_output=True, text=True, timeout=10).stdout
        return out.strip()

    if not kernel_conn():
        fail("the child's connection (port %d) is not seen established on the kernel's side" % port)
    os.kill(pid, 9)
    os.waitpid(pid, 0)

    deadline = time.time() + 8
    while kernel_conn() and time.time() < deadline:
        time.sleep(0.1)
    if kernel_conn():
        fail("the killed child's connection (port %d) is still established on the kernel's side" % port)
    ok("a killed child's connection is closed (its references dropped)")

    # UDP: datagrams to the kernel's echo, source address; ICMP port unreachable on a connected socket.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    u.sendto(b"dgram-1", (k4, UDP_PORT))
    data, src = u.recvfrom(100)
    if data != b"dgram-1" or src != (k4, UDP_PORT):
        fail("UDP echo %r from %r" % (data, src))
    u.close()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    u.connect((k4, 7998))
    u.send(b"nobody")
    expect_errno(lambda: u.recv(100), errno.ECONNREFUSED, "UDP recv after port unreachable")
    u.close()
    ok("UDP: echo with source address; connected socket gets ECONNREFUSED")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "peer":
        peer()
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4])
        print("all checks passed", flush=True)
    else:
        sys.exit(__doc__)
