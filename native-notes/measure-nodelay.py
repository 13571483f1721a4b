#!/usr/bin/env python3
"""Nagle (TCP_NODELAY off) vs TCP_NODELAY on, measured on loopback.

A client sends each request in two small writes (write-write-read: an 8-byte "header", then a
24-byte "body") and waits for the 32-byte answer. Two servers answer it:

  echo     like the study program's io.Copy: each read(2) is written straight back;
  reqresp  reads the whole 32-byte request, then answers in two writes of its own (8 + 24 bytes),
           the same write-write shape on the server side.

Each case is one fresh connection on 127.0.0.1 (never any other address) and ROUNDS rounds; a
case stops after the first round that ends past its time budget, so a run takes about
CASES x BUDGET seconds at most (6 x 3 s by default). Every socket has a 10 s timeout, so a hang
cannot outlast that. Per-round latency is measured with time.perf_counter_ns around
send, send, recv-until-32-bytes. Standard library only.

usage: python3 native-notes/measure-nodelay.py [--rounds N] [--budget SECONDS]
"""
import argparse
import socket
import sys
import threading
import time

HEADER = b"H" * 8
BODY = b"B" * 24
REQ = len(HEADER) + len(BODY)

# (server kind, server TCP_NODELAY, client TCP_NODELAY)
CASES = [
    ("echo", 0, 0),     # C defaults on both sides
    ("echo", 1, 1),     # Go server (newTCPConn) and Go client (DialTCP) both set it
    ("reqresp", 0, 0),  # C defaults on both sides
    ("reqresp", 0, 1),  # only the client sets it
    ("reqresp", 1, 0),  # only the server sets it (Go 1.6 / ffm-echo accepted conn, C client)
    ("reqresp", 1, 1),  # both set it (Go on both ends)
]


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def serve(lsock, kind, nodelay):
    conn, _ = lsock.accept()
    with conn:
        conn.settimeout(10)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, nodelay)
        try:
            while True:
                if kind == "echo":
                    data = conn.recv(32768)          # one read, written back as is
                    if not data:
                        return
                    conn.sendall(data)
                else:
                    data = recv_exact(conn, REQ)     # the whole request, then two writes
                    if not data:
                        return
                    conn.sendall(data[:len(HEADER)])
                    conn.sendall(data[len(HEADER):])
        except OSError:
            return


def run_case(kind, srv_nodelay, cli_nodelay, rounds, budget):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    t = threading.Thread(target=serve, args=(lsock, kind, srv_nodelay), daemon=True)
    t.start()
    cli = socket.create_connection(lsock.getsockname(), timeout=10)
    cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, cli_nodelay)
    lat = []
    start = time.monotonic()
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        cli.sendall(HEADER)
        cli.sendall(BODY)
        if recv_exact(cli, REQ) != HEADER + BODY:
            sys.exit("echo mismatch")
        lat.append((time.perf_counter_ns() - t0) / 1e6)
        if time.monotonic() - start > budget:
            break
    cli.close()
    t.join(timeout=5)
    lsock.close()
    return lat


def pct(sorted_ms, p):
    # nearest-rank percentile: the ceil(p/100 * n)-th smallest value (p an integer)
    n = len(sorted_ms)
    return sorted_ms[max(0, (p * n + 99) // 100 - 1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=200, help="rounds per case (default 200, max 1000)")
    ap.add_argument("--budget", type=float, default=3.0, help="seconds per case (default 3, max 3)")
    a = ap.parse_args()
    rounds = max(1, min(a.rounds, 1000))
    budget = max(0.1, min(a.budget, 3.0))
    print(f"loopback 127.0.0.1, request = write({len(HEADER)}) + write({len(BODY)}), "
          f"answer {REQ} bytes; up to {rounds} rounds or {budget:g} s per case")
    print(f"{'server':8} {'srv_NODELAY':>11} {'cli_NODELAY':>11} {'rounds':>6} "
          f"{'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'>10ms':>6}")
    t_start = time.monotonic()
    for kind, s, c in CASES:
        lat = run_case(kind, s, c, rounds, budget)
        srt = sorted(lat)
        slow = sum(1 for x in lat if x > 10.0)
        print(f"{kind:8} {s:>11} {c:>11} {len(lat):>6} {pct(srt, 50):>8.3f} {pct(srt, 90):>8.3f} "
              f"{pct(srt, 99):>8.3f} {srt[-1]:>8.3f} {slow:>6}")
    print(f"total {time.monotonic() - t_start:.1f} s")


if __name__ == "__main__":
    main()
