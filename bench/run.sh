#!/usr/bin/env bash
# Benchmarks sshm against pdsh, parallel-ssh, ClusterShell and Ansible on a loopback fleet of
# real sshd hosts (tests/e2e/lib/fleet.sh), and writes bench/results.md.
#
#   bench/run.sh                 N=200, concurrency 64 and 256, 3 jobs, 3 runs (a few minutes)
#   bench/run.sh --full          also N=1000, sshm scaling N=100..2000 and the 50 ms RTT section
#
# Sections: main (N hosts, every job and concurrency), defaults (each tool's own KEX),
# inflight (memory with 256 hosts truly in flight at once: `sleep 2` on 256 hosts at
# concurrency 256; Ansible is left out there unless named in --inflight-tools, as its 256
# forked workers need several GB), big (N=1000), scaling, latency.
#
# Options: --hosts N  --runs R  --sshm-before PATH (an older sshm for the scaling curve too)  --tools "sshm pdsh pssh clush ansible"  --conc "64 256"
#          --jobs "true uname 200k"  --sections "main defaults inflight big scaling latency"
#          --inflight-tools "sshm pdsh pssh clush"  --big-tools "sshm pdsh pssh clush" (N=1000: Ansible
#          takes minutes per run there and is never the fastest peer; name it to include it)
#          --scaling "100 500 1000 2000"  --lat-conc "16 64 256"  --sshm PATH  --out FILE
#
# Every figure comes from bench/measure.py (wall, CPU of the whole client process tree,
# peak of the summed RSS of the tree, sshd CPU). Needs root for useradd/apt/netns.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

hosts=200
runs=3
tools="sshm pdsh pssh clush asyncssh ansible"
concs="64 256"
jobs="true uname 200k"
sections="main defaults inflight"
inflight_n=256
inflight_tools="sshm pdsh pssh clush"
big_tools="sshm pdsh pssh clush"
scaling="100 500 1000 2000"
lat_conc="16 64 256"
lat_tools="sshm pdsh"
scaling_tools="sshm"
sshm_before=""
big_hosts=""
sshm_bin=${SSHM:-$repo/build/rel/sshm}
out=$here/results.md
cmdline="bench/run.sh $*"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
while [ $# -gt 0 ]; do
  case $1 in
  --full) sections="main defaults inflight big scaling latency"; big_hosts=1000 ;;
  --inflight-tools) inflight_tools=$2; shift ;;
  --big-tools) big_tools=$2; shift ;;
  --hosts) hosts=$2; shift ;;
  --runs) runs=$2; shift ;;
  --tools) tools=$2; shift ;;
  --conc) concs=$2; shift ;;
  --jobs) jobs=$2; shift ;;
  --sections) sections=$2; shift ;;
  --scaling) scaling=$2; shift ;;
  --lat-conc) lat_conc=$2; shift ;;
  --lat-tools) lat_tools=$2; shift ;;
  --sshm-before) sshm_before=$2; scaling_tools="sshm sshm-before"; shift ;;
  --big) big_hosts=$2; shift ;;
  --sshm) sshm_bin=$2; shift ;;
  --out) out=$2; shift ;;
  *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
has() { [[ " $sections " == *" $1 "* ]]; }
[ -x "$sshm_bin" ] || { echo "sshm binary $sshm_bin not found: build it (cmake --build build/rel) or pass --sshm" >&2; exit 2; }

# --- peers ------------------------------------------------------------------------------
need_pkgs=()
command -v pdsh >/dev/null || need_pkgs+=(pdsh)
command -v parallel-ssh >/dev/null || need_pkgs+=(pssh)
command -v clush >/dev/null || need_pkgs+=(clustershell)
command -v ansible >/dev/null || need_pkgs+=(ansible-core)
/usr/bin/python3 -c 'import asyncssh' >/dev/null 2>&1 || need_pkgs+=(python3-asyncssh)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing ${need_pkgs[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >/dev/null; } ||
    { echo "cannot install ${need_pkgs[*]}" >&2; exit 1; }
fi

# --- limits -----------------------------------------------------------------------------
ulimit -n "$(ulimit -Hn)" 2>/dev/null
ulimit -u unlimited 2>/dev/null || true

# --- fleet --------------------------------------------------------------------------------
source "$repo/tests/e2e/lib/fleet.sh"
fleet_init
B=$FLEET_DIR/bench
mkdir -p "$B"
data=$B/data.jsonl
: >"$data"

max_hosts=$hosts
if has scaling; then for n in $scaling; do [ "$n" -gt "$max_hosts" ] && max_hosts=$n; done; fi
if has big && [ -n "$big_hosts" ] && [ "$big_hosts" -gt "$max_hosts" ]; then max_hosts=$big_hosts; fi
if has inflight && [ "$inflight_n" -gt "$max_hosts" ]; then max_hosts=$inflight_n; fi
echo "starting $max_hosts loopback hosts ($(( (max_hosts + 15) / 16 )) sshd)" >&2
fleet_add_hosts "$max_hosts" host || exit 1
LOOP_HOSTS=("${FLEET_HOSTS[@]}")
sshd_pids=$(IFS=,; echo "${FLEET_PIDS[*]}")
# sshd CPU per connection must count every process a connection starts. The listeners' own
# accounting (cutime) misses those orphaned before they are reaped, and OpenSSH's session
# process for an `ssh` client is one (its monitor exits first): ~6 ms per connection here,
# which made pdsh's and asyncssh's host side look cheaper than sshm's. A cgroup holding the
# listeners counts all of it (cgroup v1 cpuacct, else v2's cpu.stat); without one, the
# listeners' accounting is used and the table says so.
sshd_cgroup=""
sshd_cpu_note="listeners' own accounting (orphaned session processes not counted)"
cg_add() {  # moves the given pids into the bench's cgroup
  local p
  [ -n "$sshd_cgroup" ] || return 0
  for p in "$@"; do echo "$p" >"$(dirname "$sshd_cgroup")/cgroup.procs" 2>/dev/null; done
}
for cg in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/unified /sys/fs/cgroup; do
  d=$cg/sshm-bench-$$
  if mkdir "$d" 2>/dev/null; then
    if [ -f "$d/cpuacct.usage" ]; then sshd_cgroup=$d/cpuacct.usage
    elif [ -f "$d/cpu.stat" ]; then sshd_cgroup=$d/cpu.stat
    else rmdir "$d"; continue; fi
    sshd_cpu_note="a cgroup of the listeners ($d): every process of every connection"
    prev_trap=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
    trap "$prev_trap; rmdir '$d' 2>/dev/null" EXIT
    break
  fi
done
cg_add "${FLEET_PIDS[@]}"

# Writes, for the first N hosts at ADDRESS, the files every tool reads: an ssh config (KEX
# forced or not), a host list, an sshm inventory and an Ansible inventory.
#   write_fleet_files DIR N ADDRESS FORCE(yes|no) KNOWN_HOSTS PREFIX_ARRAY_NAME
write_fleet_files() {
  local dir=$1 n=$2 addr=$3 force=$4 kh=$5
  local -n names=$6
  mkdir -p "$dir"
  local i name
  {
    for ((i = 0; i < n; i++)); do
      name=${names[$i]}
      printf 'Host %s\n  HostName %s\n  Port %s\n' "$name" "$addr" "${FLEET_PORT[$name]}"
    done
    echo "Host *"
    echo "  User $FLEET_USER"
    echo "  IdentityFile $FLEET_KEY"
    echo "  IdentitiesOnly yes"
    echo "  UserKnownHostsFile $kh"
    echo "  StrictHostKeyChecking yes"
    echo "  BatchMode yes"
    if [ "$force" = yes ]; then
      echo "  KexAlgorithms curve25519-sha256"
      echo "  HostKeyAlgorithms ssh-ed25519"
    fi
  } >"$dir/ssh_config"
  printf '%s\n' "${names[@]:0:$n}" >"$dir/hosts"
  {
    echo "all:"
    echo "  hosts:"
    for ((i = 0; i < n; i++)); do echo "    ${names[$i]}:"; done
  } >"$dir/ansible.yaml"
  {
    echo "defaults:"
    echo "  user: $FLEET_USER"
    echo "hosts:"
    for ((i = 0; i < n; i++)); do
      name=${names[$i]}
      printf '  %s:\n    address: %s\n    port: %s\n' "$name" "$addr" "${FLEET_PORT[$name]}"
    done
  } >"$dir/inventory.yaml"
}

# The remote command of each job.
job_cmd() {
  case $1 in
  true) echo "true" ;;
  uname) echo "uname -a" ;;
  hold) echo "sleep 2" ;;
  200k) echo "yes 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678 | head -c 204800" ;;
  esac
}

# Runs one tool once under measure.py and appends a JSON line to $data.
#   bench_one SECTION TOOL JOB CONC N DIR MODE RUN
bench_one() {
  local section=$1 tool=$2 job=$3 conc=$4 n=$5 dir=$6 mode=$7 run=$8
  local cmd cfg=$dir/ssh_config w=$B/work.$tool
  cmd=$(job_cmd "$job")
  rm -rf "$w" && mkdir -p "$w"
  local -a argv
  local bin=$sshm_bin
  [ "$tool" = sshm-before ] && bin=$sshm_before
  case $tool in
  sshm | sshm-before)
    # With every host in flight at once, 2 cores of sshd take far longer than the default 10 s
    # connect timeout to finish all handshakes, so the scaling section allows 300 s.
    local ct=()
    [ "$section" = scaling ] && ct=(--connect-timeout 300)
    argv=(env SSH_AUTH_SOCK= "$bin" -i "$dir/inventory.yaml" -F "$cfg" --state-dir "$w/state" "${ct[@]}" exec "$cmd"
      -t all --max-concurrency "$conc" --no-progress -q) ;;
  pdsh)
    argv=(env PDSH_RCMD_TYPE=ssh "PDSH_SSH_ARGS=-F $cfg %h" pdsh -f "$conc" -w "^$dir/hosts" "$cmd") ;;
  pssh)
    argv=(parallel-ssh -h "$dir/hosts" -p "$conc" -t 0 -x "-F $cfg" -i "$cmd") ;;
  clush)
    argv=(clush -f "$conc" --hostfile "$dir/hosts" -o "-F $cfg" "$cmd") ;;
  asyncssh)
    local force=yes
    [ "$mode" = defaults ] && force=no
    argv=(/usr/bin/python3 "$here/asyncssh_run.py" "$dir/inventory.yaml" "$FLEET_KEY" "$(awk '$1 == "UserKnownHostsFile" {print $2}' "$cfg")"
      "$FLEET_USER" "$conc" "$force" "$cmd") ;;
  ansible)
    local sargs="-F $cfg -o ControlMaster=no"
    [ "$mode" = defaults ] && sargs="-F $cfg -C -o ControlMaster=no"
    argv=(env "ANSIBLE_SSH_ARGS=$sargs" "ANSIBLE_HOME=$w/ansible" "ANSIBLE_LOCAL_TEMP=$w/ansible/tmp"
      ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_NOCOLOR=1 ansible all -i "$dir/ansible.yaml" -m raw -a "$cmd" -f "$conc") ;;
  esac
  local m
  m=$(python3 "$here/measure.py" --sshd-pids "${SSHD_PIDS:-$sshd_pids}" --sshd-cgroup "$sshd_cgroup" --stdout "$w/out" --stderr "$w/err" -- "${argv[@]}" </dev/null)
  local ok=0 statuses="{}"
  case $tool in
  sshm | sshm-before)
    # Every invocation's final status, from sshm's own store.
    local id
    id=$(SSH_AUTH_SOCK= "$sshm_bin" --state-dir "$w/state" -o json commands list 2>/dev/null |
      python3 -c 'import json, sys; d = json.load(sys.stdin); print((d["Commands"] if isinstance(d, dict) else d)[0]["CommandId"])' 2>/dev/null)
    statuses=$(SSH_AUTH_SOCK= "$sshm_bin" --state-dir "$w/state" -o json commands show "$id" 2>/dev/null | python3 -c '
import collections, json, sys
c = collections.Counter(i["Status"] for i in json.load(sys.stdin)["Invocations"])
print(json.dumps(dict(c)))' 2>/dev/null)
    [ -n "$statuses" ] || statuses='{}'
    ok=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get("Success", 0))' "$statuses" 2>/dev/null || echo 0) ;;
  pdsh | clush)
    local failed
    failed=$(grep -oE '(^|: )host-[0-9]+: ' "$w/err" | grep -oE 'host-[0-9]+' | sort -u | wc -l)
    ok=$((n - failed)) ;;
  pssh) ok=$(grep -c '\[SUCCESS\]' "$w/out") ;;
  asyncssh) ok=$(grep -c ': ok$' "$w/out") ;;
  ansible) ok=$(grep -cE '^host-[0-9]+ \| (CHANGED|SUCCESS) \|' "$w/out") ;;
  esac
  printf '{"section":"%s","tool":"%s","job":"%s","conc":%s,"n":%s,"mode":"%s","run":%s,"ok":%s,"statuses":%s,"m":%s}\n' \
    "$section" "$tool" "$job" "$conc" "$n" "$mode" "$run" "${ok:-0}" "$statuses" "${m:-null}" >>"$data"
  printf '%-8s %-8s %-6s %-5s N=%-5s c=%-4s run %s: ok=%s %s\n' "$section" "$tool" "$job" "$mode" "$n" "$conc" "$run" \
    "${ok:-0}" "${m:-?}" >&2
}

# --- sections ---------------------------------------------------------------------------
# The comparison at N hosts: every job, every concurrency, every tool, KEX forced.
#   compare SECTION N JOBS CONCS MODE
compare() {
  local section=$1 n=$2 js=$3 cs=$4 mode=$5 dir run job conc tool
  dir=$B/$section-n$n
  write_fleet_files "$dir" "$n" 127.0.0.1 "$([ "$mode" = forced ] && echo yes || echo no)" "$FLEET_KNOWN_HOSTS" LOOP_HOSTS
  for ((run = 1; run <= runs; run++)); do
    for job in $js; do
      for conc in $cs; do
        for tool in $tools; do bench_one "$section" "$tool" "$job" "$conc" "$n" "$dir" "$mode" "$run"; done
      done
    done
  done
}

has main && compare main "$hosts" "$jobs" "$concs" forced
has defaults && compare defaults "$hosts" true 64 defaults
if has big && [ -n "$big_hosts" ]; then
  saved_tools=$tools
  tools=$big_tools
  compare big "$big_hosts" true "$concs" forced
  tools=$saved_tools
fi
if has inflight; then
  saved_tools=$tools
  tools=$inflight_tools
  compare inflight "$inflight_n" hold "$inflight_n" forced
  tools=$saved_tools
fi

if has scaling; then
  for ((run = 1; run <= runs; run++)); do
    for n in $scaling; do
      dir=$B/scaling-n$n
      [ -f "$dir/hosts" ] || write_fleet_files "$dir" "$n" 127.0.0.1 yes "$FLEET_KNOWN_HOSTS" LOOP_HOSTS
      for tool in $scaling_tools; do
        # The older binary runs once: it is there for the before/after curve only.
        [ "$tool" = sshm-before ] && [ "$run" -gt 1 ] && continue
        bench_one scaling "$tool" true "$n" "$n" "$dir" forced "$run"
      done
    done
  done
fi

# 50 ms RTT: hosts in a network namespace behind a veth pair with 25 ms netem delay each way.
# Only the veth pair gets a qdisc; the machine's own loopback is never touched.
lat_ns=sshm-bench-lat
lat_note=""
lat_cleanup() {
  ip netns del "$lat_ns" 2>/dev/null
  ip link del sshm-lat0 2>/dev/null
  return 0
}
if has latency; then
  lat_cleanup
  if ip netns add "$lat_ns" 2>"$B/netns.err" &&
    ip link add sshm-lat0 type veth peer name sshm-lat1 2>>"$B/netns.err" &&
    ip link set sshm-lat1 netns "$lat_ns" &&
    ip addr add 10.211.0.1/24 dev sshm-lat0 && ip link set sshm-lat0 up &&
    ip netns exec "$lat_ns" ip addr add 10.211.0.2/24 dev sshm-lat1 &&
    ip netns exec "$lat_ns" ip link set sshm-lat1 up &&
    ip netns exec "$lat_ns" ip link set lo up &&
    tc qdisc add dev sshm-lat0 root netem delay 25ms limit 100000 2>>"$B/netns.err" &&
    ip netns exec "$lat_ns" tc qdisc add dev sshm-lat1 root netem delay 25ms limit 100000 2>>"$B/netns.err"; then
    prev_trap=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
    trap "$prev_trap; lat_cleanup" EXIT
    # sshd in the namespace, listening on its veth address instead of 127.0.0.1.
    cat >"$B/sshd-in-ns" <<WRAP
#!/bin/sh
for a; do prev_f=\$f; f=\$a; [ "\$prev_f" = -f ] && sed -i 's/^ListenAddress 127.0.0.1$/ListenAddress 10.211.0.2/' "\$a"; done
exec ip netns exec $lat_ns /usr/sbin/sshd "\$@"
WRAP
    chmod +x "$B/sshd-in-ns"
    before=${#FLEET_PIDS[@]}
    FLEET_SSHD=$B/sshd-in-ns fleet_add_hosts "$hosts" lat || exit 1
    LAT_HOSTS=("${FLEET_HOSTS[@]:$max_hosts}")
    sed -n 's/^\[127\.0\.0\.1\]/[10.211.0.2]/p' "$FLEET_KNOWN_HOSTS" >"$B/lat_known_hosts"
    dir=$B/latency-n$hosts
    write_fleet_files "$dir" "$hosts" 10.211.0.2 yes "$B/lat_known_hosts" LAT_HOSTS
    rtt=$(ping -c 3 -q 10.211.0.2 2>/dev/null | sed -n 's/.*= [0-9.]*\/\([0-9.]*\)\/.*/\1/p')
    lat_note="measured ping RTT to the namespace: ${rtt:-?} ms"
    SSHD_PIDS=$(IFS=,; echo "${FLEET_PIDS[*]:$before}")
    cg_add "${FLEET_PIDS[@]:$before}"
    for ((run = 1; run <= runs; run++)); do
      for conc in $lat_conc; do
        for tool in $lat_tools; do bench_one latency "$tool" true "$conc" "$hosts" "$dir" forced "$run"; done
      done
    done
    unset SSHD_PIDS
  else
    why=$(tr '\n' ' ' <"$B/netns.err")
    lat_cleanup
    # No netem (e.g. a kernel without sch_netem): a user-space proxy on 127.0.0.1 holds every
    # chunk 25 ms in each direction instead. Same RTT for every tool; the proxy's own CPU is
    # outside the measured client tree.
    echo "netem unavailable ($why); using bench/delay_proxy.py for 50 ms RTT" >&2
    lat_ports=$(fleet_free_ports "$hosts") || exit 1
    read -r -a lat_ports <<<"$lat_ports"
    FLEET_MY_PORTS+=("${lat_ports[@]}")
    LAT_HOSTS=()
    pairs=()
    : >"$B/lat_known_hosts"
    for ((i = 0; i < hosts; i++)); do
      orig=${LOOP_HOSTS[$i]}
      name=lat-${orig#host-}
      LAT_HOSTS+=("$name")
      FLEET_PORT[$name]=${lat_ports[$i]}
      pairs+=("${lat_ports[$i]}:${FLEET_PORT[$orig]}")
      grep "^\[127\.0\.0\.1\]:${FLEET_PORT[$orig]} " "$FLEET_KNOWN_HOSTS" |
        sed "s/^\[127\.0\.0\.1\]:[0-9]*/[127.0.0.1]:${lat_ports[$i]}/" >>"$B/lat_known_hosts"
    done
    python3 "$here/delay_proxy.py" 25 "${pairs[@]}" >"$B/proxy.log" 2>&1 &
    FLEET_PIDS+=($!)
    for ((i = 0; i < 100; i++)); do grep -q ready "$B/proxy.log" && break; sleep 0.1; done
    dir=$B/latency-n$hosts
    write_fleet_files "$dir" "$hosts" 127.0.0.1 yes "$B/lat_known_hosts" LAT_HOSTS
    rtt=$(python3 - "${lat_ports[0]}" "${FLEET_PORT[${LOOP_HOSTS[0]}]}" <<'PY'
import socket, sys, time
def banner_ms(port):
    t = time.monotonic(); s = socket.create_connection(("127.0.0.1", int(port))); s.recv(100); s.close()
    return (time.monotonic() - t) * 1000
print(f"{min(banner_ms(sys.argv[1]) for _ in range(3)) - min(banner_ms(sys.argv[2]) for _ in range(3)):.0f}")
PY
)
    lat_note="netem is not available in this kernel ($why), so the 50 ms RTT comes from bench/delay_proxy.py, a user-space TCP proxy holding each chunk 25 ms each way (TCP connect+banner through it is ${rtt:-?} ms slower than direct; the proxy's CPU is not in the client figures)."
    for ((run = 1; run <= runs; run++)); do
      for conc in $lat_conc; do
        for tool in $lat_tools; do bench_one latency "$tool" true "$conc" "$hosts" "$dir" forced "$run"; done
      done
    done
  fi
fi

# --- report -------------------------------------------------------------------------------
cp "$data" "$here/last-data.jsonl"
python3 "$here/report.py" --data "$data" --out "$out" --command "$cmdline" --sshm "$sshm_bin" \
  --lat-note "$lat_note" --hosts "$hosts" --load-start "$load_start" --sshd-cpu-note "$sshd_cpu_note"
echo "wrote $out" >&2
