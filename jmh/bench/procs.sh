# Sourced by run.sh and goroutine.sh: the processes a bench script started, and how they are stopped.
# Only PIDs recorded here are ever signalled (never a name): `pids+=("$!")` after starting one,
# `forget_pid PID` once it was reaped (PIDs get reused). Sourcing it installs the exit cleanup:
# every started process stopped, the idle client's fd ($idle_fd, if set) closed, $work removed.

pids=()

# forget_pid PID: it was reaped, so it must never be signalled again.
forget_pid() {
  local p keep=()
  for p in "${pids[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done
  pids=("${keep[@]}")
}

# SIGTERM to every recorded process still alive, up to 5 s for each to exit, then SIGKILL.
stop_started_processes() {
  local p
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  pids=()
}

cleanup() {
  stop_started_processes
  [ -n "${idle_fd:-}" ] && exec {idle_fd}>&- 2>/dev/null
  [ -n "${work:-}" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
