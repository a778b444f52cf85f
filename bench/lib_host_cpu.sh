# Sourced by bench scripts that measure the host side of an invocation: one loopback host whose
# sshd listener runs under bench/subreaper.py, so the CPU of everything it starts (sessions,
# shells, wrappers, orphans) is accounted. Needs tests/e2e/lib/fleet.sh sourced first.
#   host_cpu_fleet NAME      starts the host NAME-001 (sets HOST_CPU_REAPER)
# Every client gets the same key exchange and host key as in bench/run.sh (curve25519-sha256,
# ssh-ed25519): OpenSSH's default KEX (sntrup761x25519) costs sshd several ms more per connection
# than curve25519, which libssh 0.10 would use, and would make `ssh` look dearer than it is.
#   host_cpu_now             CPU seconds of the listener's tree so far
host_cpu_fleet() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  HOST_CPU_FILE=$FLEET_DIR/cpu
  cat >"$FLEET_DIR/sshd-reaped" <<WRAP
#!/bin/sh
exec python3 $here/subreaper.py $HOST_CPU_FILE /usr/sbin/sshd "\$@"
WRAP
  chmod +x "$FLEET_DIR/sshd-reaped"
  FLEET_SSHD=$FLEET_DIR/sshd-reaped fleet_add_hosts 1 "$1" || return 1
  fleet_write_files
  printf '  KexAlgorithms curve25519-sha256\n  HostKeyAlgorithms ssh-ed25519\n' >>"$FLEET_SSH_CONFIG"
  HOST_CPU_REAPER=${FLEET_PIDS[-1]}
}
host_cpu_now() {
  kill -USR1 "$HOST_CPU_REAPER"
  sleep 0.3
  cat "$HOST_CPU_FILE"
}
