#!/usr/bin/env python3
"""List every function definition in src/ longer than a limit (default 80 lines).

A function's length is counted from the line its definition starts on to its closing brace,
as Universal Ctags reports them (`--fields=+ne`); lambdas and local classes count towards the
function that holds them. Exits 1 when any function is over the limit, so CI can run it.

    tools/long_functions.py [--limit N] [DIR ...]      (default DIR: src)
"""
import argparse
import json
import pathlib
import subprocess
import sys


def functions(dirs):
    """Yields (path, line, end, qualified name) for each function definition ctags finds."""
    out = subprocess.run(
        ["ctags", "--output-format=json", "--fields=+ne", "--kinds-C++=f",
         "--languages=C++", "-R", "-f", "-", *dirs],
        check=True, capture_output=True, text=True).stdout
    for row in out.splitlines():
        tag = json.loads(row)
        if tag.get("_type") != "tag" or "end" not in tag:
            continue
        scope = tag.get("scope", "")
        # Anonymous namespaces show as __anonXXXX; they add nothing a reader can search for.
        scope = "::".join(p for p in scope.split("::") if p and not p.startswith("__anon"))
        name = f"{scope}::{tag['name']}" if scope else tag["name"]
        yield tag["path"], tag["line"], tag["end"], name


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=80, help="longest allowed (lines)")
    ap.add_argument("dirs", nargs="*", default=["src"])
    args = ap.parse_args()
    dirs = [str(pathlib.Path(d)) for d in args.dirs]
    long = sorted(((end - line + 1, path, line, name)
                   for path, line, end, name in functions(dirs)
                   if end - line + 1 > args.limit), reverse=True)
    for length, path, line, name in long:
        print(f"{length:4d}  {path}:{line}  {name}")
    print(f"{len(long)} function(s) over {args.limit} lines", file=sys.stderr)
    return 1 if long else 0


if __name__ == "__main__":
    sys.exit(main())
