# Sourced by the AWS e2e suites: a moto_server on 127.0.0.1 that checks SigV4 signatures,
# an IAM user with an access key made within the unauthenticated budget, and helpers to
# start and stop it. Assertions come from lib/check.sh.
# Needs: moto (moto_server's Python) and the aws CLI on PATH (or under /root/.pyenv/shims), jq.

export PATH="$PATH:/root/.pyenv/shims"
for tool in aws jq; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAIL: prerequisite '$tool' is missing: the AWS suites need moto_server, the aws CLI and jq" >&2
    exit 1
  fi
done

# moto's Python: the one that imports it (pyenv's, where moto_server lives, when the system's lacks it).
moto_python=
for py in python3 /root/.pyenv/shims/python3 "$(dirname "$(command -v moto_server 2>/dev/null || echo /nonexistent/x)")/python3"; do
  if "$py" -c 'import moto.server, moto.iam.access_control' >/dev/null 2>&1; then moto_python=$py; break; fi
done
if [ -z "$moto_python" ]; then
  echo "FAIL: prerequisite moto is missing: no python3 here imports moto.server (pip install 'moto[server]')" >&2
  exit 1
fi
moto_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

work=$(mktemp -d /tmp/sshm-aws.XXXXXX)
moto_pid=
zygote_pid=
cleanup() {
  [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null && wait "$moto_pid" 2>/dev/null
  [ -n "$zygote_pid" ] && kill "$zygote_pid" 2>/dev/null && wait "$zygote_pid" 2>/dev/null
  [ -n "${extra_pids:-}" ] && for p in $extra_pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# The aws CLI, through lib/aws_zygote.py when the CLI's own Python can serve it: the same
# CLIDriver on the same arguments, environment and descriptors, without a second of start-up
# per call. Where it cannot (another aws CLI), `aws` itself runs.
aws_cli=$(command -v aws)
case $aws_cli in */shims/aws) aws_cli=$(pyenv which aws 2>/dev/null || echo "$aws_cli") ;; esac
aws_python=$(sed -n '1s/^#! *//p' "$aws_cli" 2>/dev/null | cut -d' ' -f1)
aws_socket=
if [ -n "$aws_python" ] && [ -x "$aws_python" ] && "$aws_python" -c 'import awscli.clidriver' >/dev/null 2>&1; then
  "$aws_python" "$moto_here/lib/aws_zygote.py" serve "$work/aws.sock" >"$work/aws-zygote.log" 2>&1 &
  zygote_pid=$!
  for _ in $(seq 1 200); do
    [ -S "$work/aws.sock" ] && { aws_socket=$work/aws.sock; break; }
    kill -0 "$zygote_pid" 2>/dev/null || break
    sleep 0.05
  done
fi
aws() {
  if [ -n "$aws_socket" ]; then
    python3 "$moto_here/lib/aws_zygote.py" call "$aws_socket" "$@"
  else
    command aws "$@"
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_moto PORT [ACTIONS]: starts moto (3 unauthenticated calls), creates the IAM user
# `sshm` with s3:* and logs:* (or the JSON action list ACTIONS, e.g. '"ssm:*","kms:*"') and
# exports its key as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
start_moto() {
  moto_port=$1
  local actions=${2:-'"s3:*","logs:*"'}
  endpoint="http://127.0.0.1:$moto_port"
  # moto_server_s3path.py: moto_server with S3's path encoding in its signature check (see there).
  INITIAL_NO_AUTH_ACTION_COUNT=3 "$moto_python" "$moto_here/moto_server_s3path.py" -H 127.0.0.1 -p "$moto_port" >"$work/moto-$moto_port.log" 2>&1 &
  moto_pid=$!
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$endpoint/moto-api/" 2>/dev/null && break
    sleep 0.1
  done
  # The three unauthenticated actions: user, policy, key. Everything after is signed.
  moto_setup_call() { AWS_ACCESS_KEY_ID=setup AWS_SECRET_ACCESS_KEY=setup aws --endpoint-url "$endpoint" "$@"; }
  moto_setup_call iam create-user --user-name sshm >/dev/null
  moto_setup_call iam put-user-policy --user-name sshm --policy-name sshm-results --policy-document \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[$actions],\"Resource\":\"*\"}]}"
  local key
  key=$(moto_setup_call iam create-access-key --user-name sshm)
  AWS_ACCESS_KEY_ID=$(jq -r .AccessKey.AccessKeyId <<<"$key")
  AWS_SECRET_ACCESS_KEY=$(jq -r .AccessKey.SecretAccessKey <<<"$key")
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
}

stop_moto() {
  kill "$moto_pid" 2>/dev/null
  wait "$moto_pid" 2>/dev/null
  moto_pid=
}

# A private AWS environment: no real credentials or config files leak in.
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_LOGS
awsm() { aws --endpoint-url "$endpoint" "$@"; }
