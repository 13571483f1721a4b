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
#
# With --references it captures instead the live Go traces bundled in the jar for `ffm-echo verify`
# (and `trace-diff --reference NAME`): for each Go — Go 1.6, Debian's Go 1.19, bookworm-backports'
# Go 1.23 — the study program serving the serial and the back-to-back clients and Go's concurrent
# server serving concurrent=4, each captured by `ffm-echo verify --go GO --keep DIR` (the same
# client, waits and SIGTERM as verify itself), and writes the Go side, raw, with a `#` header of
# provenance, to src/main/resources/dev/ffmecho/trace/PROFILE-MODE-CLIENTS.strace. A Go that is
# absent is skipped with a message. Then rebuild the jar (mvn -B package -DskipTests).
#
# usage: native-notes/capture-traces.sh [OUTDIR]      (default: native-notes/traces)
#        native-notes/capture-traces.sh --references
# env:   JAVA (a JDK >= 22 java; default: the first under /usr/lib/jvm), JAR (default target/ffm-echo.jar),
#        GO (default: go on PATH; without it the Go traces are skipped with a message),
#        --references only: GO16 (a Go 1.6 built from the go1.6 tag; default /opt/go1.6/bin/go),
#        GO119 (default /usr/lib/go-1.19/bin/go), GO123 (default /usr/lib/go-1.23/bin/go),
#        REFS (where to write them; default src/main/resources/dev/ffmecho/trace)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
references=false
if [ "${1:-}" = --references ]; then references=true; shift; fi
out=${1:-"$root/native-notes/traces"}
jar=${JAR:-"$root/target/ffm-echo.jar"}
mkdir -p "$out"
work=$(mktemp -d)
# The capture under way: strace and the server it started. A capture that dies (die → exit) must not
# leave them running, so the exit trap stops both, by PID.
tracer="" pid=""
stop_capture() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  [ -n "$tracer" ] && { kill -TERM "$tracer" 2>/dev/null; wait "$tracer" 2>/dev/null; }
  tracer="" pid=""
}
trap 'stop_capture; rm -rf "$work"' EXIT

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

# How each bundled Go was obtained, for the references' headers.
go_provenance() {
  case "$1" in
    go1.6) echo "built from the go1.6 tag (golang/go commit 7bc40ffb) of a golang/go mirror: git archive of the tag, then in src/: GOROOT_BOOTSTRAP=/usr/lib/go-1.19 GO111MODULE=off CGO_ENABLED=0 ./make.bash" ;;
    go1.19) echo "Debian bookworm's golang-1.19-go $(dpkg-query -W -f='${Version}' golang-1.19-go 2>/dev/null || echo '(version unknown)')" ;;
    go1.23) echo "bookworm-backports' golang-1.23-go $(dpkg-query -W -f='${Version}' golang-1.23-go 2>/dev/null || echo '(version unknown)')" ;;
  esac
}

# reference PROFILE GO MODE CLIENTS PROGRAM WHAT-THE-CLIENTS-DO  → $refs/PROFILE-MODE-CLIENTS.strace
reference() {
  local profile=$1 go=$2 mode=$3 clients=$4 program=$5 what=$6
  local name="$profile-$mode-${clients/=/-}"
  local keep="$work/$name" status=0
  "$java" -jar "$jar" verify --profile "$profile" --mode "$mode" --clients "$clients" --go "$go" --keep "$keep" \
    > "$work/$name.log" 2>&1 || status=$?
  # 1 is ffm-echo differing from this Go run: the Go side is still a good capture (the log says where).
  [ "$status" -le 1 ] && [ -s "$keep/go.strace" ] || die "$name: verify exited $status: $(tail -n1 "$work/$name.log")"
  {
    echo "# Live capture of $("$go" version) serving the built-in client of \`ffm-echo verify\`;"
    echo "# the bundled reference $name (\`verify --profile $profile --mode $mode --clients $clients\`,"
    echo "# \`trace-diff --reference $name\`). Lines starting with '#' are comments; the trace-diff parser skips them."
    echo "# go version: $("$go" version)"
    echo "# go: $(go_provenance "$profile")"
    echo "# program: src/main/resources/dev/ffmecho/go/$program/main.go, built by verify with that go (GOTOOLCHAIN=local"
    echo "#   GO111MODULE=off GOFLAGS=-mod=mod, a private GOCACHE) and run as: $program -host \"\" -port PORT"
    echo "# clients: $clients — $what"
    echo "# traced: strace -f -o FILE ($(strace -V | head -n1)); clients started once it was parked in epoll_wait(-1),"
    echo "#   SIGTERM once it held only its listener and was parked again (trace-diff cuts the trace there)"
    echo "# kernel: $(uname -r) (uname -r); captured $(date -u +%Y-%m-%d) by native-notes/capture-traces.sh --references"
    cat "$keep/go.strace"
  } > "$refs/$name.strace"
  echo "captured $refs/$name.strace (ffm-echo against it: verify exit $status)"
}

# references PROFILE GO: the three bundled captures of one Go, or a message when it is absent.
references() {
  local profile=$1 go=$2
  local var="GO${profile#go}"
  if [ ! -x "$go" ]; then
    echo "capture-traces: $go not found: $profile references not recaptured (set ${var//./} to a $profile go tool)" >&2
    return
  fi
  local v; v=$("$go" version | awk '{print $3}')
  case "$v" in
    "$profile" | "$profile".*) ;;
    *) echo "capture-traces: $go is $v, not $profile: $profile references not recaptured" >&2; return ;;
  esac
  reference "$profile" "$go" sequential serial study 'one client sends "hello" (5 B), reads the echo, closes'
  reference "$profile" "$go" sequential back-to-back study \
    'three clients one right after another, 5 B, 70 000 B and 1 B, each closed before the next connects'
  reference "$profile" "$go" goroutine concurrent=4 concurrent \
    'four clients connect at once; each does 3 round trips of 64 B, streams 200 000 B while reading the echo, shutdown(SHUT_WR), reads to EOF, closes'
}

sockets() { find /proc/"$1"/fd -lname 'socket:*' 2>/dev/null | wc -l; }
listening() { grep -qi ":$(printf '%04X' "$1") [0-9A-F:]* 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null; }
sockets_are() { [ "$(sockets "$1")" = "$2" ]; }

# capture NAME CONNECT_HOST PORT -- SERVER COMMAND…   → $out/NAME.txt (and $work/NAME.strace, .err)
capture() {
  local name=$1 host=$2 port=$3; shift 4
  local raw="$work/$name.strace"
  strace -f -o "$raw" "$@" > "$work/$name.out" 2> "$work/$name.err" &
  tracer=$! pid=""
  local exe
  # strace's child once it has exec'd the server: strace forks short-lived children of its own
  # first (its ptrace feature checks), which may be gone by the time /proc is read — a child
  # whose exe cannot be read is not the server.
  for _ in $(seq 1 600); do
    pid=$(pgrep -P "$tracer" | head -n1 || true)
    exe=$([ -n "$pid" ] && readlink /proc/"$pid"/exe 2>/dev/null || true)
    [ -n "$exe" ] && [ "$exe" != "$(command -v strace)" ] && break
    pid=""
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
  tracer="" pid=""
  "$java" -jar "$jar" trace-diff "$raw" --normalized > "$out/$name.txt"
  echo "captured $out/$name.txt"
}

if $references; then
  refs=${REFS:-"$root/src/main/resources/dev/ffmecho/trace"}
  mkdir -p "$refs"
  references go1.6 "${GO16:-/opt/go1.6/bin/go}"
  references go1.19 "${GO119:-/usr/lib/go-1.19/bin/go}"
  references go1.23 "${GO123:-/usr/lib/go-1.23/bin/go}"
  exit 0
fi

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
