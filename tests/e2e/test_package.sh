#!/usr/bin/env bash
# `cpack -G DEB` in the build directory makes a .deb that unpacks (dpkg -x, into a scratch
# root) to the binary, the manual page, the bash/zsh/fish completions and the built-in
# documents, where Debian's tools look for them; the unpacked binary runs.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
BUILD=$(dirname "$SSHM")
[ -f "$BUILD/CPackConfig.cmake" ] || { echo "SKIP: $BUILD is not a CMake build directory (no CPackConfig.cmake)"; exit 125; }
command -v cpack >/dev/null && command -v dpkg-deb >/dev/null || { echo "SKIP: cpack or dpkg-deb missing"; exit 125; }

WORK=$(mktemp -d /tmp/sshm-package.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

case_begin "cpack -G DEB builds a package"
(cd "$WORK" && cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/out") >"$WORK/cpack.log" 2>&1
check "cpack exit status" 0 $?
deb=$(ls "$WORK"/out/sshm_*.deb 2>/dev/null | head -1)
check_match "a .deb named sshm_VERSION_ARCH.deb" 'sshm_[0-9.]+_[a-z0-9]+\.deb$' "$deb"
[ -n "$deb" ] || { tail -20 "$WORK/cpack.log"; checks_done; }
check "package name" sshm "$(dpkg-deb -f "$deb" Package)"
check_contains "depends on the libraries it links (dpkg-shlibdeps)" "libssh" "$(dpkg-deb -f "$deb" Depends)"

case_begin "dpkg -x into a scratch root puts every file where Debian looks"
dpkg -x "$deb" "$WORK/root"
check "exit" 0 $?
for f in usr/bin/sshm usr/share/man/man1/sshm.1 usr/share/bash-completion/completions/sshm \
  usr/share/zsh/vendor-completions/_sshm usr/share/fish/vendor_completions.d/sshm.fish \
  usr/share/sshm/documents/AWS-RunShellScript.json; do
  check "$f" yes "$([ -s "$WORK/root/$f" ] && echo yes || echo "missing")"
done
check "the packaged binary runs" "sshm 0.1.0" "$("$WORK/root/usr/bin/sshm" --version 2>&1)"
check "the packaged bash completion is the one sshm prints" "$("$SSHM" completion bash)" \
  "$(cat "$WORK/root/usr/share/bash-completion/completions/sshm")"
if command -v man >/dev/null; then
  check "the packaged man page renders without warnings" "" \
    "$(MANWIDTH=80 man --warnings -l "$WORK/root/usr/share/man/man1/sshm.1" 2>&1 >/dev/null)"
fi

checks_done
