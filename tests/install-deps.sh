#!/usr/bin/env bash
# Installs the Debian packages sshm needs to build and to run a local fleet, when any is
# missing (tests/run.sh installs these and the test-only tools). Extra names may be given.
# Needs root for apt-get; otherwise it prints the command to run and exits 1.
set -euo pipefail
packages=(cmake make g++ pkg-config git libssh-dev libcli11-dev libyaml-cpp-dev nlohmann-json3-dev
  libfmt-dev libcurl4-openssl-dev doctest-dev libsqlite3-dev libssl-dev openssh-server
  openssh-client python3 libhowardhinnant-date-dev tzdata "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
((${#missing[@]})) || exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "sshm: missing Debian packages: ${missing[*]}" >&2
  echo "sshm: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "sshm: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
