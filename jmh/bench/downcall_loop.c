/*
 * downcall_loop.c — the C baseline for jmh/src/main/java/dev/ffmecho/jmh/DowncallBench.java.
 *
 * One op is exactly the JMH op: write(2) 64 bytes into end a of a connected
 * socketpair(AF_UNIX, SOCK_STREAM), read(2) 64 bytes from end b (blocking; the socket never fills).
 * N ops are timed with clock_gettime(CLOCK_MONOTONIC); the run is repeated R times after a warm-up
 * run, and the best and median ns/op are printed. Built and run by jmh/bench/downcalls.sh:
 *
 *   gcc -O2 -o downcall_loop downcall_loop.c && taskset -c 0 ./downcall_loop [N [R]]
 *
 * Output (last line is machine-readable):
 *   run 1: 1234.5 ns/op
 *   ...
 *   best_ns_per_op=1200.1 median_ns_per_op=1230.0 ops_per_run=N runs=R
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SIZE 64

static int sv[2];
static char out[SIZE], in[SIZE];

static double run(long n) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        ssize_t w = write(sv[0], out, SIZE);
        ssize_t r = read(sv[1], in, SIZE);
        if (w != SIZE || r != SIZE) {
            fprintf(stderr, "downcall_loop: write returned %zd, read returned %zd: %s\n", w, r, strerror(errno));
            exit(1);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (double) (t1.tv_sec - t0.tv_sec) * 1e9 + (double) (t1.tv_nsec - t0.tv_nsec);
    return ns / (double) n;
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *) x, b = *(const double *) y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    if (n <= 0 || runs <= 0 || runs > 1000) {
        fprintf(stderr, "usage: %s [OPS_PER_RUN [RUNS]]\n", argv[0]);
        return 2;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        perror("downcall_loop: socketpair");
        return 1;
    }
    memset(out, 'x', SIZE);
    run(n / 4 + 1); /* warm-up: caches, branch predictors, the socket's skb allocations */
    double *r = calloc((size_t) runs, sizeof *r);
    for (int i = 0; i < runs; i++) {
        r[i] = run(n);
        printf("run %d: %.1f ns/op\n", i + 1, r[i]);
    }
    qsort(r, (size_t) runs, sizeof *r, cmp);
    printf("best_ns_per_op=%.1f median_ns_per_op=%.1f ops_per_run=%ld runs=%d\n", r[0], r[runs / 2], n, runs);
    free(r);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
