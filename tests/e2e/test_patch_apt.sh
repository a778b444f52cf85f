#!/usr/bin/env bash
# Patch Manager on real apt: a Debian 12 root of its own (mmdebstrap, cached), its own sshd
# in a chroot on 127.0.0.1, and a local apt repository with a bookworm-security and a
# bookworm suite holding newer versions of tiny packages installed there. Scan must
# classify each exactly, install must install the approved ones only, wait for a held dpkg
# lock, mark a failing postinst Failed and go on. Then this machine is scanned over
# loopback SSH with an approve-everything baseline: Missing equals `apt list --upgradable`.
# Nothing here upgrades the machine's own packages.
set -o pipefail
: "${SSHM:?path to the sshm binary}" "${SSHM_SOURCE_DIR:?path to the source tree}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"

[ "$(id -u)" -eq 0 ] || fleet_skip "needs root (chroot, mount)"
for tool in mmdebstrap dpkg-deb apt-ftparchive chroot mount python3 jq; do
  command -v "$tool" >/dev/null || fleet_skip "$tool is not installed (tests/run.sh installs it)"
done

CACHE=${SSHM_TEST_CACHE:-/var/cache/sshm-test}
CACHED_ROOT=$CACHE/bookworm-root
MIRROR=${SSHM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$CACHE"
(
  flock 9
  if [ ! -x "$CACHED_ROOT/usr/sbin/sshd" ]; then
    echo "building the Debian 12 root in $CACHED_ROOT (cached for later runs)"
    rm -rf "$CACHED_ROOT.tmp"
    if ! mmdebstrap --quiet --variant=minbase --include=openssh-server bookworm "$CACHED_ROOT.tmp" "$MIRROR" \
        >"$CACHE/mmdebstrap.log" 2>&1; then
      echo "FAIL: mmdebstrap could not build a Debian root from $MIRROR (is the Debian mirror reachable?):" >&2
      tail -n 20 "$CACHE/mmdebstrap.log" >&2
      exit 1
    fi
    rm -rf "$CACHE/bookworm-root.tmp/var/cache/apt/archives/"*.deb
    mv "$CACHED_ROOT.tmp" "$CACHED_ROOT"
  fi
) 9>"$CACHE/.lock" || exit 1

fleet_init
WORK=$(mktemp -d /tmp/sshm-patch-apt.XXXXXX)
ROOT=$WORK/root
ROOT_SSHD_PID=""
LOCK_PIDS=()
patch_cleanup() {
  local p
  for p in "${LOCK_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "$ROOT_SSHD_PID" ] && kill "$ROOT_SSHD_PID" 2>/dev/null && wait "$ROOT_SSHD_PID" 2>/dev/null
  # Processes sshd started in the chroot (sessions) die with their connections; unmount after.
  mountpoint -q "$ROOT/proc" && umount -l "$ROOT/proc"
  rm -rf "$WORK"
  fleet_cleanup
}
trap patch_cleanup EXIT

# A private copy of the cached root, so runs never see each other's installs.
cp -a "$CACHED_ROOT" "$ROOT"
mount -t proc proc "$ROOT/proc"

# Tiny packages: v1 installed in the root; newer versions in the local repository.
mkdeb() {  # name version priority section [depends] [postinst-exit]
  local name=$1 version=$2 priority=$3 section=$4 depends=${5:-} postinst=${6:-}
  local d=$WORK/build/$name-$version
  mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$name"
  {
    echo "Package: $name"
    echo "Version: $version"
    echo "Architecture: all"
    echo "Maintainer: sshm tests <tests@sshm.invalid>"
    echo "Priority: $priority"
    echo "Section: $section"
    [ -n "$depends" ] && echo "Depends: $depends"
    echo "Description: sshm patch test package"
  } >"$d/DEBIAN/control"
  echo "$name $version" >"$d/usr/share/doc/$name/VERSION"
  if [ -n "$postinst" ]; then
    printf '#!/bin/sh\necho "postinst of %s fails on purpose" >&2\nexit %s\n' "$name" "$postinst" >"$d/DEBIAN/postinst"
    chmod 755 "$d/DEBIAN/postinst"
  fi
  mkdir -p "$WORK/debs"
  dpkg-deb --root-owner-group --build "$d" "$WORK/debs/${name}_${version}_all.deb" >/dev/null
}
REPO=$ROOT/srv/sshm-repo
mkdir -p "$REPO/pool/security" "$REPO/pool/main"
sec() { mkdeb "$@" && mv "$WORK/debs/${1}_${2}_all.deb" "$REPO/pool/security/"; }
main() { mkdeb "$@" && mv "$WORK/debs/${1}_${2}_all.deb" "$REPO/pool/main/"; }
for p in sshm-sec sshm-normal sshm-both sshm-rejected sshm-app sshm-lib; do mkdeb "$p" 1 optional utils; done
mkdeb sshm-extra 1 extra games
mkdeb sshm-broken 1 optional utils
sec sshm-sec 2 optional utils
main sshm-normal 2 optional utils
sec sshm-both 2 optional utils
main sshm-both 3 optional utils
sec sshm-extra 2 extra games
sec sshm-rejected 2 optional utils
sec sshm-broken 2 optional utils "" 1
sec sshm-app 2 optional utils "sshm-lib (>= 2)"
main sshm-lib 2 optional libs
sec sshm-notinst 1 optional utils
(
  cd "$REPO" || exit 1
  for s in security:bookworm-security:Debian-Security main:bookworm:Debian; do
    IFS=: read -r pool suite label <<<"$s"
    mkdir -p "dists/$suite/main/binary-amd64"
    apt-ftparchive packages "pool/$pool" >"dists/$suite/main/binary-amd64/Packages"
    apt-ftparchive -o APT::FTPArchive::Release::Origin=Debian -o "APT::FTPArchive::Release::Label=$label" \
      -o "APT::FTPArchive::Release::Suite=$suite" -o "APT::FTPArchive::Release::Codename=$suite" \
      -o APT::FTPArchive::Release::Components=main -o APT::FTPArchive::Release::Architectures=amd64 \
      release "dists/$suite" >"dists/$suite/Release"
  done
)
# The root sees only the local repository.
rm -f "$ROOT"/etc/apt/sources.list.d/*
printf 'deb [trusted=yes] file:/srv/sshm-repo bookworm main\ndeb [trusted=yes] file:/srv/sshm-repo bookworm-security main\n' \
  >"$ROOT/etc/apt/sources.list"
cp "$WORK"/debs/*_1_all.deb "$ROOT/tmp/"
chroot "$ROOT" sh -c 'dpkg -i /tmp/*_1_all.deb >/dev/null && rm -f /tmp/*.deb' || { echo "FAIL: dpkg -i of v1 packages"; exit 1; }
echo "boot-1" >"$ROOT/etc/sshm-boot-id"

# The root's own sshd on a free port, logging in as root with the fleet's key.
ROOT_PORT=$(fleet_free_ports 1) || exit 1
FLEET_MY_PORTS+=("$ROOT_PORT")
mkdir -p "$ROOT/root/.ssh" "$ROOT/run/sshd"
cp "$FLEET_KEY.pub" "$ROOT/root/.ssh/authorized_keys"
[ -f "$ROOT/etc/ssh/ssh_host_ed25519_key" ] || chroot "$ROOT" ssh-keygen -q -A
cat >"$ROOT/etc/ssh/sshd_config_sshm" <<CONF
ListenAddress 127.0.0.1
Port $ROOT_PORT
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile none
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
CONF
chroot "$ROOT" /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config_sshm >"$WORK/sshd.log" 2>&1 &
ROOT_SSHD_PID=$!
for _ in $(seq 200); do grep -q 'Server listening' "$WORK/sshd.log" && break; sleep 0.05; done
grep -q 'Server listening' "$WORK/sshd.log" || { echo "FAIL: the root's sshd did not start:"; cat "$WORK/sshd.log"; exit 1; }

# This machine over loopback (fleet harness), plus the Debian root, in one inventory.
fleet_add_hosts 1 local || exit 1
fleet_write_files
echo "[127.0.0.1]:$ROOT_PORT $(cut -d' ' -f1,2 "$ROOT/etc/ssh/ssh_host_ed25519_key.pub")" >>"$FLEET_KNOWN_HOSTS"
cat >>"$FLEET_INVENTORY" <<INV
  debroot:
    address: 127.0.0.1
    port: $ROOT_PORT
    user: root
    tags: {"Patch Group": "test"}
    vars:
      patch_boot_id_command: cat /etc/sshm-boot-id
      patch_reboot_command: cat /proc/sys/kernel/random/uuid > /etc/sshm-boot-id
  debroot-nosudo:
    address: 127.0.0.1
    port: $ROOT_PORT
    user: root
    identity_file: $FLEET_KEY
    run_as: sshm-nobody
INV
cat >>"$FLEET_SSH_CONFIG" <<SSHCONF
Host debroot debroot-nosudo
  HostName 127.0.0.1
  Port $ROOT_PORT
  User root
  IdentityFile $FLEET_KEY
SSHCONF
export SSHM_STATE_DIR=$WORK/state XDG_CONFIG_HOME=$WORK/config
sshm() { fleet_sshm "$@"; }
installed_version() { chroot "$ROOT" dpkg-query -W -f='${Version}' "$1"; }
state_of() {  # json package -> "State Candidate"
  jq -r --arg p "$2" '.[0].Patches[] | select(.Name == $p) | "\(.State) \(.CandidateVersion)"' <<<"$1"
}

cat >"$WORK/test-debian.json" <<'JSON'
{
  "Name": "test-debian",
  "OperatingSystem": "DEBIAN",
  "GlobalFilters": {"PatchFilters": [{"Key": "PRODUCT", "Values": ["Debian12"]}]},
  "ApprovalRules": {"PatchRules": [
    {"PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["Required", "Important", "Standard", "Optional"]}]},
     "ComplianceLevel": "HIGH"}
  ]},
  "ApprovedPatches": ["sshm-normal"],
  "ApprovedPatchesComplianceLevel": "LOW",
  "ApprovedPatchesEnableNonSecurity": true,
  "RejectedPatches": ["sshm-rejected", "sshm-lib"],
  "RejectedPatchesAction": "BLOCK"
}
JSON
mkdir -p "$WORK/config/sshm"
printf 'baselines:\n  test-debian: %s\npatch_groups:\n  test: [test-debian]\n' "$WORK/test-debian.json" \
  >"$WORK/config/sshm/patch.yaml"

case_begin "scan with SSM's default Debian baseline classifies security vs non-security exactly"
out=$(sshm -o json patch scan -t debroot --baseline AWS-DebianDefaultPatchBaseline --update)
rc=$?; check "exit status" 0 "$rc"
check "operating system" "DEBIAN Debian12" "$(jq -r '.[0] | "\(.OperatingSystem) \(.Product)"' <<<"$out")"
check "sshm-sec: security update" "Missing 2" "$(state_of "$out" sshm-sec)"
check "sshm-normal: only in bookworm" "InstalledOther 2" "$(state_of "$out" sshm-normal)"
check "sshm-both: the security version, not the newest" "Missing 2" "$(state_of "$out" sshm-both)"
check "sshm-extra: priority extra is in the default list" "Missing 2" "$(state_of "$out" sshm-extra)"
check "sshm-lib: only in bookworm" "InstalledOther 2" "$(state_of "$out" sshm-lib)"
check "archive of sshm-sec" "bookworm-security/main" \
  "$(jq -r '.[0].Patches[] | select(.Name == "sshm-sec") | .Archive' <<<"$out")"
check_contains "reason of sshm-normal says why" "not a security update (archive bookworm) and EnableNonSecurity is false" \
  "$(jq -r '.[0].Patches[] | select(.Name == "sshm-normal") | .Reason' <<<"$out")"
check "NotApplicable counts sshm-notinst" "1" "$(jq -r '.[0].PatchSummary.NotApplicableCount' <<<"$out")"
check "MissingCount (sec, both, extra, rejected, broken, app)" "6" "$(jq -r '.[0].PatchSummary.MissingCount' <<<"$out")"
check "scan installs nothing" "1" "$(installed_version sshm-sec)"

case_begin "patch scan is a command in the history, one invocation per host; -t @failed:ID selects the failed host"
# debroot-nosudo reaches the same root but refreshes the package lists (--update) as another
# user through sudo, which the root lacks.
out=$(sshm -o json patch scan -t debroot,debroot-nosudo --update)
rc=$?; check "exit status (one host failed)" 1 "$rc"
check "reports" "debroot-nosudo:Failed debroot:Success" "$(jq -r '[.[] | "\(.InstanceId):\(.Status)"] | sort | join(" ")' <<<"$out")"
list=$(sshm -o json commands list --limit 1)
check "commands list: the document" "AWS-RunPatchBaseline" "$(jq -r '.Commands[0].DocumentName' <<<"$list")"
id=$(jq -r '.Commands[0].CommandId' <<<"$list")
show=$(sshm -o json commands show "$id")
check "commands show: one invocation per host" "debroot-nosudo:Failed debroot:Success" \
  "$(jq -r '[.Invocations[] | "\(.InstanceId):\(.Status)"] | sort | join(" ")' <<<"$show")"
# Every selected host failed before patching (sudo): exit 4, as `patch scan` always says.
out=$(sshm -o json patch scan -t "@failed:$id" --update)
rc=$?; check "rescan of the failed: exit status" 4 "$rc"
check "@failed selects exactly the failed host" "debroot-nosudo" "$(jq -r '[.[].InstanceId] | join(" ")' <<<"$out")"

case_begin "the Patch Group tag picks the custom baseline: rules, ApprovedPatches, RejectedPatches with BLOCK"
out=$(sshm -o json patch scan -t debroot)
check "baseline" "test-debian" "$(jq -r '.[0].PatchSummary.BaselineId' <<<"$out")"
check "patch group" "test" "$(jq -r '.[0].PatchSummary.PatchGroup' <<<"$out")"
check "sshm-sec approved by the rule" "Missing 2" "$(state_of "$out" sshm-sec)"
check "sshm-sec level" "HIGH" "$(jq -r '.[0].Patches[] | select(.Name == "sshm-sec") | .ComplianceLevel' <<<"$out")"
check "sshm-normal approved by ApprovedPatches (non-security allowed)" "Missing 2" "$(state_of "$out" sshm-normal)"
check "sshm-extra: PRIORITY extra not in the rule" "InstalledOther 2" "$(state_of "$out" sshm-extra)"
check "sshm-rejected: BLOCK" "InstalledRejected 2" "$(state_of "$out" sshm-rejected)"
check "sshm-lib: BLOCK" "InstalledRejected 2" "$(state_of "$out" sshm-lib)"
check "sshm-app still Missing on scan (its dependency is rejected)" "Missing 2" "$(state_of "$out" sshm-app)"

case_begin "install waits for a held dpkg lock, installs the approved only, Failed postinst does not stop the run"
# Hold dpkg's frontend lock (a POSIX lock, as apt takes it) for a few seconds.
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "w"); fcntl.lockf(f, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(4)' \
  "$ROOT/var/lib/dpkg/lock-frontend" >"$WORK/lock.log" 2>&1 &
LOCK_PIDS+=($!)
for _ in $(seq 200); do grep -q locked "$WORK/lock.log" && break; sleep 0.05; done
out=$(sshm -o json patch install -t debroot --reboot-option NoReboot --lock-timeout 120)
rc=$?; check "exit status (some packages failed)" 1 "$rc"
check "sshm-sec installed" "2" "$(installed_version sshm-sec)"
check "sshm-normal installed (ApprovedPatches)" "2" "$(installed_version sshm-normal)"
check "sshm-both at the approved version, not the newest" "2" "$(installed_version sshm-both)"
check "sshm-extra not approved: untouched" "1" "$(installed_version sshm-extra)"
check "sshm-rejected untouched" "1" "$(installed_version sshm-rejected)"
check "sshm-lib untouched (BLOCK, not even as a dependency)" "1" "$(installed_version sshm-lib)"
check "sshm-app not installed" "1" "$(installed_version sshm-app)"
check "sshm-sec state" "InstalledPendingReboot" "$(jq -r '.[0].Patches[] | select(.Name == "sshm-sec") | .State' <<<"$out")"
check "sshm-broken state" "Failed" "$(jq -r '.[0].Patches[] | select(.Name == "sshm-broken") | .State' <<<"$out")"
check "sshm-app state (needs a BLOCKed dependency)" "Failed" "$(jq -r '.[0].Patches[] | select(.Name == "sshm-app") | .State' <<<"$out")"
check "counts" "3 2 0" "$(jq -r '.[0].PatchSummary | "\(.InstalledPendingRebootCount) \(.FailedCount) \(.MissingCount)"' <<<"$out")"
check "states file on the host" "InstalledPendingReboot" \
  "$(jq -r '.patchStates["sshm-sec.all:2"].state' "$ROOT/var/lib/sshm/patch-states.json")"

case_begin "compliance reports the host non-compliant and exits 1"
out=$(sshm patch compliance -t debroot)
rc=$?; check "exit status" 1 "$rc"
check_contains "status line" "NON_COMPLIANT" "$out"
check_contains "summary" "1 hosts: 0 compliant, 1 non-compliant" "$out"

case_begin "sshm compliance reports the same host under the Patch type"
out=$(sshm -o json compliance summary --type Patch)
rc=$?; check "exit status (non-compliant)" 1 "$rc"
check "one non-compliant host" "0 1" "$(jq -r '.ComplianceSummaryItems[0] | "\(.CompliantSummary.CompliantCount) \(.NonCompliantSummary.NonCompliantCount)"' <<<"$out")"
out=$(sshm -o json compliance list --type Patch --resource-id debroot)
check "the failed package is a NON_COMPLIANT item" "NON_COMPLIANT Failed" \
  "$(jq -r '.ComplianceItems[] | select(.Title | startswith("sshm-broken ")) | "\(.Status) \(.Details.PatchState)"' <<<"$out")"

case_begin "a dpkg lock held past --lock-timeout fails the package with the reason"
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "w"); fcntl.lockf(f, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(600)' \
  "$ROOT/var/lib/dpkg/lock-frontend" >"$WORK/lock2.log" 2>&1 &
LOCK_PIDS+=($!)
for _ in $(seq 200); do grep -q locked "$WORK/lock2.log" && break; sleep 0.05; done
out=$(sshm -o json patch install -t debroot --baseline AWS-DebianDefaultPatchBaseline --install-override sshm-extra \
  --reboot-option NoReboot --lock-timeout 2)
rc=$?; check "exit status" 1 "$rc"
check "sshm-extra Failed" "Failed" "$(jq -r '.[0].Patches[] | select(.Name == "sshm-extra") | .State' <<<"$out")"
check_contains "reason names the lock" "lock" "$(jq -r '.[0].Patches[] | select(.Name == "sshm-extra") | .Reason' <<<"$out")"
check "sshm-extra untouched" "1" "$(installed_version sshm-extra)"
kill "${LOCK_PIDS[-1]}" 2>/dev/null; wait "${LOCK_PIDS[-1]}" 2>/dev/null

case_begin "RebootIfNeeded installs, reboots, waits for the new boot and rescans"
out=$(sshm -o json patch install -t debroot --baseline AWS-DebianDefaultPatchBaseline --install-override sshm-extra \
  --install-override sshm-app)
check "sshm-extra installed" "2" "$(installed_version sshm-extra)"
check "sshm-app installed" "2" "$(installed_version sshm-app)"
check "sshm-lib pulled in as a dependency (ALLOW_AS_DEPENDENCY)" "2" "$(installed_version sshm-lib)"
check "rebooted" "true" "$(jq -r '.[0].PatchSummary.Rebooted' <<<"$out")"
check "boot id changed" "false" "$([ "$(cat "$ROOT/etc/sshm-boot-id")" = boot-1 ] && echo true || echo false)"
check "earlier NoReboot installs no longer pending" "0" "$(jq -r '.[0].PatchSummary.InstalledPendingRebootCount' <<<"$out")"
check "sshm-lib after the reboot" "InstalledOther" "$(jq -r '.[0].Patches[] | select(.Name == "sshm-lib") | .State' <<<"$out")"

case_begin "errors in a baseline file stop the run with file:line:col"
printf '{"OperatingSystem": "DEBAIN"}\n' >"$WORK/bad.json"
err=$(sshm patch scan -t debroot --baseline "$WORK/bad.json" 2>&1 >/dev/null)
rc=$?; check "exit status" 2 "$rc"
check_contains "message" "bad.json:1:21: OperatingSystem must be one of" "$err"
check_contains "did you mean" "(did you mean 'DEBIAN'?)" "$err"

case_begin "this machine over loopback SSH: with an approve-everything baseline, Missing equals apt list --upgradable"
if [ -r /etc/os-release ] && . /etc/os-release && { [ "$ID" = debian ] || [ "$ID" = ubuntu ]; }; then
  cat >"$WORK/all.json" <<'JSON'
[{"Name": "all-debian", "OperatingSystem": "DEBIAN",
  "ApprovalRules": {"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [{"Key": "PRODUCT", "Values": ["*"]}]}, "EnableNonSecurity": true}]}},
 {"Name": "all-ubuntu", "OperatingSystem": "UBUNTU",
  "ApprovalRules": {"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [{"Key": "PRODUCT", "Values": ["*"]}]}, "EnableNonSecurity": true}]}}]
JSON
  out=$(sshm -o json patch scan -t local-001 --baseline "$WORK/all.json")
  rc=$?; check "exit status" 0 "$rc"
  mine=$(jq -r '.[0].Patches[] | select(.State == "Missing") | .Name' <<<"$out" | sort -u)
  apt_says=$(apt list --upgradable 2>/dev/null | tail -n +2 | cut -d/ -f1 | sort -u)
  check "Missing names" "$apt_says" "$mine"
else
  echo "  (not a Debian or Ubuntu machine: skipped this case)"
fi

checks_done
