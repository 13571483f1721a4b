#!/usr/bin/env bash
# Captures every trace the notes quote, from the real programs under strace -f:
#   ffm-echo (target/ffm-echo.jar) on a dual-stack, an IPv4 and an IPv6 listener, and with --narrate;
#   the Go study program (src/main/resources/dev/ffmecho/go/study) built with the installed Go,
#   with ListenTCP and with Listen, and Go's concurrent echo server (…/go/concurrent); and, where
#   bookworm-backports' Go 1.23 is installed, the same two programs built with it.
# Each run serves one client that sends "hello", reads the echo and closes; then the server gets
# SIGTERM. Each trace is written in the normalized form `ffm-echo trace-diff --normalized` prints
# (fd numbers → roles, ports, pointers, payloads masked, transfers folded), which is what the notes
# quote and what the test suite (NativeNotesIT) compares against a fresh capture.
#
# usage: native-notes/capture-traces.sh [OUTDIR]      (default: native-notes/traces)
# env:   JAVA (a JDK >= 22 java; default: the first under /usr/lib/jvm), JAR (default target/ffm-echo.jar),
#        GO (default: go on PATH; without it the Go traces are skipped with a message)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-"$root/native-notes/traces"}
jar=${JAR:-"$root/target/ffm-echo.jar"}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

die() { echo "capture-traces: $*" >&2; exit 1; }

find_java() {
  local j v
  for j in ${JAVA:-} /usr/lib/jvm/*/bin/java; do
    [ -x "$j" ] || continue
    v=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
    if [ -n "$v" ] && [ "$v" -ge 22 ]; then echo "$j"; return; fi
  done
  die "no JDK >= 22 found (set JAVA)"
}
java=$(find_java)
[ -f "$jar" ] || die "$jar not built (mvn -B package -DskipTests)"
command -v strace >/dev/null || die "strace is not installed (apt-get install strace)"

# A port no socket uses in any state (checked in /proc/net/tcp{,6}), below the ephemeral range
# (net.ipv4.ip_local_port_range starts at 32768) so that no client connection, live or in
# TIME_WAIT, can hold it and make the server's bind fail.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 12000 ))
    if ! grep -Eqi "^ *[0-9]+: [0-9A-F]+:$(printf '%04X' "$p") " /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
      echo "$p"; return
    fi
  done
  die "no free port found"
}

# Waits (bounded) until condition "$@" holds.
await() {
  local what=$1; shift
  for _ in $(seq 1 600); do "$@" && return 0; sleep 0.05; done
  die "timed out waiting for $what"
}

# True when a thread of $1 is blocked in epoll_wait (232) or epoll_pwait (281) with a timeout other
# than 0: /proc/PID/task/TID/syscall is "NR arg1 arg2 arg3 arg4 …", the timeout is arg4.
blocked_in_epoll() {
  local f nr a4
  for f in /proc/"$1"/task/*/syscall; do
    read -r nr _ _ _ a4 _ < "$f" 2>/dev/null || continue
    if { [ "$nr" = 232 ] || [ "$nr" = 281 ]; } && [ "$a4" != 0x0 ]; then return 0; fi
  done
  return 1
}

sockets() { find /proc/"$1"/fd -lname 'socket:*' 2>/dev/null | wc -l; }
listening() { grep -qi ":$(printf '%04X' "$1") [0-9A-F:]* 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null; }
sockets_are() { [ "$(sockets "$1")" = "$2" ]; }

# capture NAME CONNECT_HOST PORT -- SERVER COMMAND…   → $out/NAME.txt (and $work/NAME.strace, .err)
capture() {
  local name=$1 host=$2 port=$3; shift 4
  local raw="$work/$name.strace"
  strace -f -o "$raw" "$@" > "$work/$name.out" 2> "$work/$name.err" &
  local tracer=$! pid=""
  for _ in $(seq 1 600); do
    pid=$(pgrep -P "$tracer" | head -n1 || true)
    [ -n "$pid" ] && [ "$(readlink /proc/"$pid"/exe 2>/dev/null)" != "$(command -v strace)" ] && break
    sleep 0.05
  done
  [ -n "$pid" ] || die "$name: the server did not start"
  await "$name to listen" listening "$port"
  await "$name to block in epoll_wait" blocked_in_epoll "$pid"
  local before; before=$(sockets "$pid")

  exec 3<>"/dev/tcp/$host/$port"
  printf hello >&3
  local reply; reply=$(head -c 5 <&3)
  exec 3<&- 3>&-
  [ "$reply" = hello ] || die "$name: echoed '$reply', not 'hello'"

  await "$name to close the conn" sockets_are "$pid" "$before"
  await "$name to block in the next accept" blocked_in_epoll "$pid"
  kill -TERM "$pid"
  wait "$tracer" || true
  "$java" -jar "$jar" trace-diff "$raw" --normalized > "$out/$name.txt"
  echo "captured $out/$name.txt"
}

p=$(free_port); capture ffm-echo-go1.6-dual-stack 127.0.0.1 "$p" -- "$java" -jar "$jar" --listen ":$p"
p=$(free_port); capture ffm-echo-go1.6-ipv4 127.0.0.1 "$p" -- "$java" -jar "$jar" --listen "127.0.0.1:$p"
p=$(free_port); capture ffm-echo-go1.6-ipv6-loopback ::1 "$p" -- "$java" -jar "$jar" --listen "[::1]:$p"

go=${GO:-$(command -v go || true)}
if [ -z "$go" ]; then
  echo "capture-traces: Go is not installed (apt-get install golang-go): Go traces not captured" >&2
  exit 0
fi
gover=$("$go" env GOVERSION | sed 's/^go\([0-9]*\.[0-9]*\).*/go\1/')
(cd "$root/src/main/resources/dev/ffmecho/go/study" && GOFLAGS=-mod=mod "$go" build -o "$work/study" main.go)
p=$(free_port); capture "$gover-study-ListenTCP" 127.0.0.1 "$p" -- "$work/study" -host "" -port "$p"
p=$(free_port); capture "$gover-study-Listen" 127.0.0.1 "$p" -- "$work/study" -host "" -port "$p" -api Listen
(cd "$root/src/main/resources/dev/ffmecho/go/concurrent" && GOFLAGS=-mod=mod "$go" build -o "$work/concurrent" main.go)
p=$(free_port); capture "$gover-concurrent" 127.0.0.1 "$p" -- "$work/concurrent" -host "" -port "$p"
# Which memory-management calls the Go runtime made on Linux (native-notes/10): the distinct names,
# one per line (counts and addresses are timing and are not quoted).
sed -nE 's/^[0-9]+ +(<\.\.\. )?(madvise|mmap|munmap|mprotect|brk)[( ].*/\2/p' "$work/$gover-study-ListenTCP.strace" \
  | sort -u > "$out/$gover-study-memory-calls.txt"
echo "captured $out/$gover-study-memory-calls.txt"

# Go 1.23 (bookworm-backports' golang-1.23-go), the second live oracle, where it is installed.
go123=${GO123:-/usr/lib/go-1.23/bin/go}
if [ -x "$go123" ]; then
  (cd "$root/src/main/resources/dev/ffmecho/go/study" && GOTOOLCHAIN=local GOFLAGS=-mod=mod "$go123" build -o "$work/study123" main.go)
  (cd "$root/src/main/resources/dev/ffmecho/go/concurrent" && GOTOOLCHAIN=local GOFLAGS=-mod=mod "$go123" build -o "$work/concurrent123" main.go)
  p=$(free_port); capture go1.23-study-ListenTCP 127.0.0.1 "$p" -- "$work/study123" -host "" -port "$p"
  p=$(free_port); capture go1.23-concurrent 127.0.0.1 "$p" -- "$work/concurrent123" -host "" -port "$p"
else
  echo "capture-traces: $go123 is not installed (apt-get install golang-1.23-go from bookworm-backports): Go 1.23 traces not captured" >&2
fi
