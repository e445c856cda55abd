#!/usr/bin/env python3
"""Selects the scripts of tests/scripts that run against the Linux kernel (`synack drill
--target=kernel`, tests/scripts/t_kernel.sh): every script whose --profile= list names linux,
whose timeline is short enough for `make check` (real time: the last event's time, from its
absolute or relative times, at most --max seconds), and that kernel-differences.txt does not
list, nor one that sets a FreeBSD switch Linux lacks (it would be UNSUPPORTED). --long prints
the ones left out for their timeline instead (`make conformance`); --all the short ones, listed
or not, switches or not."""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# FreeBSD switches Linux does not have: a script setting one is UNSUPPORTED against the kernel
# (drill says so after setting up a namespace), so the selection leaves it out to save the time.
NO_LINUX = re.compile(r'net\.inet\.tcp\.(insecure_rst=1|insecure_syn=1|drop_synfin=1)')
TIME = re.compile(r'^\s*(\*|[+]?[0-9.]+)(?:~[+]?[0-9.]+)?(?:\.\.\.([+]?[0-9.]+))?\s')


def timeline(path):
    """Seconds from the first event to the last one (a blocking call counts to its end)."""
    t = prev = 0.0
    for line in open(path, encoding='utf-8', errors='replace'):
        m = TIME.match(line)
        if not m or m.group(1) == '*':
            continue
        v = m.group(1)
        try:
            start = prev + float(v[1:] or 0) if v.startswith('+') else float(v)
        except ValueError:
            continue
        end = start
        if m.group(2):
            e = m.group(2)
            end = start + float(e[1:] or 0) if e.startswith('+') else float(e)
        prev = start
        t = max(t, start, end)
    return t


def listed():
    out = {}
    for line in open(os.path.join(HERE, 'kernel-differences.txt'), encoding='utf-8'):
        line = line.strip()
        if line and not line.startswith('#'):
            out[line.split()[0]] = line
    return out


def main():
    args = sys.argv[1:]
    long_mode = '--long' in args
    every = '--all' in args  # the short ones, listed or not (t_kernel.sh --update)
    limit = 3.0
    if '--max' in args:
        limit = float(args[args.index('--max') + 1])
    root = os.path.dirname(os.path.dirname(HERE))
    known = listed()
    for d, _, files in sorted(os.walk(HERE)):
        for f in sorted(files):
            if not f.endswith('.pkt'):
                continue
            p = os.path.join(d, f)
            rel = os.path.relpath(p, root)
            text = open(p, encoding='utf-8', errors='replace').read()
            m = re.search(r'^--profile=(\S+)', text, re.M)
            if not m or 'linux' not in m.group(1).split(','):
                continue
            if rel in known and not every:
                continue
            if NO_LINUX.search(text) and not every:
                continue
            is_long = timeline(p) > limit
            if is_long == long_mode:
                print(rel)


main()
