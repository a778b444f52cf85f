"""Reads `ssh -G NAME` on stdin; prints hostname, port, user, identity_files (expanded as
ssh expands them: %d %u %h %r %p %n %% and ~) and proxy_jump, one `key value` a line,
for comparison with `sshm hosts show NAME`. Usage: ssh -G -F CONFIG NAME | python3 ssh_g.py NAME"""
import os
import pwd
import sys

home = pwd.getpwuid(os.geteuid()).pw_dir
user = pwd.getpwuid(os.geteuid()).pw_name
kv, ids = {}, []
for line in sys.stdin:
    k, _, v = line.rstrip("\n").partition(" ")
    if k == "identityfile":
        ids.append(v)
    else:
        kv.setdefault(k, v)


def expand(p):
    out, i = "", 0
    while i < len(p):
        if p[i] == "%" and i + 1 < len(p):
            t = p[i + 1]
            out += {"d": home, "u": user, "h": kv["hostname"], "r": kv["user"], "p": kv["port"],
                    "n": sys.argv[1], "%": "%"}.get(t, "%" + t)
            i += 2
        else:
            out += p[i]
            i += 1
    return home + out[1:] if out == "~" or out.startswith("~/") else out


print("hostname", kv["hostname"])
print("port", kv["port"])
print("user", kv["user"])
print("identity_files", " ".join(expand(p) for p in ids))
print("proxy_jump", kv.get("proxyjump", "none"))
