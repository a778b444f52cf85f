#!/usr/bin/env bash
# Distributor packages on the loopback fleet: a package folder (manifest.json and its archives)
# stored by `sshm packages create`, then installed, updated in place, reinstalled and
# uninstalled through AWS's AWS-ConfigureAWSPackage, each host's installed version checked on
# the host, by `packages status` and by `inventory`; an archive whose sha256 is not its
# manifest's is refused before anything runs on a host; bad manifests are refused with exit 2;
# a package kept in moto S3 (signatures checked) is installed from there, and refused when altered.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/moto.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"
cleanup_all() {
  # What the commands left in the test user's orchestration directory.
  [ -n "${FLEET_USER:-}" ] && for id in ${ids:-}; do
    rm -rf "$(getent passwd "$FLEET_USER" | cut -d: -f6)/.sshm/orchestration/$id"
  done
  fleet_cleanup
  cleanup
}

fleet_init
trap cleanup_all EXIT
fleet_add_hosts 2 node || exit 1
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state
out=$FLEET_DIR/out
mkdir -p "$out"
# Each loopback host logs in as the same user: give each its own package directory (the
# distributor_dir host var), as separate machines have.
hostdirs=$FLEET_DIR/hosts
mkdir -p "$hostdirs" && chmod 1777 "$hostdirs"
python3 - "$FLEET_INVENTORY" "$hostdirs" <<'PY'
import sys
path, root = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
out = []
host = None
for line in lines:
    out.append(line)
    s = line.strip()
    if line.startswith("  ") and not line.startswith("    ") and s.endswith(":"):
        host = s[:-1]
        out.append(f"    vars: {{distributor_dir: {root}/{host}}}")
open(path, "w").write("\n".join(out) + "\n")
PY
ids=
hosts=node-001,node-002
s() { fleet_sshm --no-progress "$@"; }
run_json() { # FILE ARGS...: runs sshm -o json, keeps the CommandId for cleanup
  local file=$1
  shift
  s -o json "$@" >"$file" 2>"$file.err"
  local rc=$?
  ids="$ids $(json_get "$file" 'd.get("CommandId","")' 2>/dev/null)"
  return $rc
}
arch=$(uname -m)
case $arch in aarch64) arch=arm64 ;; i?86) arch=i386 ;; esac
os_id=$(. /etc/os-release && echo "$ID")

# make_package DIR VERSION [update]: a package folder: a .zip for this machine's platform and
# a .tar.gz for any other; its scripts log each run on the host and keep the app's version.
make_package() {
  local dir=$1 version=$2 with_update=${3:-}
  mkdir -p "$dir/src"
  cat >"$dir/src/install.sh" <<SH
echo "install $version \${SSM_GREETING:-}" >>../../log
echo "$version \${SSM_GREETING:-}" >../../app-version
echo "installed $version"
SH
  cat >"$dir/src/uninstall.sh" <<SH
echo "uninstall $version" >>../../log
rm -f ../../app-version
SH
  [ -n "$with_update" ] && cat >"$dir/src/update.sh" <<SH
echo "update $version" >>../../log
echo "$version updated" >../../app-version
SH
  (cd "$dir/src" && python3 -m zipfile -c "../demo-$version-$os_id.zip" ./*.sh && tar -czf "../demo-$version-any.tar.gz" ./*.sh)
  rm -rf "$dir/src"
  local zsum tsum
  zsum=$(sha256sum "$dir/demo-$version-$os_id.zip" | cut -d' ' -f1)
  tsum=$(sha256sum "$dir/demo-$version-any.tar.gz" | cut -d' ' -f1)
  cat >"$dir/manifest.json" <<JSON
{
  "schemaVersion": "2.0",
  "version": "$version",
  "publisher": "sshm tests",
  "packages": {
    "$os_id": {"_any": {"$arch": {"file": "demo-$version-$os_id.zip"}}},
    "_any": {"_any": {"_any": {"file": "demo-$version-any.tar.gz"}}}
  },
  "files": {
    "demo-$version-$os_id.zip": {"checksums": {"sha256": "$zsum"}},
    "demo-$version-any.tar.gz": {"checksums": {"sha256": "$tsum"}}
  }
}
JSON
}

# host_state HOST: the app version the host's scripts left, and its installstate version.
host_state() {
  local d=$hostdirs/$1
  printf '%s|%s' "$(cat "$d/app-version" 2>/dev/null)" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$d/demo/installstate" 2>/dev/null)"
}
status_of() { # HOST: the version `packages status` reports
  s -o json packages status -t "$1" --name demo | jq -r '.Packages[0] | "\(.State) \(.Version // "-")"'
}
inventory_of() { # HOST: demo's Version and PackageId in the host's AWS:Application inventory
  s inventory collect -t "$1" >/dev/null 2>&1
  s -o json inventory show "$1" --type AWS:Application |
    jq -r '[.[0].Content[] | select(.Name == "demo") | "\(.Version) \(.PackageId)"] | if length == 0 then "none" else .[0] end'
}

case_begin "packages create: a package folder is checked and stored"
make_package "$work/demo" 1.0
s packages create "$work/demo" >"$out/create.txt" 2>&1
check_eq "create exits 0 ($(cat "$out/create.txt"))" 0 "$?"
s -o json packages list >"$out/list.json"
check_eq "list shows it as a Package document" "demo 1.0 Package" \
  "$(jq -r '.DocumentIdentifiers[] | "\(.Name) \(.VersionName) \(.DocumentType)"' "$out/list.json")"
s -o json packages describe demo >"$out/describe.json"
check_eq "describe lists its archives" "$(printf '%s\n' "demo-1.0-$os_id.zip" demo-1.0-any.tar.gz | LC_ALL=C sort | paste -sd' ')" \
  "$(jq -r '[.Document.AttachmentsInformation[].Name] | sort | join(" ")' "$out/describe.json")"
s packages create "$work/demo" >/dev/null 2>"$out/again.err"
check_eq "the same version again exits 2" 2 "$?"

case_begin "bad manifests are refused with exit 2 and where"
mkdir -p "$work/bad"
cp "$work/demo/"*.zip "$work/demo/"*.tar.gz "$work/bad/"
printf '{\n  "schemaVersion": "2.0",\n  "version": "1.0",\n  "packages": {,\n}\n' >"$work/bad/manifest.json"
s packages create "$work/bad" --name badpkg >/dev/null 2>"$out/bad.err"
check_eq "invalid JSON exits 2" 2 "$?"
check_contains "invalid JSON names file:line:col" "bad/manifest.json:4:" "$(cat "$out/bad.err")"
sed -e 's/"publisher"/"publsher"/' "$work/demo/manifest.json" >"$work/bad/manifest.json"
s packages create "$work/bad" --name badpkg >/dev/null 2>"$out/bad.err"
check_eq "an unknown field exits 2" 2 "$?"
check_contains "with a did-you-mean" "did you mean 'publisher'" "$(cat "$out/bad.err")"
sed -e 's/"file": "demo-1.0-any.tar.gz"/"file": "missing.tar.gz"/' "$work/demo/manifest.json" >"$work/bad/manifest.json"
s packages create "$work/bad" --name badpkg >/dev/null 2>"$out/bad.err"
check_eq "an archive not in files exits 2" 2 "$?"
check_contains "and says which" "missing.tar.gz" "$(cat "$out/bad.err")"
cp "$work/demo/manifest.json" "$work/bad/manifest.json"
echo tampered >>"$work/bad/demo-1.0-any.tar.gz"
s packages create "$work/bad" --name badpkg >/dev/null 2>"$out/bad.err"
check_eq "an archive whose sha256 differs exits 2" 2 "$?"
check_contains "and says so" "sha256" "$(cat "$out/bad.err")"
check_eq "nothing was stored" "" "$(s -o json packages list | jq -r '.DocumentIdentifiers[] | select(.Name == "badpkg") | .Name')"

case_begin "Install 1.0 on every host, with additionalArguments as environment variables"
run_json "$out/install.json" run AWS-ConfigureAWSPackage -t "$hosts" -p action=Install -p name=demo \
  -p version=1.0 -p 'additionalArguments={"SSM_GREETING": "hello"}'
check_eq "exit status ($(head -c 300 "$out/install.json.err"))" 0 "$?"
check_eq "Status" Success "$(json_get "$out/install.json" 'd["Status"]')"
for h in node-001 node-002; do
  check_eq "$h: the app and installstate on the host" "1.0 hello|1.0" "$(host_state "$h")"
  check_eq "$h: packages status" "Installed 1.0" "$(status_of "$h")"
  check_eq "$h: inventory AWS:Application with the platform's archive as PackageId" "1.0 demo-1.0-$os_id.zip" "$(inventory_of "$h")"
done
check_contains "the install script's output is the step's" "installed 1.0" \
  "$(json_get "$out/install.json" 'd["Invocations"][0]["StandardOutputContent"]')"

case_begin "Install again: already installed, nothing runs"
run_json "$out/again.json" run AWS-ConfigureAWSPackage -t node-001 -p action=Install -p name=demo -p version=1.0
check_eq "exit status" 0 "$?"
check_contains "says so" "demo 1.0 is already installed" "$(json_get "$out/again.json" 'd["Invocations"][0]["StandardOutputContent"]')"
check_eq "install.sh ran once" 1 "$(grep -c '^install' "$hostdirs/node-001/log")"

case_begin "In-place update to the latest version (2.0) runs update.sh, not uninstall.sh"
make_package "$work/demo2" 2.0 update
s packages create "$work/demo2" --name demo >/dev/null 2>&1
check_eq "create 2.0 exits 0" 0 "$?"
run_json "$out/update.json" run AWS-ConfigureAWSPackage -t "$hosts" -p action=Install -p name=demo \
  -p 'installationType=In-place update'
check_eq "exit status ($(head -c 300 "$out/update.json.err"))" 0 "$?"
for h in node-001 node-002; do
  check_eq "$h: the app and installstate on the host" "2.0 updated|2.0" "$(host_state "$h")"
  check_eq "$h: the scripts that ran" "install 1.0 hello,update 2.0" "$(paste -sd, "$hostdirs/$h/log")"
  check_eq "$h: the old version's folder is gone" "2.0 installstate" "$(ls "$hostdirs/$h/demo" | paste -sd' ')"
  check_eq "$h: packages status" "Installed 2.0" "$(status_of "$h")"
  check_eq "$h: inventory" "2.0 demo-2.0-$os_id.zip" "$(inventory_of "$h")"
done

case_begin "Uninstall and reinstall (the default) back to 1.0: the old uninstall.sh runs first"
run_json "$out/reinstall.json" run AWS-ConfigureAWSPackage -t node-001 -p action=Install -p name=demo -p version=1.0
check_eq "exit status" 0 "$?"
check_eq "node-001: the scripts that ran" "install 1.0 hello,update 2.0,uninstall 2.0,install 1.0 " \
  "$(paste -sd, "$hostdirs/node-001/log")"
check_eq "node-001: packages status" "Installed 1.0" "$(status_of node-001)"
check_eq "node-002 is untouched" "Installed 2.0" "$(status_of node-002)"

case_begin "Uninstall"
run_json "$out/uninstall.json" run AWS-ConfigureAWSPackage -t "$hosts" -p action=Uninstall -p name=demo
check_eq "exit status ($(head -c 300 "$out/uninstall.json.err"))" 0 "$?"
check_eq "node-001 ran 1.0's uninstall.sh" "uninstall 1.0" "$(tail -1 "$hostdirs/node-001/log")"
check_eq "node-002 ran 2.0's uninstall.sh" "uninstall 2.0" "$(tail -1 "$hostdirs/node-002/log")"
for h in node-001 node-002; do
  check_eq "$h: nothing left on the host" "|" "$(host_state "$h")"
  check_eq "$h: the package folder is gone" no "$([ -e "$hostdirs/$h/demo" ] && echo yes || echo no)"
  check_eq "$h: packages status" "NotInstalled -" "$(status_of "$h")"
  check_eq "$h: inventory" none "$(inventory_of "$h")"
done
run_json "$out/uninstall2.json" run AWS-ConfigureAWSPackage -t node-001 -p action=Uninstall -p name=demo
check_eq "Uninstall of what is not installed fails (as AWS's document says)" 1 "$?"

case_begin "an archive whose sha256 is not its manifest's is refused before anything runs on a host"
make_package "$work/demo3" 3.0
s packages create "$work/demo3" --name demo >/dev/null 2>&1
check_eq "create 3.0 exits 0" 0 "$?"
stored=$(s -o json packages describe demo --version 3.0 | jq -r .Document.Location)
printf 'corrupted' >>"$stored/demo-3.0-any.tar.gz"
printf 'corrupted' >>"$stored/demo-3.0-$os_id.zip"
before=$(cat "$hostdirs"/node-00*/log | wc -l)
run_json "$out/corrupt.json" run AWS-ConfigureAWSPackage -t "$hosts" -p action=Install -p name=demo -p version=3.0
check_eq "exit status" 1 "$?"
check_eq "every invocation Failed" "Failed Failed" "$(jq -r '[.Invocations[].Status] | join(" ")' "$out/corrupt.json")"
check_contains "the reason names the checksum" "sha256" "$(jq -r '.Invocations[0].StandardErrorContent' "$out/corrupt.json")"
check_eq "no script ran on a host" "$before" "$(cat "$hostdirs"/node-00*/log | wc -l)"
home=$(getent passwd "$FLEET_USER" | cut -d: -f6)
cid=$(jq -r .CommandId "$out/corrupt.json")
check_eq "nothing was sent to a host" no "$([ -e "$home/.sshm/orchestration/$cid" ] && echo yes || echo no)"
check_eq "no host has the package" "|" "$(host_state node-001)$(host_state node-002 | tr -d '|')"

case_begin "packages delete"
s -o json packages delete demo --version 3.0 >"$out/delete.json"
check_eq "delete exits 0" 0 "$?"
check_eq "versions left" "1.0 2.0" "$(s -o json packages list | jq -r '[.DocumentIdentifiers[].VersionName] | join(" ")')"
s packages describe nosuchpkg >/dev/null 2>&1
check_eq "an unknown package exits 2" 2 "$?"

case_begin "a package kept in S3 (--bucket) is installed from there; an altered archive in S3 is refused"
start_moto "$(free_port)"
export AWS_ENDPOINT_URL=$endpoint
awsm s3 mb s3://pkgs >/dev/null
make_package "$work/demo4" 4.0
s packages create "$work/demo4" --name demo --bucket s3://pkgs/distributor >"$out/s3create.txt" 2>&1
check_eq "create --bucket exits 0 ($(head -c 300 "$out/s3create.txt"))" 0 "$?"
check_eq "the archives and manifest are in S3" \
  "$(printf '%s\n' demo-4.0-any.tar.gz "demo-4.0-$os_id.zip" manifest.json | LC_ALL=C sort | paste -sd' ')" \
  "$(awsm s3api list-objects-v2 --bucket pkgs --output json | jq -r '.Contents // [] | .[].Key' |
    sed -n 's|^distributor/demo/4\.0/||p' | LC_ALL=C sort | paste -sd' ')"
check_eq "describe says where" "s3://pkgs/distributor/demo/4.0/" "$(s -o json packages describe demo --version 4.0 | jq -r .Document.Location)"
check_eq "no archive is kept locally" 0 "$(ls "$SSHM_STATE_DIR/packages/demo/4.0" | grep -c -e zip -e tar)"
run_json "$out/s3install.json" run AWS-ConfigureAWSPackage -t node-002 -p action=Install -p name=demo -p version=4.0
check_eq "install from S3 exit status ($(jq -r '.Invocations[0].StandardErrorContent' "$out/s3install.json" 2>/dev/null | head -c 300))" 0 "$?"
check_eq "node-002: the app and installstate on the host" "4.0 |4.0" "$(host_state node-002)"
echo altered >"$out/altered.zip"
awsm s3 cp "$out/altered.zip" "s3://pkgs/distributor/demo/4.0/demo-4.0-$os_id.zip" >/dev/null
run_json "$out/s3corrupt.json" run AWS-ConfigureAWSPackage -t node-001 -p action=Install -p name=demo -p version=4.0
check_eq "an altered archive in S3: exit status" 1 "$?"
check_contains "the reason names the checksum" "sha256" "$(jq -r '.Invocations[0].StandardErrorContent' "$out/s3corrupt.json")"
check_eq "node-001 has nothing" "|" "$(host_state node-001)"

checks_done
