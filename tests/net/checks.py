"""Verdict helpers shared by the Python test programs of tests/net (preload_api.py,
preload_auth.py): a failure ends the program with a FAIL line the shell test prints."""
import errno
import sys


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def ok(msg):
    print("ok: " + msg, flush=True)


def expect_errno(fn, want, what):
    """fn() must raise OSError with errno `want`."""
    try:
        fn()
    except OSError as e:
        if e.errno != want:
            fail("%s: errno %s, want %s" % (what, errno.errorcode.get(e.errno, e.errno), errno.errorcode[want]))
        return
    fail("%s: succeeded, want %s" % (what, errno.errorcode[want]))
