# Sourced by the suites that drive sshm through a real terminal: a tmux server of their own
# on the socket $sock (set before sourcing), one window "main". Assertions come from check.sh.

tm() { tmux -S "$sock" "$@"; }
# The visible screen and scrollback of the test window.
screen() { tm capture-pane -p -J -S -200 -t main; }
# Waits (up to 60 s; never a timed assertion) until the screen matches the ERE.
wait_screen() {
  local i
  for ((i = 0; i < 600; i++)); do
    screen | grep -Eq -- "$1" && return 0
    sleep 0.1
  done
  return 1
}
# 0 when the screen came to match the ERE, 1 when it did not (for check).
screen_has() {
  wait_screen "$1"
  echo $?
}
# Types a line into the window, as a person would, and Enter.
type_line() { tm send-keys -t main -l -- "$1" && tm send-keys -t main Enter; }
# The newest session's ID.
last_session() { fleet_sshm -o json sessions list --limit 1 | json_get - 'd["Sessions"][0]["SessionId"]'; }
