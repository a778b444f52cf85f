#!/usr/bin/env python3
"""Runs a command (an sshd) as a child subreaper: every process it starts that outlives its
parent (a wrapper's background watchdog, say) is reaped here, so the CPU of the whole tree is
accounted. On SIGUSR1 it writes to OUT the CPU seconds of that tree so far: the command's own
user+sys, the children it reaped (cutime+cstime from /proc), and the orphans reaped here.

    subreaper.py OUT COMMAND ARGS...
"""
import ctypes, os, signal, sys

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
out = sys.argv[1]
child = os.fork()
if child == 0:
    os.execv(sys.argv[2], sys.argv[2:])
tick = os.sysconf("SC_CLK_TCK")


def report(*_):
    try:
        f = open(f"/proc/{child}/stat").read().rsplit(")", 1)[1].split()
        own = sum(int(x) for x in f[11:15]) / tick  # utime stime cutime cstime
    except OSError:
        own = 0.0
    t = os.times()
    with open(out, "w") as o:
        o.write(f"{own + t.children_user + t.children_system:.3f}\n")


def forward(sig, _):
    os.kill(child, sig)


signal.signal(signal.SIGUSR1, report)
signal.signal(signal.SIGTERM, forward)
signal.signal(signal.SIGINT, forward)
while True:
    try:
        pid, _ = os.wait()
    except ChildProcessError:
        break
    except InterruptedError:
        continue
    if pid == child:
        pass
sys.exit(0)
