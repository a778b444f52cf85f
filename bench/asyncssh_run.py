#!/usr/bin/python3
"""The asyncssh peer of bench/run.sh: one Python process, asyncio, in-process SSH (like sshm),
at most CONC connections at once, the same key exchange and host key type.

    asyncssh_run.py INVENTORY KEY KNOWN_HOSTS USER CONC FORCE(yes|no) CMD

INVENTORY is the sshm inventory bench/run.sh writes (name, address, port). Prints
"NAME: ok" or "NAME: failed: WHY" per host; the output of CMD is read and dropped, as the
other peers' goes to a file.
"""
import asyncio
import sys
import warnings

warnings.filterwarnings("ignore")
import asyncssh  # noqa: E402  (after the filter: Debian's cryptography warns at import)


def hosts_of(path):
    hosts, name, addr, port = [], None, None, None
    for line in open(path):
        s = line.strip()
        if line.startswith("  ") and not line.startswith("    ") and s.endswith(":"):
            if name:
                hosts.append((name, addr, port))
            name, addr, port = s[:-1], None, 22
        elif s.startswith("address:"):
            addr = s.split(":", 1)[1].strip()
        elif s.startswith("port:"):
            port = int(s.split(":", 1)[1])
    if name:
        hosts.append((name, addr, port))
    return hosts


async def one(sem, name, addr, port, opts, cmd):
    async with sem:
        try:
            async with asyncssh.connect(addr, port=port, **opts) as conn:
                r = await conn.run(cmd, check=False)
                return f"{name}: ok" if r.exit_status == 0 else f"{name}: failed: exit {r.exit_status}"
        except Exception as e:  # every failure is that host's, the run goes on
            return f"{name}: failed: {e}"


async def main():
    inventory, key, known, user, conc, force, cmd = sys.argv[1:8]
    opts = {"username": user, "client_keys": [key], "known_hosts": known, "agent_path": None}
    if force == "yes":
        opts.update(kex_algs=["curve25519-sha256"], server_host_key_algs=["ssh-ed25519"])
    sem = asyncio.Semaphore(int(conc))
    results = await asyncio.gather(*(one(sem, n, a, p, opts, cmd) for n, a, p in hosts_of(inventory)))
    print("\n".join(results))


asyncio.run(main())
