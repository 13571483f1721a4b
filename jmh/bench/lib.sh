# Sourced by the bench scripts (run.sh, goroutine.sh) after they set $bench (their name, for
# messages) and $work (their scratch directory): what every script needs, written once.
# procs.sh (also sourced) owns the started processes and the exit cleanup.

say() { printf '%s\n' "$*" >&2; }

# fail_note message: says it and keeps it for the report's Failures section (failures_section)
failed=0
fail_note() { say "$bench: $*"; printf -- '- %s\n' "$*" >>"$work/failures"; failed=1; }
failures_section() { # the report's "## Failures", when anything failed
  [ -s "$work/failures" ] || return 0
  echo "## Failures"
  echo
  cat "$work/failures"
  echo
}

# kv key "k1=v1 k2=v2 ...": the value of key in one of load_client's result lines
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
# status_kib pid field: a /proc/PID/status size in KiB (VmRSS, VmHWM)
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# Ports: a random base in 20000-31999, skipping any port something listens on.
next_port=$((20000 + RANDOM % 11000))
listening() { # port -> 0 if something listens on it (IPv4 or IPv6)
  local hex; hex=$(printf '%04X' "$1")
  awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { found = 1 } END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
alloc_port() { # sets port to a free one
  local p=$next_port tries=0
  while listening "$p" && [ "$tries" -lt 1000 ]; do p=$((p + 1)); tries=$((tries + 1)); [ "$p" -gt 31999 ] && p=20000; done
  next_port=$((p + 1)); [ "$next_port" -gt 31999 ] && next_port=20000
  port=$p
}

# stop_pid pid: SIGTERM to a server this script started, SIGKILL after 5 s, reap, forget it
stop_pid() {
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$1" 2>/dev/null && { say "$bench: server $1 ignored SIGTERM for 5 s; SIGKILL"; kill -KILL "$1" 2>/dev/null; }
  wait "$1" 2>/dev/null
  forget_pid "$1"
}

# The load scenarios (load_client.c): connections, messages in flight per connection, message size.
declare -A SC_C=([A]=1 [B]=64 [C]=64 [D]=1000) SC_D=([A]=1 [B]=16 [C]=1 [D]=1) SC_S=([A]=64 [B]=64 [C]=16384 [D]=128)
scen_desc() { printf '%s conn × depth %s × %s B' "${SC_C[$1]}" "${SC_D[$1]}" "${SC_S[$1]}"; }
