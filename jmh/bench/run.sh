#!/usr/bin/env bash
# End-to-end benchmark of ffm-echo against a C epoll server, a C io_uring server and a JDK NIO server.
#
#   jmh/bench/run.sh                         # uses <repo>/target/ffm-echo.jar (built if stale)
#   FFM_ECHO_JAR=/path/ffm-echo.jar jmh/bench/run.sh
#
# Optional environment: JAVA_HOME (a JDK >= 22; default /usr/lib/jvm/temurin-25-jdk-amd64),
# WARMUP_S (JVM servers, default 2), C_WARMUP_S (C server, default 1), DURATION_S (default 4),
# IDLE_CONNS (default 10000), STARTUP_RUNS (default 5), FFM_ECHO_LAUNCHER (default: the ffm-echo
# launcher next to the jar's target/ directory if there is one, else <repo>/ffm-echo).
#
# Servers are pinned to CPU 0, the load client to CPU 1. Everything printed is measured in this run.
# The script is a small program: helpers (lib.sh, procs.sh), then one function per phase — build,
# the C yardsticks, ffm-echo and its peers, io_uring, startup, report, plot — and main at the end.
# Writes jmh/bench-results/e2e-<date>.md, .csv and .png. Exit 0: all ran; 1: a measurement failed
# (its row says FAILED); 2: a tool is missing.
set -uo pipefail

start_s=$(date +%s.%N)
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/../.." && pwd)
results_dir="$repo/jmh/bench-results"
today=$(date +%F)
cmdline="jmh/bench/run.sh${*:+ $*}"
[ -n "${FFM_ECHO_JAR:-}" ] && cmdline="FFM_ECHO_JAR=$FFM_ECHO_JAR $cmdline"

WARMUP_S=${WARMUP_S:-2}
C_WARMUP_S=${C_WARMUP_S:-1}
DURATION_S=${DURATION_S:-4}
IDLE_CONNS=${IDLE_CONNS:-10000}
STARTUP_RUNS=${STARTUP_RUNS:-5}

bench=run.sh
say() { printf '%s\n' "$*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }

# ---------------------------------------------------------------- tools
java_home=""
for cand in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64; do
  [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
  v=$("$cand/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
  if [ -n "$v" ] && [ "$v" -ge 22 ]; then java_home=$cand; break; fi
done
if [ -z "$java_home" ]; then
  say "run.sh: needs a JDK >= 22 (set JAVA_HOME; e.g. Temurin 25 at /usr/lib/jvm/temurin-25-jdk-amd64)"
  exit 2
fi
export JAVA_HOME=$java_home
JAVA="$java_home/bin/java"
JAVAC="$java_home/bin/javac"
command -v gcc >/dev/null || { say "run.sh: needs gcc (apt-get install gcc)"; exit 2; }
command -v taskset >/dev/null || { say "run.sh: needs taskset (apt-get install util-linux)"; exit 2; }

apt_updated=0
apt_install() { # package: installs it as root, else says what to install and exits 2
  if ! is_root; then say "run.sh: needs $1 (as root: apt-get install $1)"; exit 2; fi
  say "run.sh: installing $1 ..."
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null 2>&1; then
    [ "$apt_updated" = 1 ] || { apt-get update -q >/dev/null 2>&1; apt_updated=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null 2>&1 \
      || { say "run.sh: could not install $1; install it (apt-get install $1) and rerun"; exit 2; }
  fi
}
command -v gnuplot >/dev/null || apt_install gnuplot-nox
[ -f /usr/include/liburing.h ] || apt_install liburing-dev   # the C io_uring yardstick only
GO=/usr/lib/go-1.19/bin/go
[ -x "$GO" ] || GO=$(command -v go || true)
if [ -z "$GO" ]; then apt_install golang-go; GO=/usr/lib/go-1.19/bin/go; [ -x "$GO" ] || GO=$(command -v go); fi

# ---------------------------------------------------------------- the jar
if [ -n "${FFM_ECHO_JAR:-}" ]; then
  jar=$(readlink -f "$FFM_ECHO_JAR")
  [ -f "$jar" ] || { say "run.sh: FFM_ECHO_JAR=$FFM_ECHO_JAR does not exist"; exit 2; }
else
  jar="$repo/target/ffm-echo.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$repo/src" "$repo/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]; then
    command -v mvn >/dev/null || { say "run.sh: $jar is missing or stale and mvn is not installed (apt-get install maven)"; exit 2; }
    say "run.sh: building $jar ..."
    (cd "$repo" && mvn -q -B -DskipTests package >&2) || { say "run.sh: the build failed"; exit 2; }
  fi
fi
launcher=${FFM_ECHO_LAUNCHER:-}
if [ -z "$launcher" ]; then
  launcher="$repo/ffm-echo"
  [ -n "${FFM_ECHO_JAR:-}" ] && [ -x "$(dirname "$jar")/../ffm-echo" ] && launcher=$(readlink -f "$(dirname "$jar")/../ffm-echo")
fi

# ---------------------------------------------------------------- scratch, cleanup
work=$(mktemp -d /tmp/ffm-e2e.XXXXXX)
source "$(dirname "${BASH_SOURCE[0]}")/procs.sh"  # pids, forget_pid, and the exit cleanup
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"    # ports, fail_note, kv, the scenarios

ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---------------------------------------------------------------- build the programs
build_programs() {
  say "run.sh: building the C programs, the NIO server and the Go study binary ..."
  for prog in echo_server load_client startup_probe; do
    gcc -O2 -Wall -Wextra -Werror -pthread -o "$work/$prog" "$here/$prog.c" || { say "run.sh: gcc $prog.c failed"; exit 2; }
  done
  gcc -O2 -Wall -Wextra -Werror -o "$work/uring_echo_server" "$here/uring_echo_server.c" -luring \
    || { say "run.sh: gcc uring_echo_server.c -luring failed"; exit 2; }
  mkdir -p "$work/nio"
  "$JAVAC" -d "$work/nio" "$here/NioEchoServer.java" || { say "run.sh: javac NioEchoServer.java failed"; exit 2; }
  (cd "$work" && GO111MODULE=off "$GO" build -o "$work/go-study" "$study_src") || { say "run.sh: go build $study_src failed"; exit 2; }
}
study_src="$repo/src/main/resources/dev/ffmecho/go/study/main.go"

have_trigger=0 have_accept=0 have_io=0
help=$("$JAVA" --enable-native-access=ALL-UNNAMED -jar "$jar" --help 2>&1 || true)
grep -q -- '--trigger' <<<"$help" && have_trigger=1
grep -q -- '--accept' <<<"$help" && have_accept=1
grep -q -- '--io ' <<<"$help" && have_io=1

# ---------------------------------------------------------------- helpers
server_pid=""
start_server() { # log-name cmd... ; sets server_pid, uses $port; pinned to CPU 0
  local name=$1; shift
  taskset -c 0 "$@" >"$work/$name.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  if ! "$work/startup_probe" -W -p "$port" -T 30 >/dev/null; then
    fail_note "$name did not start on port $port: $(tail -3 "$work/$name.log" | tr '\n' ' ')"
    stop_server; return 1
  fi
}
stop_server() {
  [ -n "$server_pid" ] || return 0
  stop_pid "$server_pid"
  server_pid=""
}

ffm=("$JAVA" --enable-native-access=ALL-UNNAMED -jar "$jar" --quiet)

csv_load="$work/load.csv"    # table,server,label,scenario,conns,depth,size,msgs_per_s,mb_per_s,p50,p99,p999,cpu_us_msg,cpu_pct,client_pct,other_pct,starved,oldest_inflight_us,status
: >"$csv_load"

# run_load table server-id label scenario warmup
run_load() {
  local table=$1 id=$2 label=${3//,/;} sc=$4 warm=$5 out line
  local c=${SC_C[$sc]} d=${SC_D[$sc]} s=${SC_S[$sc]}
  out=$(taskset -c 1 "$work/load_client" -c "$c" -d "$d" -s "$s" -w "$warm" -t "$DURATION_S" \
        -p "$port" -P "$server_pid" 2>"$work/client.err")
  local rc=$?
  line=$(grep '^result ' <<<"$out" | tail -1)
  if [ "$rc" != 0 ] || [ -z "$(kv msgs_per_s "$line")" ]; then
    fail_note "$label scenario $sc FAILED (exit $rc): $(tail -2 "$work/client.err" | tr '\n' ' ')"
    echo "$table,$id,$label,$sc,$c,$d,$s,,,,,,,,,,,,FAILED" >>"$csv_load"
    failed=1
    return 1
  fi
  say "  $label  $sc: $(grep -v '^result ' <<<"$out")"
  echo "$table,$id,$label,$sc,$c,$d,$s,$(kv msgs_per_s "$line"),$(kv mb_per_s "$line"),$(kv p50_us "$line"),$(kv p99_us "$line"),$(kv p999_us "$line"),$(kv server_cpu_us_per_msg "$line"),$(kv server_cpu_pct "$line"),$(kv client_cpu_pct "$line"),$(kv other_cpu_pct "$line"),$(kv starved_conns "$line"),$(kv oldest_inflight_us "$line"),ok" >>"$csv_load"
}
msgs_of() { awk -F, -v t="$1" -v i="$2" -v s="$3" '$1==t && $2==i && $4==s {print $8}' "$csv_load" | tail -1; }

csv_idle="$work/idle.csv"    # server-id,label,conns,rss_before_kib,rss_after_kib,fds_before,fds_after,bytes_per_conn,status
: >"$csv_idle"
rss_kib() { status_kib "$1" VmRSS; }

# measure_idle server-id label: RSS growth of the running server per idle (served) connection
measure_idle() {
  local id=$1 label=${2//,/;} n=$IDLE_CONNS
  # Warm the accept/serve path first (class loading, JIT) with connections that are then closed.
  local f0 r0 f1 r1 cpid
  if ! taskset -c 1 "$work/load_client" -i 500 -p "$port" -T 0 </dev/null >/dev/null 2>"$work/client.err"; then
    fail_note "$label idle warm-up (500 conns) FAILED: $(tail -1 "$work/client.err")"
    echo "$id,$label,$n,$(rss_kib "$server_pid"),,$(nfds "$server_pid"),,,FAILED" >>"$csv_idle"; failed=1
    sleep 0.5; return 1
  fi
  sleep 0.5
  f0=$(nfds "$server_pid"); r0=$(rss_kib "$server_pid")
  rm -f "$work/idle.in"; mkfifo "$work/idle.in"
  taskset -c 1 "$work/load_client" -i "$n" -p "$port" -T 60 <"$work/idle.in" >"$work/idle.out" 2>"$work/client.err" &
  cpid=$!; pids+=("$cpid")
  exec {idle_fd}>"$work/idle.in"
  local ok=0
  for _ in $(seq 600); do   # up to 60 s for "ready"
    grep -q '^ready' "$work/idle.out" 2>/dev/null && { ok=1; break; }
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$ok" = 1 ]; then     # every conn echoed once, so the server holds it; confirm by its fds
    for _ in $(seq 100); do [ "$(nfds "$server_pid")" -ge $((f0 + n)) ] && break; sleep 0.1; done
    sleep 0.5
    f1=$(nfds "$server_pid"); r1=$(rss_kib "$server_pid")
  fi
  exec {idle_fd}>&-; idle_fd=""
  wait "$cpid" 2>/dev/null
  forget_pid "$cpid"
  if [ "$ok" != 1 ] || [ "$f1" -lt $((f0 + n)) ]; then
    fail_note "$label idle $n FAILED: $(tail -2 "$work/client.err" | tr '\n' ' ')"
    echo "$id,$label,$n,$r0,${r1:-},$f0,${f1:-},,FAILED" >>"$csv_idle"; failed=1; return 1
  fi
  local per=$(( (r1 - r0) * 1024 / n ))
  say "  $label  E: RSS $r0 -> $r1 KiB with $n idle conns (fds $f0 -> $f1): $per B/conn"
  echo "$id,$label,$n,$r0,$r1,$f0,$f1,$per,ok" >>"$csv_idle"
  sleep 0.5   # the client closed them; let the server reap them before the next scenario
}

# ---------------------------------------------------------------- header
print_header() {
  cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  jdk_version=$("$JAVA" -version 2>&1 | sed -n 2p)
  jdk_short=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.runtime\.version = //p')
  gcc_version=$(gcc --version | head -1)
  go_version=$("$GO" version)
  load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
  # Other processes busy right now (top's second sample over 0.5 s): they share the two CPUs with us.
  busy_at_start=$(top -b -n 2 -d 0.5 -w 200 2>/dev/null | awk '/^top -/ { n++ }
    n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 10 { printf "%s%s (pid %s) %s%%", sep, $12, $1, $9; sep = "; " }' | head -c 300)
  say "run.sh: $(nproc) CPUs ($cpu_model), kernel $(uname -r), $jdk_version; jar $jar"
  say "run.sh: load average at start: $load_at_start (busy: ${busy_at_start:-none}); flags: --trigger $([ $have_trigger = 1 ] && echo yes || echo no), --accept $([ $have_accept = 1 ] && echo yes || echo no)"
}

# ---------------------------------------------------------------- C server: LT and ET, every scenario
bench_c_epoll() {
  # The yardstick is the best C can do: both modes run every scenario, and the main table keeps, per
  # scenario, the one that spent less server CPU per message (msgs/s is often the client's limit).
  say "== C epoll server (-m lt and -m et)"
  for m in lt et; do
    alloc_port
    start_server "c-$m" "$work/echo_server" -p "$port" -m "$m" || { failed=1; continue; }
    [ "$m" = lt ] && measure_idle c "C epoll (lt)"
    for sc in A B C D; do run_load cvariant "c-$m" "C epoll -m $m" "$sc" "$C_WARMUP_S"; done
    stop_server
  done
  awk -F, -v OFS=, '$1 == "cvariant" && $19 == "ok" && $13 != "NA" && (!($4 in best) || $13 + 0 < cpu[$4]) {
      best[$4] = $0; cpu[$4] = $13 + 0 }
    END { n = split("A B C D", order, " ")
          for (i = 1; i <= n; i++) if (order[i] in best) {
            $0 = best[order[i]]; mode = ($2 == "c-et") ? "et" : "lt"
            $1 = "main"; $2 = "c"; $3 = "C epoll (" mode ")"; print } }' "$csv_load" >>"$csv_load"
  for sc in A B C D; do
    [ -n "$(msgs_of main c "$sc")" ] || { fail_note "C epoll: no successful run of scenario $sc, so no ratios for it"; }
  done
}

# ---------------------------------------------------------------- ffm-echo and NIO
# with_port args...: sets cmd=(args) with every @PORT@ replaced by $port
with_port() { cmd=(); local a; for a in "$@"; do cmd+=("${a//@PORT@/$port}"); done; }

# run_server table id label idle(0/1) "scenarios" cmd... (cmd may contain @PORT@)
run_server() {
  local table=$1 id=$2 label=$3 idle=$4 scs=$5; shift 5
  say "== $label"
  alloc_port
  with_port "$@"
  start_server "$id" "${cmd[@]}" || { failed=1; return 1; }
  [ "$idle" = 1 ] && measure_idle "$id" "$label"
  for sc in $scs; do run_load "$table" "$id" "$label" "$sc" "$WARMUP_S"; done
  stop_server
}
L=(--listen 127.0.0.1:@PORT@)
bench_servers() {
  run_server main ffm-el1 "ffm-echo eventloop --loops 1" 1 "A B C D" "${ffm[@]}" "${L[@]}" --mode eventloop --loops 1
  run_server main ffm-el2 "ffm-echo eventloop --loops 2" 1 "A B C D" "${ffm[@]}" "${L[@]}" --mode eventloop --loops 2
  run_server main ffm-gor "ffm-echo goroutine" 1 "A B C D" "${ffm[@]}" "${L[@]}" --mode goroutine
  run_server main ffm-seq "ffm-echo sequential" 0 "A" "${ffm[@]}" "${L[@]}" --mode sequential
  run_server main nio "JDK NIO Selector" 1 "A B C D" "$JAVA" -cp "$work/nio" NioEchoServer @PORT@ 127.0.0.1

  # Variants the jar supports (scenario B only).
  if [ "$have_trigger" = 1 ]; then
    for t in level edge; do
      run_server variant "ffm-el1-$t" "ffm-echo eventloop --loops 1 --trigger $t" 0 B "${ffm[@]}" "${L[@]}" --mode eventloop --loops 1 --trigger "$t"
    done
  fi
  if [ "$have_accept" = 1 ]; then
    for a in reuseport single; do
      run_server variant "ffm-el2-$a" "ffm-echo eventloop --loops 2 --accept $a" 0 B "${ffm[@]}" "${L[@]}" --mode eventloop --loops 2 --accept "$a"
    done
  fi
}

# io_uring: ffm-echo's backend against the C io_uring server, every scenario, interleaved by
# scenario (the two servers take turns, so drift on the machine hits both alike). Ratios in this
# table are to the C io_uring server; server CPU per message is the figure that shows what the ring
# buys, since msgs/s is mostly the client's core.
bench_io_uring() {
  if [ "$have_io" != 1 ]; then
    say "run.sh: this jar has no --io flag: io_uring not measured"
    return 0
  fi
  say "== io_uring: C (liburing) and ffm-echo --io io_uring, one loop each, interleaved"
  local c_pid c_port f_pid f_port sc
  alloc_port; start_server c-uring "$work/uring_echo_server" -p "$port" || return 1
  c_pid=$server_pid c_port=$port
  measure_idle c-uring "C io_uring (liburing)"
  alloc_port; with_port "${ffm[@]}" "${L[@]}" --mode eventloop --loops 1 --io io_uring
  if ! start_server ffm-uring "${cmd[@]}"; then server_pid=$c_pid; stop_server; return 1; fi
  f_pid=$server_pid f_port=$port
  measure_idle ffm-uring "ffm-echo eventloop --loops 1 --io io_uring"
  for sc in A B C D; do
    server_pid=$c_pid port=$c_port; run_load uring c-uring "C io_uring (liburing)" "$sc" "$C_WARMUP_S"
    server_pid=$f_pid port=$f_port; run_load uring ffm-uring "ffm-echo eventloop --loops 1 --io io_uring" "$sc" "$WARMUP_S"
  done
  server_pid=$f_pid; stop_server
  server_pid=$c_pid; stop_server
}

# Repeatability: the C server's scenario B once more, in a new process, minutes later.
bench_c_again() {
  c_b_mode=$(awk -F, '$1 == "main" && $2 == "c" && $4 == "B" { print ($3 ~ /et/) ? "et" : "lt" }' "$csv_load" | tail -1)
  if [ -n "$c_b_mode" ]; then
    alloc_port
    if start_server "c-again" "$work/echo_server" -p "$port" -m "$c_b_mode"; then
      run_load again "c-again" "C epoll -m $c_b_mode (again)" B "$C_WARMUP_S"
      stop_server
    fi
  fi
}

# ---------------------------------------------------------------- startup
csv_start="$work/startup.csv"   # id,label,median_ms,min_ms,max_ms,runs,note,status
: >"$csv_start"
startup_series() { # id label note timeout cmd... (cmd may contain @PORT@)
  local id=$1 label=${2//,/;} note=${3//,/;} timeout=$4 times=() t i; shift 4
  for i in $(seq "$STARTUP_RUNS"); do
    alloc_port
    with_port "$@"
    t=$("$work/startup_probe" -T "$timeout" -p "$port" -- "${cmd[@]}" 2>>"$work/startup.err" | sed -n 's/^startup_ms=//p')
    [ -n "$t" ] && times+=("$t")
  done
  if [ "${#times[@]}" = 0 ]; then
    fail_note "startup $label FAILED: $(tail -1 "$work/startup.err")"
    echo "$id,$label,,,,0,$note,FAILED" >>"$csv_start"; failed=1; return 1
  fi
  printf '%s\n' "${times[@]}" | sort -g | awk -v id="$id" -v l="$label" -v n="$note" '
    { v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
      printf "%s,%s,%.1f,%.1f,%.1f,%d,%s,ok\n", id, l, m, v[1], v[NR], NR, n }' >>"$csv_start"
  say "  $label: $(tail -1 "$csv_start" | cut -d, -f3) ms median (${times[*]})"
}
bench_startup() {
  say "== startup: exec -> first echoed byte (median of $STARTUP_RUNS; not pinned)"
  startup_series jar "ffm-echo jar (java -jar, JDK $jdk_short)" "serve (sequential)" 30 \
    "${ffm[@]}" "${L[@]}"
  # The launcher: a first run creates its caches (AOT cache, if the launcher has one); it is reported apart.
  local first aot_file
  alloc_port
  first=$("$work/startup_probe" -T 180 -p "$port" -- "$launcher" serve --quiet --listen "127.0.0.1:$port" 2>>"$work/startup.err" | sed -n 's/^startup_ms=//p')
  say "  ./ffm-echo first run (makes the AOT cache if missing): ${first:-FAILED} ms"
  startup_series launcher "./ffm-echo serve (launcher)" "first run (makes the AOT cache if missing) ${first:-FAILED} ms, not counted" 30 \
    "$launcher" serve --quiet "${L[@]}"
  # For comparison: the same AOT cache without the launcher script (when the launcher made one for this jar).
  aot_file="$(dirname "$launcher")/target/ffm-echo.aot"
  if [ -f "$aot_file" ] && [ "$(readlink -f "$(dirname "$launcher")/target/ffm-echo.jar")" = "$jar" ]; then
    startup_series jar-aot "ffm-echo jar + the launcher's AOT cache" "java -XX:AOTCache=target/ffm-echo.aot -jar (no launcher script)" 30 \
      "$JAVA" -XX:AOTCache="$aot_file" "${ffm[@]:1}" "${L[@]}"
  fi
  startup_series go "Go study program ($(cut -d' ' -f3 <<<"$go_version"))" "go build of $(basename "$(dirname "$study_src")")/main.go" 30 \
    "$work/go-study" -host 127.0.0.1 -port @PORT@
  startup_series c "C echo_server" "gcc -O2 -m lt" 30 "$work/echo_server" -p @PORT@
}

# ---------------------------------------------------------------- report
write_report() {
  mkdir -p "$results_dir"
  md="$results_dir/e2e-$today.md"
  csv="$results_dir/e2e-$today.csv"
  png="$results_dir/e2e-$today.png"

  # Ratios to the C server of the same scenario: C epoll for every table (variants compare with C
  # on B too), except io_uring's, whose yardstick is the C io_uring server.
  with_ratios="$work/load-ratios.csv"
  awk -F, -v OFS=, '
    function ref(t) { return t == "uring" ? "uring,c-uring" : "main,c" }
    NR == FNR { if ($19 == "ok" && (($1 == "main" && $2 == "c") || ($1 == "uring" && $2 == "c-uring"))) {
                  k = $1 "," $2 "," $4; m[k] = $8; p[k] = $11; u[k] = ($13 == "NA") ? 0 : $13 } next }
    { r1 = r2 = r3 = ""; k = ref($1) "," $4
      if ($19 == "ok" && (k in m)) {
        if (m[k] > 0) r1 = sprintf("%.3g", $8 / m[k])
        if (p[k] > 0) r2 = sprintf("%.3g", $11 / p[k])
        if (u[k] > 0 && $13 != "NA") r3 = sprintf("%.3g", $13 / u[k])
      }
      print $0, r1, r2, r3 }' "$csv_load" "$csv_load" >"$with_ratios"
  c_rss=$(awk -F, '$1 == "c" && $9 == "ok" { print $8 }' "$csv_idle")

  {
    echo "kind,table,server,label,scenario,conns,depth,size,msgs_per_s,mb_per_s,p50_us,p99_us,p999_us,server_cpu_us_per_msg,server_cpu_pct,client_cpu_pct,other_cpu_pct,starved_conns,oldest_inflight_us,status,msgs_ratio_to_c,p99_ratio_to_c,cpu_ratio_to_c"
    sed 's/^/load,/' "$with_ratios"
    echo "kind,server,label,conns,rss_before_kib,rss_after_kib,fds_before,fds_after,bytes_per_conn,status"
    sed 's/^/idle,/' "$csv_idle"
    echo "kind,server,label,median_ms,min_ms,max_ms,runs,note,status"
    sed 's/^/startup,/' "$csv_start"
  } >"$csv"

  render_load_table() { # table-name
    echo "| server | scenario | msgs/s | MB/s | p50 µs | p99 µs | p99.9 µs | server CPU µs/msg | server CPU % | client CPU % | other procs CPU % | starved conns | msgs/s ÷ C | p99 ÷ C | CPU/msg ÷ C |"
    echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    awk -F, -v t="$1" '$1 == t {
        if ($19 != "ok") { printf "| %s | %s | FAILED | | | | | | | | | | | | |\n", $3, $4; next }
        o = ($16 != "NA" && $16 + 0 >= 10) ? "**" $16 "**" : $16
        st = ($17 + 0 > 0) ? sprintf("**%d of %d** (oldest unanswered %.0f ms)", $17, $5, $18 / 1000) : "0"
        mps = sprintf("%d", $8); if ($15 + 0 >= 95) mps = mps " †"
        printf "| %s | %s | %s | %.2f | %.1f | %.1f | %.1f | %s | %s | %s | %s | %s | %s | %s | %s |\n",
          $3, $4, mps, $9, $10, $11, $12, $13, $14, $15, o, st, $20, $21, $22 }' "$with_ratios"
}
{
  echo "# ffm-echo end-to-end benchmark — $today"
  echo
  echo "- **machine**: $(nproc) CPUs ($cpu_model), kernel $(uname -r); $jdk_version; $gcc_version; $go_version"
  echo "- **command**: \`$cmdline\` (jar: \`$jar\`; JDK: \`$java_home\`)"
  echo "- **load average at start**: $load_at_start; processes using ≥ 10% CPU at start: ${busy_at_start:-none} (other work on the machine skews every number)"
  echo "- **method**: each server pinned to CPU 0 (\`taskset -c 0\`), the closed-loop client ([load_client.c](../bench/load_client.c)) to CPU 1;"
  echo "  warm-up ${WARMUP_S} s for JVM servers, ${C_WARMUP_S} s for C, then a ${DURATION_S} s measured window; every echoed byte verified."
  echo "  Latency = just before the write of a message's last byte → last byte of its echo read. Server CPU = utime+stime of the server"
  echo "  process (/proc/PID/stat) over the measured window ÷ messages echoed in it. MB/s = echoed payload, one direction."
  echo "  With 2 cores the client saturates its own core in the fast scenarios: compare **server CPU µs/msg**, not only msgs/s."
  echo "  *Other procs CPU %* = the machine's user+system time in the window minus the server's and the client's"
  echo "  (% of one CPU, /proc/stat): other work on this 2-CPU machine; rows where it is ≥ 10% (bold) were disturbed."
  echo "  *Starved conns* = connections that got no echo at all during the window (percentiles only see completed"
  echo "  messages, so an unfair server hides there), with the age of the oldest unanswered message at the window's end."
  echo "  † = client CPU ≥ 95%: the client's core is the limit, so msgs/s says as much about the client as the server."
  echo "  Ratios: msgs/s ÷ C above 1 is faster than C; p99 ÷ C and CPU/msg ÷ C below 1 are better than C."
  echo "- **scenarios**: A = $(scen_desc A); B = $(scen_desc B); C = $(scen_desc C); D = $(scen_desc D);"
  echo "  E = $IDLE_CONNS idle connections (each served one 8-byte echo), server RSS growth per connection."
  echo
  echo "## Throughput and latency"
  echo
  render_load_table main
  echo
  echo "## Variants"
  echo
  echo "C yardstick, both modes on every scenario (the main table keeps the one with less server CPU per message):"
  echo
  render_load_table cvariant
  echo
  c_first=$(msgs_of main c B)
  c_again=$(msgs_of again c-again B)
  if [ -n "$c_first" ] && [ -n "$c_again" ]; then
    echo "Repeatability: the same C server on B, run again in a new process at the end of the load runs: $c_first then $c_again msgs/s" \
      "($(awk -v a="$c_first" -v b="$c_again" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.0f", 200 * d / (a + b) }')% apart) —" \
      "differences between servers smaller than that are noise."
    echo
  fi
  echo "## io_uring"
  echo
  echo "ffm-echo \`--io io_uring\` against the C io_uring server ([uring_echo_server.c](../bench/uring_echo_server.c), liburing:"
  echo "multishot accept, multishot recv into 1024 × 16 KiB provided buffers, SINGLE_ISSUER|DEFER_TASKRUN|COOP_TASKRUN), one"
  echo "loop each, taking turns per scenario. **Ratios here are to the C io_uring server.** Compare server CPU µs/msg:"
  echo "msgs/s is mostly the client's core. The epoll rows of the main table are the other reference."
  echo
  [ "$have_io" = 1 ] || echo "This jar has no \`--io\` flag: io_uring not measured."
  echo
  render_load_table uring
  echo
  echo "ffm-echo's own variants, scenario B:"
  echo
  [ "$have_trigger" = 1 ] || echo "This jar has no \`--trigger\` flag: eventloop level- vs edge-triggered not measured."
  [ "$have_accept" = 1 ] || echo "This jar has no \`--accept\` flag: eventloop reuseport vs single listener not measured."
  echo
  render_load_table variant
  echo
  echo "## Idle connections (E)"
  echo
  echo "| server | conns | VmRSS before KiB | VmRSS after KiB | fds before → after | bytes/conn | ÷ C |"
  echo "|---|--:|--:|--:|--:|--:|--:|"
  awk -F, -v c="$c_rss" '{
      if ($9 != "ok") { printf "| %s | %s | %s | | | FAILED | |\n", $2, $3, $4; next }
      r = (c > 0) ? sprintf("%.1f", $8 / c) : "n/a (C: " c ")"
      printf "| %s | %d | %d | %d | %d → %d | %d | %s |\n", $2, $3, $4, $5, $6, $7, $8, r }' "$csv_idle"
  echo
  echo "VmRSS is user-space memory only: the kernel's socket buffers are the same for every server and not in it."
  echo "Before = after 500 served-and-closed connections (warms the accept path); after = all $IDLE_CONNS accepted and echoed once."
  echo
  echo "## Startup: exec → first echoed byte"
  echo
  echo "Not pinned (the JVM sizes itself for both CPUs); startup_probe connects every ~200 µs; median of $STARTUP_RUNS runs."
  echo
  echo "| server | median ms | min ms | max ms | runs | note |"
  echo "|---|--:|--:|--:|--:|---|"
  awk -F, '{ if ($8 != "ok") { printf "| %s | FAILED | | | | %s |\n", $2, $7; next }
             printf "| %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7 }' "$csv_start"
  echo
  failures_section
  echo "Plot: [e2e-$today.png](e2e-$today.png); raw numbers: [e2e-$today.csv](e2e-$today.csv)."
} >"$md.tmp"
}

# ---------------------------------------------------------------- plot
plot() {
  ids=(c ffm-el1 ffm-el2 ffm-gor ffm-seq nio)
  {
    printf '"scenario"'
    for id in "${ids[@]}"; do
      t=$(awk -F, -v i="$id" '$1=="main" && $2==i {print $3; exit}' "$with_ratios")
      [ "$id" = c ] && t="C epoll (lt or et, the cheaper per scenario)"
      printf '\t"%s"\t"%s"\t"%s"' "${t:-$id}" "${t:-$id}" "${t:-$id}"
    done
    printf '\n'
    for sc in A B C D; do
      printf '"%s: %s×%s×%s B"' "$sc" "${SC_C[$sc]}" "${SC_D[$sc]}" "${SC_S[$sc]}"
      for id in "${ids[@]}"; do
        # p99 is left out where connections starved: it only describes the served ones.
        v=$(awk -F, -v i="$id" -v s="$sc" '$1=="main" && $2==i && $4==s && $19=="ok" {
              print $8 "\t" ($17 + 0 > 0 ? "NaN" : $11) "\t" $13 }' "$with_ratios")
        printf '\t%s' "${v:-NaN	NaN	NaN}"
      done
      printf '\n'
    done
  } >"$work/plot.dat"
  # columns: 1 scenario, then per server: msgs/s, p99 µs, server CPU µs/msg (3 columns each)
  gnuplot -e "datafile='$work/plot.dat'; outfile='$png'; title_date='$today'; nservers=${#ids[@]}" "$here/plot.gp" 2>"$work/gnuplot.err" \
    || { say "run.sh: gnuplot failed: $(head -3 "$work/gnuplot.err")"; failed=1; }
}

# ---------------------------------------------------------------- main
main() {
  build_programs
  print_header
  bench_c_epoll
  bench_servers
  bench_io_uring
  bench_c_again
  bench_startup
  write_report
  plot
  end_s=$(date +%s.%N)
  elapsed=$(awk -v a="$start_s" -v b="$end_s" 'BEGIN { printf "%.0f", b - a }')
  echo >>"$md.tmp"
  echo "Whole run: ${elapsed} s." >>"$md.tmp"
  mv "$md.tmp" "$md"
  cat "$md"
  say "run.sh: wrote $md, $csv, $png"
  say "run.sh: elapsed ${elapsed} s"
  exit "$failed"
}

main
