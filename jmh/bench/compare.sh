#!/usr/bin/env bash
# Interleaved comparison: on a noisy machine one measurement per server says little (the same C
# server can move 35 % between two runs), so this keeps every server up at once and measures them
# in turns, ROUNDS times per scenario, reporting medians and the spread. Same pinning as run.sh:
# servers on CPU 0, the load client on CPU 1; loopback only; bounded (about 4 s per measurement).
#
#   jmh/bench/compare.sh                      # C lt/et vs ffm-echo eventloop level/edge, scenarios B C D
#   ROUNDS=7 SCENARIOS="B" jmh/bench/compare.sh
#   IO_URING=1 jmh/bench/compare.sh           # and the io_uring pair: the C io_uring server (liburing) and
#                                             # ffm-echo --io io_uring (needs liburing-dev)
#
# Writes jmh/bench-results/compare-<date>.md (also printed) and .csv (every measurement). Exit 0;
# 1 when a measurement failed; 2 when something is missing.
set -uo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/../.." && pwd)
ROUNDS=${ROUNDS:-5}
SCENARIOS=${SCENARIOS:-B C D}
WARMUP_S=${WARMUP_S:-1}
DURATION_S=${DURATION_S:-3}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
jar=${FFM_ECHO_JAR:-$repo/target/ffm-echo.jar}
[ -x "$JAVA" ] || { echo "compare.sh: no java at $JAVA (set JAVA_HOME to a JDK >= 22)" >&2; exit 2; }
[ -f "$jar" ] || { echo "compare.sh: no $jar (run mvn -B -DskipTests package, or jmh/bench/run.sh)" >&2; exit 2; }
command -v gcc >/dev/null || { echo "compare.sh: needs gcc" >&2; exit 2; }

IO_URING=${IO_URING:-0}

work=$(mktemp -d /tmp/ffm-compare.XXXXXX)
bench=compare.sh
source "$here/lib.sh"   # kv, the scenarios
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n 65536 2>/dev/null || true

for prog in echo_server load_client startup_probe; do
  gcc -O2 -Wall -Wextra -Werror -pthread -o "$work/$prog" "$here/$prog.c" || exit 2
done

# name → command (PORT replaced); all up at once, each on CPU 0
names=("C lt" "C et" "ffm level" "ffm edge")
if [ "$IO_URING" = 1 ]; then
  gcc -O2 -Wall -Wextra -Werror -o "$work/uring_echo_server" "$here/uring_echo_server.c" -luring \
    || { echo "compare.sh: IO_URING=1 needs liburing (apt-get install liburing-dev)" >&2; exit 2; }
  names+=("C io_uring" "ffm io_uring")
fi
declare -A port pid
base=$((20000 + RANDOM % 11000))
i=0
for n in "${names[@]}"; do
  p=$((base + i)); i=$((i + 1)); port[$n]=$p
  case $n in
    "C lt") cmd=("$work/echo_server" -p "$p" -m lt) ;;
    "C et") cmd=("$work/echo_server" -p "$p" -m et) ;;
    "ffm level") cmd=("$JAVA" --enable-native-access=ALL-UNNAMED -jar "$jar" --quiet --mode eventloop --loops 1 --trigger level --listen "127.0.0.1:$p") ;;
    "ffm edge") cmd=("$JAVA" --enable-native-access=ALL-UNNAMED -jar "$jar" --quiet --mode eventloop --loops 1 --trigger edge --listen "127.0.0.1:$p") ;;
    "C io_uring") cmd=("$work/uring_echo_server" -p "$p") ;;
    "ffm io_uring") cmd=("$JAVA" --enable-native-access=ALL-UNNAMED -jar "$jar" --quiet --mode eventloop --loops 1 --io io_uring --listen "127.0.0.1:$p") ;;
  esac
  taskset -c 0 "${cmd[@]}" >"$work/server-$i.log" 2>&1 &
  pid[$n]=$!; pids+=("$!")
  "$work/startup_probe" -W -p "$p" -T 30 >/dev/null || { echo "compare.sh: $n did not start" >&2; exit 2; }
done

raw="$work/raw.csv"   # scenario,server,round,msgs_per_s,cpu_us_per_msg,p99
: >"$raw"
start_s=$(date +%s)
for sc in $SCENARIOS; do
  for r in $(seq 0 "$ROUNDS"); do          # round 0 warms the JVMs (JIT) and is not counted
    for n in "${names[@]}"; do
      w=$WARMUP_S; [ "$r" = 0 ] && w=2
      out=$(taskset -c 1 "$work/load_client" -c "${SC_C[$sc]}" -d "${SC_D[$sc]}" -s "${SC_S[$sc]}" \
              -w "$w" -t "$DURATION_S" -p "${port[$n]}" -P "${pid[$n]}" 2>&1)
      line=$(grep '^result ' <<<"$out" | tail -1)
      [ -n "$(kv msgs_per_s "$line")" ] || { echo "compare.sh: $n $sc round $r failed: $out" >&2; exit 1; }
      [ "$r" = 0 ] && continue
      echo "$sc,$n,$r,$(kv msgs_per_s "$line"),$(kv server_cpu_us_per_msg "$line"),$(kv p99_us "$line")" >>"$raw"
      echo "  $sc round $r $n: $(kv msgs_per_s "$line") msgs/s, $(kv server_cpu_us_per_msg "$line") µs/msg" >&2
    done
  done
done
elapsed=$(( $(date +%s) - start_s ))

# median, min and max of column $3 for (scenario $1, server $2); POSIX awk + sort (no gawk asort)
stat() {
  awk -F, -v s="$1" -v n="$2" -v c="$3" '$1 == s && $2 == n { print $c + 0 }' "$raw" | sort -g \
    | awk '{ v[++k] = $1 } END { m = (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2; printf "%s %s %s", m, v[1], v[k] }'
}

out_md="$repo/jmh/bench-results/compare-$(date +%F).md"
mkdir -p "$(dirname "$out_md")"
{ echo "scenario,server,round,msgs_per_s,server_cpu_us_per_msg,p99_us"; cat "$raw"; } >"${out_md%.md}.csv"
{
  echo "# Interleaved comparison — $(date +%F)"
  echo
  echo "- **machine**: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), kernel $(uname -r); $("$JAVA" -version 2>&1 | sed -n 2p)"
  echo "- **command**: \`ROUNDS=$ROUNDS SCENARIOS=\"$SCENARIOS\" IO_URING=$IO_URING jmh/bench/compare.sh\`; $ROUNDS counted rounds (after one warm-up round), each server measured once per round in turn, ${WARMUP_S} s warm-up + ${DURATION_S} s window per measurement; ${elapsed} s"
  echo "- All ${#names[@]} servers stay up for the whole run, pinned to CPU 0; the load client ([load_client.c](../bench/load_client.c)) on CPU 1 verifies every echoed byte."
  echo "- Values: median over the rounds, with [min – max]. Ratios are of medians, to the C server's better mode (lower CPU/msg) in that scenario. Every measurement: [compare-$(date +%F).csv](compare-$(date +%F).csv)."
  echo
  echo "| scenario | server | msgs/s median [min – max] | server CPU µs/msg median [min – max] | p99 µs median | msgs/s ÷ C | CPU/msg ÷ C |"
  echo "|---|---|--:|--:|--:|--:|--:|"
  for sc in $SCENARIOS; do
    read -r lt_cpu _ _ <<<"$(stat "$sc" "C lt" 5)"
    read -r et_cpu _ _ <<<"$(stat "$sc" "C et" 5)"
    best="C lt"; awk -v a="$lt_cpu" -v b="$et_cpu" 'BEGIN { exit !(b < a) }' && best="C et"
    read -r c_m _ _ <<<"$(stat "$sc" "$best" 4)"
    read -r c_cpu _ _ <<<"$(stat "$sc" "$best" 5)"
    for n in "${names[@]}"; do
      read -r m mlo mhi <<<"$(stat "$sc" "$n" 4)"
      read -r u ulo uhi <<<"$(stat "$sc" "$n" 5)"
      read -r p99 _ _ <<<"$(stat "$sc" "$n" 6)"
      label=$n; [ "$n" = "$best" ] && label="**$n** (C's better mode here)"
      awk -v sc="$sc ($(printf '%s×%s×%s B' "${SC_C[$sc]}" "${SC_D[$sc]}" "${SC_S[$sc]}"))" -v l="$label" -v m="$m" -v mlo="$mlo" -v mhi="$mhi" \
          -v u="$u" -v ulo="$ulo" -v uhi="$uhi" -v p="$p99" -v cm="$c_m" -v cu="$c_cpu" 'BEGIN {
        printf "| %s | %s | %.0f [%.0f – %.0f] | %.3f [%.3f – %.3f] | %.0f | %.2f | %.2f |\n", sc, l, m, mlo, mhi, u, ulo, uhi, p, m / cm, u / cu }'
    done
  done
} >"$out_md"
cat "$out_md"
