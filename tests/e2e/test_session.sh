#!/usr/bin/env bash
# Session Manager over SSH through a real terminal (tmux): a shell on a loopback host, typing,
# resizing, leaving with `exit` and with `~.`, a `read -s` password kept out of the
# transcript, replay, the idle timeout, a killed controller marked on the next start, a
# selection of several hosts refused in a pipe, and port forwarding with waves of 20 clients at once.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/fleet.sh"
source "$here/lib/check.sh"
: "${SSHM:?set SSHM to the sshm binary}"
command -v tmux >/dev/null || fleet_skip "tmux is not installed"
command -v curl >/dev/null || fleet_skip "curl is not installed"
command -v bash >/dev/null || fleet_skip "bash is not installed"

fleet_init
fleet_add_hosts 2 web
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state
sock=$FLEET_DIR/tmux.sock
source "$here/lib/terminal.sh"
cleanup_tmux() { tm kill-server 2>/dev/null; fleet_cleanup; }
trap cleanup_tmux EXIT

# Clears the window and its history, so the next wait sees only what comes next.
fresh() {
  local i
  type_line clear
  for ((i = 0; i < 100; i++)); do
    tm clear-history -t main
    screen | grep -q 'Starting session\|^rc=' || return 0
    sleep 0.1
  done
}
sshm_cmd="SSH_AUTH_SOCK= $SSHM -i $FLEET_INVENTORY -F $FLEET_SSH_CONFIG"

tm -f /dev/null new-session -d -s main -x 100 -y 30 "env -i PATH=$PATH HOME=$FLEET_DIR TERM=xterm SSHM_STATE_DIR=$SSHM_STATE_DIR bash --norc --noprofile"
tm set-option -t main remain-on-exit on >/dev/null
type_line "PS1='outer> '"

case_begin "a shell on the host: typed commands run, the window size follows resizes"
fresh
type_line "$sshm_cmd session web-001; echo \"rc=\$?\""
check "session started" 0 "$(screen_has 'Starting session with SessionId: [A-Za-z0-9._-]+-[0-9a-f]{17}')"
type_line "exec bash --norc --noprofile"
type_line "PS1='inner''> '"
wait_screen '^inner> ' >/dev/null
type_line 'echo "hello-$((6*7))"'
check "the command's output" 0 "$(screen_has '^hello-42')"
type_line 'echo "size=$(stty size)"'
check "initial size" 0 "$(screen_has '^size=30 100')"
tm resize-window -t main -x 120 -y 40
sleep 0.5
type_line 'echo "size=$(stty size)"'
check "size after the resize" 0 "$(screen_has '^size=40 120')"

case_begin "a read -s password never reaches the transcript"
type_line 'read -s -p "pass""word: " PW; echo "len=${#PW}"'
wait_screen '^password: ' >/dev/null
type_line 'hunter2-secret'
check "the host got the password" 0 "$(screen_has 'len=14')"
type_line 'exit 3'
check "exit status of the remote shell" 0 "$(screen_has '^rc=3')"
check_contains "the end is said" "Exiting session with sessionId" "$(screen)"
id=$(last_session)
transcript=$SSHM_STATE_DIR/sessions/$id.transcript
check "transcript exists" yes "$([ -f "$transcript" ] && echo yes)"
check "transcript mode" 600 "$(stat -c %a "$transcript")"
check_contains "output recorded" "hello-42" "$(cat "$transcript")"
check_match "echoed input recorded" $'[0-9]+ i [0-9]+\necho "hello' "$(cat "$transcript")"
check_not_contains "password absent" "hunter2" "$(cat "$transcript")"
check_not_contains "password absent from the state dir" "hunter2" "$(grep -ra hunter2 "$SSHM_STATE_DIR" || true)"
fleet_sshm -o json sessions show "$id" >"$FLEET_DIR/show.json"
check "status" Terminated "$(json_get "$FLEET_DIR/show.json" 'd["Status"]')"
check "target" web-001 "$(json_get "$FLEET_DIR/show.json" 'd["Target"]')"
check "reason" "the shell exited with status 3" "$(json_get "$FLEET_DIR/show.json" 'd["Reason"]')"
check "document" SSM-SessionManagerRunShell "$(json_get "$FLEET_DIR/show.json" 'd["DocumentName"]')"
check "end date set" yes "$(json_get "$FLEET_DIR/show.json" '"yes" if d.get("EndDate") else "no"')"

case_begin "replay prints the session's output"
out=$(fleet_sshm sessions replay "$id" --speed 0)
check_contains "replayed output" "hello-42" "$out"
check_contains "replayed resize" "size=40 120" "$out"
check_not_contains "no password in the replay" "hunter2" "$out"

case_begin "~. leaves the session and gives the terminal back"
fresh
type_line "$sshm_cmd session web-002; echo \"rc=\$?\""
wait_screen 'Starting session with SessionId' >/dev/null
wait_screen '^\$ ' >/dev/null
type_line 'echo "on-$((40+2))"'
check "session works" 0 "$(screen_has '^on-42')"
tm send-keys -t main Enter
tm send-keys -t main -l '~.'
check "left with ~." 0 "$(screen_has '^rc=0')"
id2=$(last_session)
check "reason" "left with ~." "$(fleet_sshm -o json sessions show "$id2" | json_get - 'd["Reason"]')"
type_line 'stty -a | grep -o -- "-\{0,1\}icanon" | head -1 | sed "s/^/mode=/"'
check "cooked mode restored" 0 "$(screen_has '^mode=icanon')"

case_begin "the idle timeout warns, then closes a silent session"
fresh
type_line "$sshm_cmd session web-001 --idle-timeout 6s; echo \"rc=\$?\""
check "warning first" 0 "$(screen_has 'this session ends in [0-9]+ s \(idleSessionTimeout 6 s\)')"
check "then closed" 0 "$(screen_has 'closing it')"
check "sshm ended" 0 "$(screen_has '^rc=0')"
id3=$(last_session)
check_contains "reason" "idleSessionTimeout" "$(fleet_sshm -o json sessions show "$id3" | json_get - 'd["Reason"]')"

case_begin "a session whose sshm was killed is marked on the next start"
fresh
type_line "$sshm_cmd session web-001; echo \"rc=\$?\""
wait_screen 'Starting session with SessionId' >/dev/null
id4=$(last_session)
check "Connected while it runs" Connected "$(fleet_sshm -o json sessions show "$id4" | json_get - 'd["Status"]')"
shell_pid=$(tm list-panes -t main -F '#{pane_pid}')
sshm_pid=$(pgrep -P "$shell_pid" | head -1)
check "found the session's sshm" yes "$([ -n "$sshm_pid" ] && echo yes)"
kill -KILL "$sshm_pid"
wait_screen '^rc=137' >/dev/null
tm send-keys -t main C-c
type_line 'stty sane'
fleet_sshm -o json sessions show "$id4" >"$FLEET_DIR/killed.json"
check "marked Terminated" Terminated "$(json_get "$FLEET_DIR/killed.json" 'd["Status"]')"
check_contains "reason says so" "killed" "$(json_get "$FLEET_DIR/killed.json" 'd["Reason"]')"

case_begin "a target selecting several hosts is refused in a pipe"
err=$(fleet_sshm session 'web-*' </dev/null 2>&1)
rc=$?
check "exit status" 2 "$rc"
check_contains "says why" "selects 2 hosts" "$err"

case_begin "port forwarding: 5 waves of 20 concurrent HTTP requests over one connection; closing frees the port"
read -r web_port local_port <<<"$(fleet_free_ports 2)"
# A body of ~270 KB: connections end while others still stream, so channels are freed
# before the host's close arrives (which once let libssh call into a freed channel).
mkdir -p "$FLEET_DIR/www" && { echo "served-by-host"; head -c 200000 /dev/urandom | base64; } >"$FLEET_DIR/www/index.html"
(cd "$FLEET_DIR/www" && exec python3 -m http.server "$web_port" --bind 127.0.0.1) >"$FLEET_DIR/http.log" 2>&1 &
FLEET_PIDS+=($!)
for ((i = 0; i < 100; i++)); do curl -s "http://127.0.0.1:$web_port/" >/dev/null && break; sleep 0.1; done
rm -rf "$FLEET_PORT_LOCKS/$local_port"
# MALLOC_PERTURB_ fills freed memory, so a use of a freed channel crashes every time, not now and then.
MALLOC_PERTURB_=165 SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" session web-001 --document AWS-StartPortForwardingSession \
  -p portNumber="$web_port" -p localPortNumber="$local_port" </dev/null >"$FLEET_DIR/pf.out" 2>"$FLEET_DIR/pf.err" &
pf=$!
for ((i = 0; i < 300; i++)); do grep -q 'Waiting for connections' "$FLEET_DIR/pf.err" && break; sleep 0.1; done
check_contains "listening" "Port $local_port opened for sessionId" "$(cat "$FLEET_DIR/pf.err")"
for wave in 1 2 3 4 5; do
  curls=()
  for ((i = 0; i < 20; i++)); do
    curl -s -m 60 -o "$FLEET_DIR/body.$wave.$i" -w '%{http_code}\n' "http://127.0.0.1:$local_port/" >"$FLEET_DIR/code.$wave.$i" &
    curls+=($!)
  done
  wait "${curls[@]}"
done
check "100 answers 200" 100 "$(cat "$FLEET_DIR"/code.* | grep -c '^200$')"
check "100 whole bodies from the host" 100 "$(for f in "$FLEET_DIR"/body.*; do cmp -s "$f" "$FLEET_DIR/www/index.html" && echo same; done | grep -c same)"
kill -INT "$pf"
wait "$pf"
check "sshm ended" 0 "$?"
check "port free again" free "$(python3 -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("free")' "$local_port" 2>&1)"
check "nothing listens there" "" "$(ss -Hltn "sport = :$local_port" 2>/dev/null)"
idp=$(last_session)
fleet_sshm -o json sessions show "$idp" >"$FLEET_DIR/pf.json"
check "document" AWS-StartPortForwardingSession "$(json_get "$FLEET_DIR/pf.json" 'd["DocumentName"]')"
check "connections counted" 100 "$(json_get "$FLEET_DIR/pf.json" 'd["Details"]["Connections"]')"
check "status" Terminated "$(json_get "$FLEET_DIR/pf.json" 'd["Status"]')"

case_begin "AWS-StartNonInteractiveCommand runs without a terminal; its output is logged"
out=$(fleet_sshm session web-001 --document AWS-StartNonInteractiveCommand -p command='echo "ni-$((1+1))"; tty || true' </dev/null 2>"$FLEET_DIR/ni.err")
check "exit status" 0 "$?"
check_contains "output" "ni-2" "$out"
check_contains "no terminal on the host" "not a tty" "$out"
idn=$(last_session)
check "document" AWS-StartNonInteractiveCommand "$(fleet_sshm -o json sessions show "$idn" | json_get - 'd["DocumentName"]')"
check_contains "transcript holds it" "ni-2" "$(cat "$SSHM_STATE_DIR/sessions/$idn.transcript")"

if [ "$(id -u)" -eq 0 ] && command -v sudo >/dev/null; then
  case_begin "--run-as USER runs the session's command as that user (sudo -n)"
  echo "$FLEET_USER ALL=(nobody) NOPASSWD: ALL" >/etc/sudoers.d/sshm-test-session-$$
  chmod 440 /etc/sudoers.d/sshm-test-session-$$
  out=$(fleet_sshm session web-001 --run-as nobody --document AWS-StartNonInteractiveCommand -p command='id -un' </dev/null 2>/dev/null)
  rm -f /etc/sudoers.d/sshm-test-session-$$
  check "user on the host" nobody "$(tr -d '\r' <<<"$out")"
  check "recorded" nobody "$(fleet_sshm -o json sessions show "$(last_session)" | json_get - 'd["RunAs"]')"
fi

case_begin "AWS-StartInteractiveCommand and a preferences file's shellProfile"
cat >"$FLEET_DIR/prefs.json" <<'JSON'
{"schemaVersion": "1.0", "sessionType": "Standard_Stream",
 "inputs": {"idleSessionTimeout": "5", "shellProfile": {"linux": "export GREETING=from-profile", "windows": ""}}}
JSON
fresh
type_line "$sshm_cmd session web-001 --document AWS-StartInteractiveCommand -p command='read -p \"name? \" N; echo \"hi-\$N\"'; echo \"rc=\$?\""
check "the command asks on the terminal" 0 "$(screen_has '^name\? ')"
type_line "bob"
check "and answers" 0 "$(screen_has '^hi-bob')"
check "sshm ended" 0 "$(screen_has '^rc=0')"
fresh
type_line "$sshm_cmd session web-001 --preferences $FLEET_DIR/prefs.json; echo \"rc=\$?\""
check "the profile is typed first" 0 "$(screen_has 'export GREETING=from-profile')"
wait_screen '^\$ $' >/dev/null
type_line 'echo "g=$GREETING"'
check "shell profile ran first" 0 "$(screen_has '^g=from-profile')"
type_line 'exit'
check "sshm ended" 0 "$(screen_has '^rc=0')"

case_begin "bad documents and parameters are input errors"
err=$(fleet_sshm session web-001 --document AWS-StartPortForwardingSession -p portnumber=80 </dev/null 2>&1)
check "exit status" 2 "$?"
check_contains "did you mean" "portNumber" "$err"
echo '{"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {"idleSessionTimout": "5"}}' >"$FLEET_DIR/bad.json"
err=$(fleet_sshm session web-001 --preferences "$FLEET_DIR/bad.json" </dev/null 2>&1)
check "exit status" 2 "$?"
check_contains "names the file and key" "bad.json:1:" "$err"

checks_done
