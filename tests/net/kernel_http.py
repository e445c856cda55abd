"""The kernel's HTTP sender for tests/net/t_impair_matrix.sh: what `python3 -m http.server -d DIR
-b :: PORT` does, with the listening socket's congestion control set (TCP_CONGESTION, inherited
by every accepted connection) so that the kernel sender runs the algorithm under comparison
instead of whatever the host's net.ipv4.tcp_congestion_control is (BBR on some hosts: it does
not reduce on random loss, so a CUBIC sender is not compared with a CUBIC one).

usage: python3 kernel_http.py DIR PORT CC     (CC "" keeps the host's default)
Prints "cc NAME" once listening: the algorithm the accepted connections will use."""
import functools
import http.server
import socket
import sys

directory, port, cc = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        if cc:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
        super().server_bind()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


srv = Server(("::", port), functools.partial(Quiet, directory=directory))
name = srv.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).split(b"\0")[0].decode()
print("cc", name, flush=True)
srv.serve_forever()
