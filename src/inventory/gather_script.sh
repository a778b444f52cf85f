# sshm inventory gatherer (POSIX sh; runs under dash, busybox sh, bash).
# Prints one stream of sections; each starts with the line "@@SSHM@@<nonce> <name>".
# Everything runs inside main, which the shell parses whole before running, so no
# command can read the rest of this script from stdin.
main() {
  LC_ALL=C
  export LC_ALL
  PATH=$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  export PATH
  # Every process started here is host CPU on every run, so builtins do what they can:
  # one substitution for both separators, one uname for the three names (its output order
  # is fixed: node name, kernel release, machine), small files read by `read`.
  sep=$(printf '\037\036')
  US=${sep%?}
  RS=${sep#?}
  set -f
  set -- $(uname -n -r -m 2>/dev/null)
  set +f

  sec host
  [ $# -ge 1 ] && printf '%s\n' "$1"
  sec uname
  [ $# -ge 3 ] && printf '%s\n%s\n' "$2" "$3"
  sec os-release
  show /etc/os-release || show /usr/lib/os-release

  if [ "$SSHM_APPS" = 1 ]; then
    if have dpkg-query; then
      sec dpkg
      dpkg-query -W -f='${Package}'"$US"'${Version}'"$US"'${Architecture}'"$US"'${Maintainer}'"$US"'${Section}'"$US"'${Homepage}'"$US"'${binary:Summary}'"$US"'${db-fsys:Last-Modified}'"$RS"'\n' 2>/dev/null
    fi
    if have rpm; then
      sec rpm
      rpm -qa --queryformat "%{NAME}$US%{VENDOR}$US%{VERSION}$US%{RELEASE}$US%{EPOCH}$US%{INSTALLTIME}$US%{GROUP}$US%{ARCH}$US%{URL}$US%{SUMMARY}$US%{SOURCERPM}$RS\n" 2>/dev/null
    fi
    if [ -r /lib/apk/db/installed ]; then
      sec apk
      cat /lib/apk/db/installed
    fi
    # Distributor packages aws:configurePackage installed: one installstate line each.
    distributor=
    for f in "${SSHM_DISTRIBUTOR_DIR:-$HOME/.sshm/packages}"/*/installstate; do
      [ -r "$f" ] || continue
      [ -n "$distributor" ] || { sec distributor; distributor=1; }
      head -n 1 "$f"
      echo
    done
  fi

  # Network data also gives AWS:InstanceInformation its IpAddress, so it is always read.
  if have ip && addr=$(ip -j addr 2>/dev/null) && [ -n "$addr" ]; then
    sec ip-j-addr
    printf '%s\n' "$addr"
    sec ip-j-route
    ip -j route 2>/dev/null
    sec ip-j-route6
    ip -j -6 route 2>/dev/null
  elif have ip; then
    sec ip-addr
    ip addr 2>/dev/null
    sec ip-route
    ip route 2>/dev/null
  else
    sec sysfs-net
    for d in /sys/class/net/*; do
      [ -e "$d" ] || continue
      mac=
      read -r mac 2>/dev/null <"$d/address"
      printf '%s %s\n' "${d##*/}" "$mac"
    done
  fi
  sec resolv
  show /etc/resolv.conf

  if [ "$SSHM_DETAIL" = 1 ]; then
    if have lscpu; then
      sec lscpu
      lscpu 2>/dev/null
    fi
    if [ -r /proc/cpuinfo ]; then
      sec cpuinfo
      grep -E '^(processor|physical id|core id|cpu cores|siblings|model name|cpu MHz)[[:space:]]*:' /proc/cpuinfo
    fi
    sec meminfo
    # MemTotal is the first line; grep only where it is not.
    line=
    read -r line 2>/dev/null </proc/meminfo
    case $line in
    MemTotal:*) printf '%s\n' "$line" ;;
    *) grep -E '^MemTotal:' /proc/meminfo 2>/dev/null ;;
    esac
  fi

  if [ "$SSHM_SERVICES" = 1 ] && [ -d /run/systemd/system ] && have systemctl; then
    sec systemctl-units
    systemctl list-units --type=service --all --no-pager --plain --no-legend 2>/dev/null
    sec systemctl-unit-files
    systemctl list-unit-files --type=service --no-pager --plain --no-legend 2>/dev/null
  fi

  if [ "$SSHM_PROCS" = 1 ]; then
    if have ps; then
      sec ps
      ps -eo pid=,args= 2>/dev/null || ps -o pid=,args= 2>/dev/null
    fi
    if [ -r /proc/1/status ]; then
      sec proc-status
      for d in /proc/[0-9]*; do
        name=
        uid=
        while IFS= read -r line; do
          case $line in
          Name:*) name=${line#Name:} ;;
          Uid:*)
            uid=${line#Uid:}
            break
            ;;
          esac
        done 2>/dev/null <"$d/status"
        printf '%s%s%s%s%s%s\n' "${d#/proc/}" "$US" "$name" "$US" "$uid" "$RS"
      done 2>/dev/null
      sec passwd
      getent passwd 2>/dev/null || cat /etc/passwd 2>/dev/null
    fi
  fi

  if [ "$SSHM_FILES" = 1 ]; then
    sec files
    sshm_file_rules | head -n "$SSHM_FILE_MAX"
    if [ "$SSHM_FILE_HASH" = 1 ]; then
      sec file-hash
      SSHM_HASHING=1
      sshm_file_rules | head -n "$SSHM_FILE_MAX"
    fi
  fi

  if [ "$SSHM_CUSTOM" = 1 ]; then
    for d in /etc/sshm/inventory/custom /var/lib/amazon/ssm/*/inventory/custom; do
      sshm_custom_dir "$d"
    done
    sshm_extra_custom
  fi
  sec end
}

sec() { printf '\n@@SSHM@@%s %s\n' "$SSHM_NONCE" "$1"; }
have() { command -v "$1" >/dev/null 2>&1; }
# A small file through the shell's own `read` (no process), each line newline-ended; false
# when it cannot be read. (dash reads a byte per system call: only for files of a few KB.)
show() {
  [ -r "$1" ] || return 1
  while IFS= read -r l || [ -n "$l" ]; do printf '%s\n' "$l"; done 2>/dev/null <"$1"
  l=
}

# Every regular file of one custom inventory directory, each as its own section.
sshm_custom_dir() {
  for f in "$1"/*; do
    [ -f "$f" ] || continue
    sec "custom $f"
    cat "$f" 2>/dev/null
  done
}

# One --files rule: PATH RECURSIVE(0|1) DIRSCANLIMIT PATTERN...
# Prints "name US size US mtime US atime RS" per matching regular file, or sha256sum lines.
sshm_file_rule() {
  p=$1
  rec=$2
  lim=$3
  shift 3
  n=$#
  i=0
  for pat in "$@"; do
    i=$((i + 1))
    [ "$i" -gt 1 ] && set -- "$@" -o
    set -- "$@" -name "$pat"
  done
  shift "$n"
  depth=
  [ "$rec" = 1 ] || depth='-maxdepth 0'
  find "$p" $depth -type d 2>/dev/null | head -n "$lim" | while IFS= read -r d; do
    if [ "${SSHM_HASHING:-0}" = 1 ]; then
      find "$d" -maxdepth 1 -type f \( "$@" \) -exec sha256sum {} + 2>/dev/null
    else
      find "$d" -maxdepth 1 -type f \( "$@" \) -exec stat -c "%n$US%s$US%Y$US%X$RS" {} + 2>/dev/null
    fi
  done
}

main </dev/null
exit 0
