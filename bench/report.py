#!/usr/bin/env python3
"""Turns bench/run.sh's JSON lines into bench/results.md (figures only, no pass/fail)."""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

PEERS = ["pdsh", "pssh", "clush", "asyncssh", "ansible"]
NAMES = {"sshm": "sshm", "sshm-before": "sshm (before)", "pdsh": "pdsh", "pssh": "parallel-ssh", "clush": "clush", "asyncssh": "asyncssh", "ansible": "ansible -m raw"}


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt(s, digits=2, scale=1.0):
    if s is None:
        return "–"
    med, lo, hi = (x * scale for x in s)
    return f"{med:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def med(s):
    return None if s is None else s[0]


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}"


class Group:
    """All runs of one tool in one cell (section, job, conc, n, mode)."""

    def __init__(self, rows):
        self.rows = rows
        self.n = rows[0]["n"]
        ms = [r["m"] for r in rows if r["m"]]
        self.wall = stats([m["wall_s"] for m in ms])
        self.cpu = stats([m["cpu_s"] for m in ms])
        self.cpu_host = stats([m["cpu_s"] / self.n * 1000 for m in ms])
        self.mem = stats([m["peak_rss_mb"] for m in ms])
        self.procs = stats([m["peak_procs"] for m in ms])
        self.threads = stats([m["peak_threads"] for m in ms])
        self.sshd_conn = stats([m["sshd_cpu_s"] / self.n * 1000 for m in ms])
        self.sshd_cpu = stats([m["sshd_cpu_s"] for m in ms])
        self.ok = f"{min(r['ok'] for r in rows)}–{max(r['ok'] for r in rows)}" if len({r['ok'] for r in rows}) > 1 \
            else f"{rows[0]['ok']}"


def statuses(rows):
    """sshm's per-invocation final statuses of each run, e.g. `Success 1990 + DeliveryTimedOut 10 = 2000`."""
    out = []
    for r in rows:
        st = r.get("statuses") or {}
        if st:
            parts = " + ".join(f"{k} {v}" for k, v in sorted(st.items(), key=lambda kv: -kv[1]))
            out.append(f"{parts} = {sum(st.values())}")
    return "; ".join(out) or "–"


def group(data, **key):
    out = {}
    for r in data:
        if all(r.get(k) == v for k, v in key.items()):
            out.setdefault(r["tool"], []).append(r)
    return {t: Group(rs) for t, rs in out.items()}


def cells(data, section):
    seen = []
    for r in data:
        if r["section"] == section:
            k = (r["job"], r["conc"], r["n"], r["mode"])
            if k not in seen:
                seen.append(k)
    return seen


def compare_table(data, section, lines):
    for job, conc, n, mode in cells(data, section):
        g = group(data, section=section, job=job, conc=conc, n=n, mode=mode)
        lines.append(f"\n#### `{job}` — N={n}, concurrency {conc}, KEX {mode}\n")
        lines.append("| tool | wall s | client CPU s | CPU/host ms | peak tree RSS MB | peak procs | ok/N "
                     "| sshd CPU/conn ms | sshm ÷ tool: wall | CPU | memory |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
        s = g.get("sshm")
        for tool in ["sshm"] + PEERS:
            if tool not in g:
                continue
            t = g[tool]
            rw = ratio(med(s.wall), med(t.wall)) if s else "–"
            rc = ratio(med(s.cpu), med(t.cpu)) if s else "–"
            rm = ratio(med(s.mem), med(t.mem)) if s else "–"
            lines.append(f"| {NAMES[tool]} | {fmt(t.wall)} | {fmt(t.cpu)} | {fmt(t.cpu_host, 1)} | {fmt(t.mem, 1)} "
                         f"| {fmt(t.procs, 0)} | {t.ok}/{n} | {fmt(t.sshd_conn, 1)} | {rw} | {rc} | {rm} |")


def headline(data, nproc, lines):
    lines.append("## Headline\n")
    lines.append("Medians; ratios are sshm ÷ peer (below 1 means sshm uses less). KEX curve25519-sha256, "
                 "host key ssh-ed25519 for every tool.\n")
    for section in ("main", "big"):
        for job, conc, n, mode in cells(data, section):
            if job != "true":
                continue
            g = group(data, section=section, job=job, conc=conc, n=n, mode=mode)
            s = g.get("sshm")
            if not s:
                continue
            peers = [t for t in PEERS if t in g]
            fastest = min(peers, key=lambda t: med(g[t].wall)) if peers else None
            parts = [f"- **`true` on N={n}, concurrency {conc}:** sshm {med(s.wall):.2f} s wall, "
                     f"{med(s.cpu_host):.1f} ms CPU/host, {med(s.mem):.1f} MB peak tree RSS."]
            if "pdsh" in g:
                p = g["pdsh"]
                parts.append(f" vs pdsh: CPU/host ×{ratio(med(s.cpu_host), med(p.cpu_host))}, "
                             f"memory ×{ratio(med(s.mem), med(p.mem))}, wall ×{ratio(med(s.wall), med(p.wall))}.")
            if fastest:
                parts.append(f" Fastest peer {NAMES[fastest]} {med(g[fastest].wall):.2f} s: "
                             f"wall ×{ratio(med(s.wall), med(g[fastest].wall))}.")
            if s.sshd_cpu and med(s.sshd_cpu) > 0:
                floor = med(s.sshd_cpu) / nproc
                parts.append(f" sshd-alone floor (sshd CPU of the sshm run ÷ {nproc} cores) {floor:.2f} s: "
                             f"sshm wall ×{ratio(med(s.wall), floor)}")
                if "pdsh" in g and g["pdsh"].sshd_cpu:
                    bare = med(g["pdsh"].sshd_cpu) / nproc
                    parts.append(f"; with the sshd CPU of a bare `true` (the pdsh run, no SSM wrapper on the host) "
                                 f"{bare:.2f} s: ×{ratio(med(s.wall), bare)}")
                parts.append(".")
            lines.append("".join(parts))
    for job, conc, n, mode in cells(data, "inflight"):
        g = group(data, section="inflight", job=job, conc=conc, n=n, mode=mode)
        s = g.get("sshm")
        if not s:
            continue
        peers = ", ".join(f"{NAMES[t]} {med(g[t].mem):.0f} MB in {med(g[t].procs):.0f} processes "
                          f"(×{ratio(med(s.mem), med(g[t].mem))})" for t in PEERS if t in g)
        lines.append(f"- **{n} hosts in flight at once** (`sleep 2` on N={n}, concurrency {conc}): sshm "
                     f"{med(s.mem):.1f} MB peak tree RSS in 1 process; {peers}.")
    sc = group(data, section="scaling")
    if sc.get("sshm"):
        rows = sorted(sc["sshm"].rows, key=lambda r: r["n"])
        top = max(r["n"] for r in rows)
        oks = [r["ok"] for r in rows if r["n"] == top]
        acc = [sum((r.get("statuses") or {}).values()) for r in rows if r["n"] == top]
        lines.append(f"- **Scaling:** {top} hosts in flight in one sshm process: {min(oks)}–{max(oks)} of {top} "
                     f"invocations succeeded, {min(acc)}–{max(acc)} of {top} have a final status in the store "
                     "(see the curve below).")
    lines.append("")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, action="append", help="JSON lines from run.sh (repeatable)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", action="append")
    ap.add_argument("--sshm", default="sshm")
    ap.add_argument("--lat-note", default="")
    ap.add_argument("--sshd-cpu-note", default="the listeners' own accounting")
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--load-start", default="")
    ap.add_argument("--extra", default="", help="a markdown file appended at the end (notes, profiles)")
    a = ap.parse_args()
    data = [json.loads(l) for path in a.data for l in open(path) if l.strip()]
    commands = a.command or ["bench/run.sh"]
    nproc = os.cpu_count() or 1
    lines = ["# sshm benchmarks\n",
             "Written by `bench/run.sh` (bench/report.py); figures only, nothing here is asserted by a test.\n"]
    headline(data, nproc, lines)
    load = open("/proc/loadavg").read().split()[:3]
    lines += ["## Machine and command\n",
              f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
              f"- machine: {nproc} CPUs (nproc), {cpu_model()}, {platform.system()} {platform.release()}",
              f"- load average at start: {a.load_start or '?'}; at the end: {' '.join(load)} "
              "(other work shared the machine; wall times are sensitive to it)",
              "- command: " + "; then ".join(f"`{c}`" for c in commands),
              f"- sshm: {a.sshm}",
              f"- {version(['ssh', '-V'])}; {version(['pdsh', '-V'])}; {version(['parallel-ssh', '--version'])}; "
              f"clush {version(['clush', '--version'])}; {version(['ansible', '--version'])}",
              "",
              "How: a loopback fleet of real OpenSSH sshd (tests/e2e/lib/fleet.sh, 16 ports per sshd). "
              "Each figure is the median of the runs, (min–max) after it. *Client CPU* is user+sys of the whole "
              "client process tree (wait4 rusage of the tool, which includes every reaped ssh child). "
              "*Peak tree RSS* is the largest sum of VmRSS over all live processes of the tree, sampled every "
              "20 ms (shared library pages count once per process, as the kernel reports them). "
              "*sshd CPU/conn* is the CPU of the sshd side during the run, per host, from "
              + a.sshd_cpu_note + ". Ansible runs with `ControlMaster=no` (its ControlPersist masters would outlive the "
              "measured tree). sshm stores every invocation in a fresh state dir per run.",
              "",
              "Jobs: `true`; `uname -a` (output collected: printed by each tool, redirected to a file); "
              "`200k`: 200 KB of output per host (`yes ... | head -c 204800`); `hold`: `sleep 2`, so that every "
              "host of the run is in flight at the same time (`true` ends too fast for pdsh to have more than a few "
              "dozen ssh processes alive, whatever its fanout).\n"]

    for section, title in (("main", f"Comparison, N={a.hosts}, KEX forced"),
                           ("defaults", f"Each tool's defaults (KEX/host key not forced), N={a.hosts}"),
                           ("inflight", "Memory with every host in flight (`sleep 2`)"),
                           ("big", "Comparison at N=1000")):
        if any(r["section"] == section for r in data):
            lines.append(f"## {title}")
            if section == "defaults":
                lines.append("\nOpenSSH 9.2 picks sntrup761x25519-sha512 by default; libssh 0.10 (sshm) "
                             "curve25519-sha256. Ansible adds `-C` (its default ssh args, minus ControlPersist).")
            compare_table(data, section, lines)
            lines.append("")

    sc = group(data, section="scaling")
    for tool, label in (("sshm", "sshm"), ("sshm-before", "sshm before this branch's known_hosts fix")):
        if not sc.get(tool):
            continue
        lines.append(f"## {label} scaling: every host in flight at once (`true`, concurrency = N, `--connect-timeout 300`)\n")
        lines.append("| N | wall s | CPU/host ms | peak tree RSS MB | RSS per in-flight host KB | peak threads "
                     "| added RSS per added host KB | sshd CPU/conn ms | ok/N | final statuses (every run) |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        by_n = {}
        prev = None
        for r in sc[tool].rows:
            by_n.setdefault(r["n"], []).append(r)
        for n in sorted(by_n):
            g = Group(by_n[n])
            per = stats([r["m"]["peak_rss_mb"] * 1024 / n for r in by_n[n] if r["m"]])
            slope = f"{(med(g.mem) - prev[1]) * 1024 / (n - prev[0]):.0f}" if prev else "–"
            prev = (n, med(g.mem))
            lines.append(f"| {n} | {fmt(g.wall)} | {fmt(g.cpu_host, 2)} | {fmt(g.mem, 1)} | {fmt(per, 0)} "
                         f"| {fmt(g.threads, 0)} | {slope} | {fmt(g.sshd_conn, 1)} | {g.ok}/{n} | {statuses(by_n[n])} |")
        lines.append("")

    lat = [r for r in data if r["section"] == "latency"]
    if lat or a.lat_note:
        lines.append("## 50 ms RTT between client and hosts, `true`, N = hosts of the main tables\n")
        if a.lat_note:
            lines.append(a.lat_note + "\n")
        if lat:
            lines.append("| concurrency | sshm wall s | pdsh wall s | sshm ÷ pdsh | sshm CPU/host ms | pdsh CPU/host ms "
                         "| ok sshm | ok pdsh |")
            lines.append("|---|---|---|---|---|---|---|---|")
            for conc in sorted({r["conc"] for r in lat}):
                g = group(lat, conc=conc)
                s, p = g.get("sshm"), g.get("pdsh")
                lines.append(f"| {conc} | {fmt(s.wall) if s else '–'} | {fmt(p.wall) if p else '–'} "
                             f"| {ratio(med(s.wall), med(p.wall)) if s and p else '–'} "
                             f"| {fmt(s.cpu_host, 1) if s else '–'} | {fmt(p.cpu_host, 1) if p else '–'} "
                             f"| {s.ok if s else '–'}/{lat[0]['n']} | {p.ok if p else '–'}/{lat[0]['n']} |")
            lines.append("")

    if a.extra:
        lines.append(open(a.extra).read())
    open(a.out, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
