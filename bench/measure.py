#!/usr/bin/env python3
"""Runs one command and measures its whole process tree.

    measure.py [--sshd-pids PID,PID...] [--sshd-cgroup FILE] [--stdout FILE] [--stderr FILE] -- COMMAND...

Prints one JSON object: wall_s, cpu_s (user+sys of every process in the tree that was
reaped, from wait4's rusage, i.e. getrusage(RUSAGE_CHILDREN)), peak_rss_mb (the largest SUM
of VmRSS over every live process of the tree, sampled every 20 ms), peak_procs,
peak_threads, rc, and sshd_cpu_s (CPU that the given sshd listeners and their reaped
children used meanwhile: utime+stime+cutime+cstime before/after; or, with --sshd-cgroup,
the CPU of everything in the listeners' cgroup, orphans included: FILE is its cpuacct.usage
(cgroup v1, ns) or cpu.stat (v2, usage_usec)).
"""
import json
import os
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def children_of(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out.extend(int(x) for x in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def tree(root):
    seen, todo = [], [root]
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(children_of(p))
    return seen


def rss_and_threads(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            rss = int(f.read().split()[1]) * PAGE
        with open(f"/proc/{pid}/stat") as f:
            threads = int(f.read().rsplit(")", 1)[1].split()[17])
        return rss, threads
    except (OSError, ValueError, IndexError):
        return 0, 0


def proc_cpu(pid):
    """utime+stime+cutime+cstime of pid, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / TICK
    except (OSError, ValueError):
        return 0.0


def sshd_cpu(pids, cgroup=""):
    """CPU of the listeners' cgroup, or of the listeners and their reaped children."""
    if cgroup:
        with open(cgroup) as f:
            text = f.read()
        if cgroup.endswith("cpu.stat"):
            return int(text.split("usage_usec", 1)[1].split()[0]) / 1e6
        return int(text) / 1e9
    return sum(proc_cpu(p) for p in pids)


def main():
    args = sys.argv[1:]
    sshd_pids = []
    sshd_cgroup = ""
    redirect = {}
    while args and args[0] != "--":
        if args[0] in ("--stdout", "--stderr"):
            redirect[args[0][2:]] = args[1]
            args = args[2:]
        elif args[0] == "--sshd-cgroup":
            sshd_cgroup = args[1]
            args = args[2:]
        elif args[0] == "--sshd-pids":
            sshd_pids = [int(x) for x in args[1].split(",") if x]
            args = args[2:]
        else:
            sys.exit(f"unknown option {args[0]}")
    cmd = args[1:]
    sshd_before = sshd_cpu(sshd_pids, sshd_cgroup)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            for name, fd in (("stdout", 1), ("stderr", 2)):
                if name in redirect:
                    target = os.open(redirect[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.dup2(target, fd)
                    os.close(target)
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    peak = {"rss": 0, "procs": 0, "threads": 0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            pids = tree(pid)
            total = threads = 0
            for p in pids:
                r, t = rss_and_threads(p)
                total += r
                threads += t
            peak["rss"] = max(peak["rss"], total)
            peak["procs"] = max(peak["procs"], len(pids))
            peak["threads"] = max(peak["threads"], threads)
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    stop.set()
    sampler.join()
    # sshd reaps its per-connection children a moment after they close.
    time.sleep(0.3)
    sshd_after = sshd_cpu(sshd_pids, sshd_cgroup)
    print(json.dumps({
        "wall_s": round(wall, 4),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 4),
        "user_s": round(usage.ru_utime, 4),
        "sys_s": round(usage.ru_stime, 4),
        "peak_rss_mb": round(peak["rss"] / 1048576, 2),
        "peak_procs": peak["procs"],
        "peak_threads": peak["threads"],
        "rc": os.waitstatus_to_exitcode(status),
        "sshd_cpu_s": round(sshd_after - sshd_before, 3),
    }))


if __name__ == "__main__":
    main()
