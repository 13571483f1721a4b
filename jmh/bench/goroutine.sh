#!/usr/bin/env bash
# The goroutine-mode bench: ffm-echo --mode goroutine against the program it copies (Go's concurrent
# echo server, a goroutine per connection, GOMAXPROCS=1) and against the JDK's own virtual threads
# (VThreadEchoServer.java), with ffm-echo's eventloop and sequential modes beside them.
#
#   jmh/bench/goroutine.sh                                 # <repo>/target/ffm-echo.jar (built if missing or stale)
#   FFM_ECHO_JAR=/path/ffm-echo.jar jmh/bench/goroutine.sh
#   ROUNDS=5 DURATION_S=4 SCENARIOS="B D" IDLE_CONNS="3000" jmh/bench/goroutine.sh
#
# Load: every server stays up for the whole load phase, pinned to CPU 0 (taskset), and is measured
# in turns by the closed-loop client (load_client.c, pinned to CPU 1, every echoed byte verified):
# per scenario one uncounted warm-up round (JIT), then ROUNDS counted rounds, each round starting
# with the next server so no server always follows the same one. Scenarios: A 1 conn × depth 1 ×
# 64 B (the only one ffm-echo sequential runs: it serves one connection at a time), B 64 × 16 × 64 B,
# C 64 × 1 × 16 KiB, D 1000 × 1 × 128 B. Before each measurement the server's peak RSS is reset
# (proc(5): echo 5 > /proc/PID/clear_refs), so VmHWM afterwards is its peak during that run.
# Memory: for each N in IDLE_CONNS a fresh process of each server serves IDLE_WARMUP connections
# that then close (warms the accept path), then N clients connect, get one 8-byte echo each and stay
# idle: RSS growth ÷ N. A JVM runs its accept path interpreted or C1-compiled for the first few
# thousand connections, and that code allocates what C2's escape analysis later removes; a fresh
# heap keeps every byte of it until the first GC, so the default warm-up (10000) measures the
# steady state a server lives in, and IDLE_WARMUP=500 the cold start. Loopback only; every loop is bounded; only PIDs started here are signalled.
#
# Environment (knobs): ROUNDS (3), SCENARIOS ("A B C D"), WARMUP_S (1, per counted measurement),
# DURATION_S (2, measured window), JIT_WARMUP_S (1, the uncounted round's warm-up; its window is
# 0.5 s), IDLE_CONNS ("3000 10000"), IDLE_WARMUP (10000), VTHREAD_BUFFER (32768, bytes per connection of the JDK peer),
# SERVERS (all: "go119 go16 vthread ffm-gor-119 ffm-gor-16 ffm-el ffm-seq"; a subset keeps that order),
# JAVA_HOME (a JDK >= 22; default /usr/lib/jvm/temurin-25-jdk-amd64), GO119 (/usr/lib/go-1.19/bin/go),
# GO16 (/opt/go1.6/bin/go; skipped when absent).
#
# Writes jmh/bench-results/goroutine-<date>.md (also printed) and .csv (every measurement).
# Exit 0: all ran; 1: a measurement failed (its row says FAILED); 2: something is missing.
set -uo pipefail

start_s=$(date +%s)
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/../.." && pwd)
today=$(date +%F)

ROUNDS=${ROUNDS:-3}
SCENARIOS=${SCENARIOS:-A B C D}
WARMUP_S=${WARMUP_S:-1}
DURATION_S=${DURATION_S:-2}
JIT_WARMUP_S=${JIT_WARMUP_S:-1}
IDLE_CONNS=${IDLE_CONNS:-3000 10000}
IDLE_WARMUP=${IDLE_WARMUP:-10000}
VTHREAD_BUFFER=${VTHREAD_BUFFER:-32768}
GO119=${GO119:-/usr/lib/go-1.19/bin/go}
GO16=${GO16:-/opt/go1.6/bin/go}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
JAVAC="$JAVA_HOME/bin/javac"

bench=goroutine.sh
say() { printf '%s\n' "$*" >&2; }
die2() { say "goroutine.sh: $*"; exit 2; }

# ---------------------------------------------------------------- tools and the jar
[ -x "$JAVA" ] && [ -x "$JAVAC" ] || die2 "no JDK at $JAVA_HOME (set JAVA_HOME to a JDK >= 22)"
command -v gcc >/dev/null || die2 "needs gcc (apt-get install gcc)"
command -v taskset >/dev/null || die2 "needs taskset (apt-get install util-linux)"
[ -x "$GO119" ] || die2 "no Go 1.19 at $GO119 (apt-get install golang-1.19-go, or set GO119)"
have_go16=0; [ -x "$GO16" ] && have_go16=1
case "$ROUNDS" in ''|*[!0-9]*|0) die2 "ROUNDS must be a whole number >= 1" ;; esac

if [ -n "${FFM_ECHO_JAR:-}" ]; then
  jar=$(readlink -f "$FFM_ECHO_JAR")
  [ -f "$jar" ] || die2 "FFM_ECHO_JAR=$FFM_ECHO_JAR does not exist"
else
  jar="$repo/target/ffm-echo.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$repo/src" "$repo/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]; then
    command -v mvn >/dev/null || die2 "$jar is missing or stale and mvn is not installed (apt-get install maven)"
    say "goroutine.sh: building $jar ..."
    (cd "$repo" && mvn -B -q package -DskipTests >&2) || die2 "the build failed (mvn -B -q package -DskipTests)"
  fi
fi

# ---------------------------------------------------------------- scratch, cleanup
work=$(mktemp -d /tmp/ffm-goroutine.XXXXXX)
source "$(dirname "${BASH_SOURCE[0]}")/procs.sh"  # pids, forget_pid, and the exit cleanup
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"    # ports, fail_note, kv, the scenarios
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)

# ---------------------------------------------------------------- build the peers
say "goroutine.sh: building load_client, startup_probe, VThreadEchoServer and the Go concurrent server ..."
for prog in load_client startup_probe; do
  gcc -O2 -Wall -Wextra -Werror -o "$work/$prog" "$here/$prog.c" || die2 "gcc $prog.c failed"
done
mkdir -p "$work/vthread"
"$JAVAC" -d "$work/vthread" "$here/VThreadEchoServer.java" || die2 "javac VThreadEchoServer.java failed"
go_src="$repo/src/main/resources/dev/ffmecho/go/concurrent/main.go"
[ -f "$go_src" ] || die2 "no Go program at $go_src"
mkdir -p "$work/gocache"
(cd "$work" && GO111MODULE=off GOCACHE="$work/gocache" "$GO119" build -o "$work/go119" "$go_src") || die2 "$GO119 build $go_src failed"
if [ "$have_go16" = 1 ]; then
  (cd "$work" && GO111MODULE=off "$GO16" build -o "$work/go16" "$go_src") || die2 "$GO16 build $go_src failed"
fi
go119_version=$("$GO119" version | cut -d' ' -f3)
go16_version=""; [ "$have_go16" = 1 ] && go16_version=$("$GO16" version | cut -d' ' -f3)

# ---------------------------------------------------------------- the servers
ffm=("$JAVA" --enable-native-access=ALL-UNNAMED -jar "$jar" --quiet)
ids=(go119)
[ "$have_go16" = 1 ] && ids+=(go16)
ids+=(vthread ffm-gor-119 ffm-gor-16 ffm-el ffm-seq)
declare -A label scens idle_ok
label[go119]="Go ${go119_version#go} goroutine per conn"
label[go16]="Go ${go16_version#go} goroutine per conn"
label[vthread]="JDK virtual threads + blocking NIO"
label[ffm-gor-119]="ffm-echo goroutine --profile go1.19"
label[ffm-gor-16]="ffm-echo goroutine --profile go1.6"
label[ffm-el]="ffm-echo eventloop --loops 1"
label[ffm-seq]="ffm-echo sequential"
for id in "${ids[@]}"; do scens[$id]="A B C D"; idle_ok[$id]=1; done
scens[ffm-seq]="A"; idle_ok[ffm-seq]=0   # one connection at a time: N idle ones would wait forever
if [ -n "${SERVERS:-}" ]; then   # a subset, in the order above
  for id in $SERVERS; do [ -n "${label[$id]:-}" ] || die2 "unknown server $id in SERVERS (known: ${ids[*]})"; done
  keep=(); for id in "${ids[@]}"; do [[ " $SERVERS " == *" $id "* ]] && keep+=("$id"); done; ids=("${keep[@]}")
fi

# server_cmd id port: sets cmd=(...), the server's command line listening on 127.0.0.1:port
server_cmd() {
  local p=$2
  case $1 in
    go119) cmd=(env GOMAXPROCS=1 "$work/go119" -host 127.0.0.1 -port "$p") ;;
    go16) cmd=(env GOMAXPROCS=1 "$work/go16" -host 127.0.0.1 -port "$p") ;;
    vthread) cmd=("$JAVA" -cp "$work/vthread" VThreadEchoServer "$p" 127.0.0.1 "$VTHREAD_BUFFER") ;;
    ffm-gor-119) cmd=("${ffm[@]}" --listen "127.0.0.1:$p" --mode goroutine --profile go1.19) ;;
    ffm-gor-16) cmd=("${ffm[@]}" --listen "127.0.0.1:$p" --mode goroutine --profile go1.6) ;;
    ffm-el) cmd=("${ffm[@]}" --listen "127.0.0.1:$p" --mode eventloop --loops 1) ;;
    ffm-seq) cmd=("${ffm[@]}" --listen "127.0.0.1:$p" --mode sequential) ;;
  esac
}

# start_server id log: starts it pinned to CPU 0 on a new port; sets port and spid; 1 if it never echoed
start_server() {
  alloc_port
  server_cmd "$1" "$port"
  taskset -c 0 "${cmd[@]}" >"$work/$2.log" 2>&1 &
  spid=$!; pids+=("$spid")
  "$work/startup_probe" -W -p "$port" -T 30 >/dev/null && return 0
  fail_note "${label[$1]} did not start on port $port: $(tail -c 300 "$work/$2.log" | tr '\n' ' ')"
  stop_server "$spid"; return 1
}
stop_server() { stop_pid "$1"; }

: >"$work/failures"
for sc in $SCENARIOS; do [ -n "${SC_C[$sc]:-}" ] || die2 "unknown scenario $sc (A B C D)"; done

# ---------------------------------------------------------------- header
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
jdk_version=$("$JAVA" -version 2>&1 | sed -n 2p)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "goroutine.sh: $(nproc) CPUs ($cpu_model), $jdk_version, $go119_version${go16_version:+, $go16_version}; jar $jar; load $load_at_start"

# ---------------------------------------------------------------- load phase: all servers up, interleaved
raw="$work/load.csv"  # scenario,id,round,conns,depth,size,msgs_per_s,p50_us,p99_us,cpu_us_per_msg,client_cpu_pct,other_cpu_pct,starved,rss_before_kib,peak_rss_kib,status
: >"$raw"
declare -A spid_of port_of
wanted=" $SCENARIOS "
for id in "${ids[@]}"; do
  any=0; for sc in ${scens[$id]}; do [[ $wanted == *" $sc "* ]] && any=1; done
  [ "$any" = 1 ] || continue
  if start_server "$id" "load-$id"; then spid_of[$id]=$spid; port_of[$id]=$port; fi
done

# measure sc id round: one load_client run; round 0 is the uncounted warm-up
measure() {
  local sc=$1 id=$2 r=$3 w=$WARMUP_S t=$DURATION_S pid=${spid_of[$2]:-} out line rc rss0 peak
  [ "$r" = 0 ] && { w=$JIT_WARMUP_S; t=0.5; }
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    [ "$r" = 0 ] || echo "$sc,$id,$r,,,,,,,,,,,,,FAILED" >>"$raw"
    [ "$r" = 0 ] || fail_note "${label[$id]} scenario $sc round $r: the server is not running"
    return 1
  fi
  echo 5 >"/proc/$pid/clear_refs" 2>/dev/null   # proc(5): peak RSS := current RSS
  rss0=$(status_kib "$pid" VmRSS)
  out=$(taskset -c 1 "$work/load_client" -c "${SC_C[$sc]}" -d "${SC_D[$sc]}" -s "${SC_S[$sc]}" \
          -w "$w" -t "$t" -p "${port_of[$id]}" -P "$pid" 2>"$work/client.err")
  rc=$?
  peak=$(status_kib "$pid" VmHWM)
  line=$(grep '^result ' <<<"$out" | tail -1)
  if [ "$rc" != 0 ] || [ -z "$(kv msgs_per_s "$line")" ]; then
    fail_note "${label[$id]} scenario $sc round $r FAILED (exit $rc): $(tail -2 "$work/client.err" | tr '\n' ' ')"
    [ "$r" = 0 ] || echo "$sc,$id,$r,,,,,,,,,,,,,FAILED" >>"$raw"
    return 1
  fi
  [ "$r" = 0 ] && return 0
  echo "$sc,$id,$r,${SC_C[$sc]},${SC_D[$sc]},${SC_S[$sc]},$(kv msgs_per_s "$line"),$(kv p50_us "$line"),$(kv p99_us "$line"),$(kv server_cpu_us_per_msg "$line"),$(kv client_cpu_pct "$line"),$(kv other_cpu_pct "$line"),$(kv starved_conns "$line"),$rss0,$peak,ok" >>"$raw"
  say "  $sc round $r ${label[$id]}: $(kv msgs_per_s "$line") msgs/s, p99 $(kv p99_us "$line") µs, $(kv server_cpu_us_per_msg "$line") µs/msg, peak RSS $((peak / 1024)) MiB"
}

for sc in $SCENARIOS; do
  say "== scenario $sc: $(scen_desc "$sc")"
  members=()
  for id in "${ids[@]}"; do [[ " ${scens[$id]} " == *" $sc "* ]] && members+=("$id"); done
  n=${#members[@]}
  for r in $(seq 0 "$ROUNDS"); do
    for k in $(seq 0 $((n - 1))); do
      measure "$sc" "${members[$(((k + r) % n))]}" "$r"
    done
  done
done
for id in "${ids[@]}"; do
  [ -n "${spid_of[$id]:-}" ] || continue
  kill -0 "${spid_of[$id]}" 2>/dev/null || fail_note "${label[$id]} exited during the load phase: $(tail -c 300 "$work/load-$id.log" | tr '\n' ' ')"
  stop_server "${spid_of[$id]}"
done
load_end_s=$(date +%s)

# ---------------------------------------------------------------- memory phase: idle connections, fresh servers
idle="$work/idle.csv"  # id,conns,rss_before_kib,rss_after_kib,fds_before,fds_after,bytes_per_conn,status
: >"$idle"
# warm_accept_path: IDLE_WARMUP connections served and closed, 1000 at a time (a splicing server
# holds a pipe per connection parked in splice: 10000 at once would pass the open-files limit)
warm_accept_path() {
  local done=0 batch
  while [ "$done" -lt "$IDLE_WARMUP" ]; do
    batch=$(( IDLE_WARMUP - done < 1000 ? IDLE_WARMUP - done : 1000 ))
    taskset -c 1 "$work/load_client" -i "$batch" -p "$port" -T 0 </dev/null >/dev/null 2>"$work/client.err" || return 1
    done=$(( done + batch ))
  done
}

# measure_idle id n: RSS growth of a fresh server per idle (served once) connection
measure_idle() {
  local id=$1 n=$2 f0 r0 f1="" r1="" cpid ok=0 why=""
  start_server "$id" "idle-$id-$n" || { echo "$id,$n,,,,,,FAILED" >>"$idle"; return 1; }
  local pid=$spid
  if ! warm_accept_path; then
    why="$IDLE_WARMUP-connection warm-up failed: $(tail -1 "$work/client.err")"
  else
    sleep 0.5
    f0=$(nfds "$pid"); r0=$(status_kib "$pid" VmRSS)
    rm -f "$work/idle.in"; mkfifo "$work/idle.in"
    taskset -c 1 "$work/load_client" -i "$n" -p "$port" -T 60 <"$work/idle.in" >"$work/idle.out" 2>"$work/client.err" &
    cpid=$!; pids+=("$cpid")
    exec {idle_fd}>"$work/idle.in"
    local limit; limit=$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")
    for _ in $(seq 600); do   # up to 60 s for "ready"
      grep -q '^ready' "$work/idle.out" 2>/dev/null && { ok=1; break; }
      kill -0 "$cpid" 2>/dev/null || { why="client: $(tail -1 "$work/client.err")"; break; }
      # At its open-files limit a server can accept nothing more (idle clients close nothing).
      [ "$(nfds "$pid")" -ge "$limit" ] && { why="the server reached its open-files limit ($limit fds)"; break; }
      sleep 0.1
    done
    if [ "$ok" = 1 ]; then     # every conn echoed once, so the server holds it; confirm by its fds
      for _ in $(seq 100); do [ "$(nfds "$pid")" -ge $((f0 + n)) ] && break; sleep 0.1; done
      sleep 0.5
      f1=$(nfds "$pid"); r1=$(status_kib "$pid" VmRSS)
      [ "$f1" -ge $((f0 + n)) ] || { ok=0; why="the server holds $((f1 - f0)) new fds for $n connections"; }
    fi
    [ -z "$why" ] && [ "$ok" != 1 ] && why="no \"ready\" in 60 s"
    [ "$ok" = 1 ] || { f1=$(nfds "$pid"); r1=$(status_kib "$pid" VmRSS); }   # where it got to
    exec {idle_fd}>&-; idle_fd=""
    wait "$cpid" 2>/dev/null
    forget_pid "$cpid"
  fi
  stop_server "$pid"
  if [ "$ok" != 1 ]; then
    fail_note "${label[$id]} idle $n FAILED: $why"
    echo "$id,$n,${r0:-},${r1:-},${f0:-},${f1:-},,FAILED" >>"$idle"; return 1
  fi
  say "  ${label[$id]} idle $n: RSS $r0 -> $r1 KiB (fds $f0 -> $f1): $(( (r1 - r0) * 1024 / n )) B/conn"
  echo "$id,$n,$r0,$r1,$f0,$f1,$(( (r1 - r0) * 1024 / n )),ok" >>"$idle"
}
for n in $IDLE_CONNS; do
  say "== $n idle connections (fresh process per server; open-files limit $fd_limit)"
  for id in "${ids[@]}"; do [ "${idle_ok[$id]}" = 1 ] && measure_idle "$id" "$n"; done
done

# ---------------------------------------------------------------- statistics
# stats.csv: scenario,id,n_ok,n_failed,msgs med,min,max,p99 med,min,max,cpu med,min,max,client med,other max,starved max,peak med,min,max
stats="$work/stats.csv"
awk -F, -v OFS=, '
  function put(key, col, v) { n = ++cnt[key, col]; val[key, col, n] = v }
  function med(key, col,   n, i, j, t, a) {   # median, min, max of the values kept for (key, col)
    n = cnt[key, col]; if (!n) return ",,"
    for (i = 1; i <= n; i++) a[i] = val[key, col, i] + 0
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return ((n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) "," a[1] "," a[n]
  }
  { key = $1 SUBSEP $2
    if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
    if ($16 != "ok") { bad[key]++; next }
    good[key]++
    put(key, "m", $7); put(key, "p", $9); if ($10 != "NA" && $10 != "") put(key, "c", $10)
    put(key, "cl", $11); if ($15 != "") put(key, "pk", $15)
    if ($12 != "NA" && (!(key in other) || $12 + 0 > other[key])) other[key] = $12 + 0
    if (!(key in starved) || $13 + 0 > starved[key]) starved[key] = $13 + 0 }
  END { for (i = 1; i <= nk; i++) { key = order[i]; split(key, p, SUBSEP); split(med(key, "cl"), cl, ",")
          print p[1], p[2], good[key] + 0, bad[key] + 0, med(key, "m"), med(key, "p"), med(key, "c"), cl[1], other[key], starved[key], med(key, "pk") } }' "$raw" >"$stats"

# ---------------------------------------------------------------- report
results_dir="$repo/jmh/bench-results"
mkdir -p "$results_dir"
md="$results_dir/goroutine-$today.md"
csv="$results_dir/goroutine-$today.csv"
{
  echo "kind,scenario,server,label,round,conns,depth,size,msgs_per_s,p50_us,p99_us,server_cpu_us_per_msg,client_cpu_pct,other_cpu_pct,starved_conns,rss_before_kib,peak_rss_kib,status"
  while IFS=, read -r sc id rest; do echo "load,$sc,$id,${label[$id]},$rest"; done <"$raw"
  echo "kind,server,label,conns,rss_before_kib,rss_after_kib,fds_before,fds_after,bytes_per_conn,status"
  while IFS=, read -r id rest; do echo "idle,$id,${label[$id]},$rest"; done <"$idle"
} >"$csv"

labels_csv="$work/labels.csv"
for id in "${ids[@]}"; do echo "$id,${label[$id]}"; done >"$labels_csv"
ref=go119
elapsed=$(( $(date +%s) - start_s ))
cmdline="jmh/bench/goroutine.sh"
for v in SERVERS ROUNDS SCENARIOS WARMUP_S DURATION_S JIT_WARMUP_S IDLE_CONNS IDLE_WARMUP VTHREAD_BUFFER FFM_ECHO_JAR; do
  [ -n "$(printenv "$v")" ] && cmdline="$v=\"$(printenv "$v")\" $cmdline"
done
{
  echo "# Goroutine mode: ffm-echo against Go's concurrent server and JDK virtual threads — $today"
  echo
  echo "- **machine**: $(nproc) CPUs ($cpu_model), kernel $(uname -r); $jdk_version; $go119_version${go16_version:+, $go16_version}; load average at start $load_at_start"
  echo "- **command**: \`$cmdline\` (jar: \`$jar\`); whole run ${elapsed} s (load phase $((load_end_s - start_s)) s)"
  echo "- **servers**: Go's concurrent echo server (\`src/main/resources/dev/ffmecho/go/concurrent/main.go\`: a goroutine per connection, \`io.Copy(conn, conn)\`) built with each Go, run with \`GOMAXPROCS=1\`, printing its \".\" per connection to a file;"
  echo "  [VThreadEchoServer.java](../bench/VThreadEchoServer.java): a virtual thread per connection, blocking \`SocketChannel\` read/write, a ${VTHREAD_BUFFER}-byte direct buffer per connection, TCP_NODELAY as Go sets it;"
  echo "  ffm-echo with \`--quiet\` (no \".\"). Every server listens on 127.0.0.1 only. The JVMs run with default flags under \`taskset -c 0\`, so they see 1 CPU (one carrier thread, Serial GC)."
  echo "- **method**: all servers up at once, pinned to CPU 0; the closed-loop client ([load_client.c](../bench/load_client.c)) on CPU 1 verifies every echoed byte."
  echo "  Per scenario one uncounted warm-up round (${JIT_WARMUP_S} s + 0.5 s per server), then $ROUNDS rounds measuring each server in turn (each round starts with the next server),"
  echo "  ${WARMUP_S} s warm-up + ${DURATION_S} s window per measurement. Values: median over the rounds [min – max]; ratios are medians ÷ Go 1.19's median"
  echo "  (msgs/s above 1 is faster than Go; p99, CPU and memory below 1 are better). Server CPU µs/msg = utime+stime of the server (/proc/PID/stat) over the window ÷ messages echoed."
  echo "  Peak RSS = VmHWM after the run, reset before it (\`echo 5 > /proc/PID/clear_refs\`): the peak of the run (connect, warm-up, window, drain), not of the process's life."
  echo "  With 2 cores the client's core is often the limit in B: compare server CPU µs/msg there, not only msgs/s."
  echo "- **idle memory**: a fresh process per server and N: $IDLE_WARMUP connections served and closed first (IDLE_WARMUP; the JIT's steady state for the JVMs), then N clients connect, each gets one 8-byte echo and stays idle;"
  echo "  (VmRSS after − before) ÷ N. VmRSS is user-space memory: kernel socket buffers and Go 1.19's splice pipes (one per connection parked in splice) are not in it."
  echo "  The open-files limit here is $fd_limit per process (a hard limit this script cannot raise)."
  echo "- **scenarios**: $(for sc in $SCENARIOS; do printf '%s = %s; ' "$sc" "$(scen_desc "$sc")"; done)ffm-echo sequential runs only A (it serves one connection at a time). Every measurement: [goroutine-$today.csv](goroutine-$today.csv)."
  echo
  echo "## Summary"
  echo
  echo "Medians; in parentheses ÷ Go 1.19. Load cells: msgs/s · server CPU µs/msg."
  echo
  printf '| server |'; for sc in $SCENARIOS; do printf ' %s: %s |' "$sc" "$(scen_desc "$sc")"; done
  for n in $IDLE_CONNS; do printf ' idle B/conn at %s |' "$n"; done
  [[ $wanted == *" D "* ]] && printf ' peak RSS in D MiB |'
  echo
  printf '|---|'; for _ in $SCENARIOS $IDLE_CONNS; do printf -- '--:|'; done; [[ $wanted == *" D "* ]] && printf -- '--:|'; echo
  for id in "${ids[@]}"; do
    printf '| %s |' "${label[$id]}"
    for sc in $SCENARIOS; do
      awk -F, -v s="$sc" -v i="$id" -v r="$ref" '
        $1 == s && $2 == r { gm = $5; gc = $11 } $1 == s && $2 == i { found = 1; ok = $3; m = $5; c = $11 }
        END { if (!found) { printf " — |"; exit }
              if (!ok) { printf " FAILED |"; exit }
              printf " %.0f (%s) · %s (%s) |", m, (gm > 0 ? sprintf("%.2f", m / gm) : "–"), (c == "" ? "NA" : sprintf("%.2f", c)), (gc > 0 && c != "" ? sprintf("%.2f", c / gc) : "–") }' "$stats"
    done
    for n in $IDLE_CONNS; do
      awk -F, -v n="$n" -v i="$id" -v r="$ref" '
        $2 == n && $1 == r && $8 == "ok" { g = $7 } $2 == n && $1 == i { found = 1; ok = ($8 == "ok"); b = $7 }
        END { if (!found) { printf " — |"; exit }
              if (!ok) { printf " FAILED |"; exit }
              printf " %d (%s) |", b, (g > 0 ? sprintf("%.1f", b / g) : "–") }' "$idle"
    done
    if [[ $wanted == *" D "* ]]; then
      awk -F, -v i="$id" -v r="$ref" '
        $1 == "D" && $2 == r { g = $17 } $1 == "D" && $2 == i { found = 1; ok = $3; p = $17 }
        END { if (!found) { printf " — |"; exit }
              if (!ok || p == "") { printf " FAILED |"; exit }
              printf " %.1f (%s) |", p / 1024, (g > 0 ? sprintf("%.1f", p / g) : "–") }' "$stats"
    fi
    echo
  done
  echo
  echo "## Load, per scenario"
  for sc in $SCENARIOS; do
    echo
    echo "### $sc: $(scen_desc "$sc")"
    echo
    echo "| server | msgs/s median [min – max] | ÷ Go 1.19 | p99 µs median [min – max] | ÷ Go 1.19 | server CPU µs/msg median [min – max] | ÷ Go 1.19 | peak RSS MiB median [min – max] | client CPU % | other procs CPU % (max) | starved conns (max) |"
    echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    awk -F, -v s="$sc" -v r="$ref" '
      NR == FNR { name[$1] = $2; ids[++n] = $1; next }
      $1 == s { row[$2] = $0 } $1 == s && $2 == r { gm = $5; gp = $8; gc = $11 }
      function ratio(a, b) { return (b > 0 && a != "") ? sprintf("%.2f", a / b) : "–" }
      END { for (k = 1; k <= n; k++) { i = ids[k]; if (!(i in row)) continue; split(row[i], f, ",")
              if (!f[3]) { printf "| %s | FAILED (%d of %d runs) | | | | | | | | | |\n", name[i], f[4], f[4]; continue }
              fails = f[4] ? sprintf(" (%d runs FAILED)", f[4]) : ""
              o = (f[15] + 0 >= 10) ? "**" f[15] "**" : f[15]
              printf "| %s%s | %.0f [%.0f – %.0f] | %s | %.0f [%.0f – %.0f] | %s | %s | %s | %s | %s | %s | %s |\n",
                name[i], fails, f[5], f[6], f[7], ratio(f[5], gm), f[8], f[9], f[10], ratio(f[8], gp),
                (f[11] == "" ? "NA" : sprintf("%.2f [%.2f – %.2f]", f[11], f[12], f[13])), ratio(f[11], gc),
                (f[17] == "" ? "NA" : sprintf("%.1f [%.1f – %.1f]", f[17] / 1024, f[18] / 1024, f[19] / 1024)),
                f[14], o, f[16] } }' "$labels_csv" "$stats"
  done
  echo
  echo "## Idle connections"
  echo
  echo "| server | conns | VmRSS before KiB | VmRSS after KiB | fds before → after | bytes/conn | ÷ Go 1.19 |"
  echo "|---|--:|--:|--:|--:|--:|--:|"
  awk -F, -v r="$ref" '
    NR == FNR { name[$1] = $2; next }
    { line[++n] = $0 } $1 == r && $8 == "ok" { g[$2] = $7 }
    END { for (k = 1; k <= n; k++) { split(line[k], f, ",")
            if (f[8] != "ok") { printf "| %s | %s | %s | %s | %s → %s | FAILED | |\n", name[f[1]], f[2], f[3], f[4], f[5], f[6]; continue }
            printf "| %s | %d | %d | %d | %d → %d | %d | %s |\n", name[f[1]], f[2], f[3], f[4], f[5], f[6], f[7],
              (g[f[2]] > 0 ? sprintf("%.1f", f[7] / g[f[2]]) : "–") } }' "$labels_csv" "$idle"
  echo
  failures_section
} >"$md"
cat "$md"
say "goroutine.sh: wrote $md and $csv in ${elapsed} s"
exit "$failed"
