/*
 * load_client.c — closed-loop epoll load generator for the ffm-echo end-to-end benchmark.
 *
 * Load mode:  load_client -c CONNS -d DEPTH -s SIZE -w WARMUP_S -t DURATION_S -p PORT [-a ADDR]
 *                         [-P SERVER_PID]
 *   Opens CONNS connections (TCP_NODELAY); each keeps DEPTH messages of SIZE bytes in flight: when
 *   a message's echo is complete, the next one is sent. The bytes of connection c are the stream
 *   P[(base_c + offset) mod L] of a pseudo-random table P of prime length L, so every byte a
 *   connection sends is determined by (connection, offset) — message k is the stream's bytes
 *   [k*SIZE, (k+1)*SIZE). EVERY echoed byte is compared with what was sent at that offset
 *   (a mismatch prints the connection, the offset and both bytes, and exits 1; so does a server
 *   that closes a connection).
 *   Latency of a message = from just before the write() that sent its last byte to the read() that
 *   received its last echoed byte, recorded in a log-linear histogram (128 sub-buckets per power of two: the
 *   reported value is within 0.4% of the true one). Only messages completed in the measured window
 *   (after WARMUP_S, for DURATION_S) count. With -P, the server's utime+stime from
 *   /proc/PID/stat over that same window gives server CPU per echoed message, and the machine's
 *   user+system time (/proc/stat) minus the server's and ours gives other processes' CPU use
 *   (other_cpu_pct, % of one CPU): a disturbed measurement shows there.
 *   Percentiles only see completed messages, so it also reports starved_conns (connections that
 *   completed nothing in the window) and oldest_inflight_us (age of the oldest unanswered message
 *   at the window's end): an unfair server shows there.
 *   Prints one machine-readable line (key=value, starting with "result ") and one human line.
 *   Hard bound: it aborts (exit 3) at WARMUP_S + DURATION_S + 10 s.
 *
 * Idle mode:  load_client -i N -p PORT [-a ADDR] [-T HOLD_S]
 *   Opens N connections, sends one 8-byte message on each and verifies its echo (so the server has
 *   really accepted and served every one), prints "ready conns=N", then holds them until stdin
 *   reaches EOF or HOLD_S (default 120) pass, closes them and exits 0.
 *
 * Raises RLIMIT_NOFILE to the hard limit itself.
 * build: gcc -O2 -Wall -Wextra -Werror -o load_client load_client.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TABLE_LEN 4194301u          /* prime: no whole number of messages realigns the stream */
#define TABLE_PAD (1u << 20)        /* table is TABLE_LEN + PAD so any chunk <= PAD is contiguous */
#define READ_BUF (256 * 1024)
#define MAX_EVENTS 1024

static unsigned char *table;

struct conn {
    int fd;
    int want_out;          /* EPOLLOUT registered */
    uint32_t base;         /* stream start in the table */
    uint64_t sent;         /* bytes written */
    uint64_t recvd;        /* bytes echoed back and verified */
    uint64_t stamped;      /* messages whose send time is recorded */
    uint64_t *ts;          /* send time (ns) of in-flight message m at ts[m % depth] */
    uint64_t window_msgs;  /* messages completed in the measured window */
};

static struct conn *conns;
static int nconns = 1, depth = 1, size = 64, port = 10020, idle_n = 0;
static double warmup_s = 2, duration_s = 5, hold_s = 120;
static const char *addr = "127.0.0.1";
static int server_pid = 0;
static int epfd;

/* ---- histogram: log-linear, 128 sub-buckets per octave, values in ns ---- */
#define SUB_BITS 7
#define SUB (1 << SUB_BITS)
#define OCTAVES 42
static uint64_t hist[(OCTAVES + 1) * SUB];
static uint64_t hist_count, hist_max;

static inline int hist_index(uint64_t v) {
    if (v < SUB) return (int)v;
    int e = 63 - __builtin_clzll(v);
    if (e > OCTAVES + SUB_BITS - 2) return (OCTAVES + 1) * SUB - 1;
    return (e - SUB_BITS + 1) * SUB + (int)((v >> (e - SUB_BITS)) & (SUB - 1));
}

static inline double hist_value(int idx) {
    if (idx < SUB) return idx;
    int e = idx / SUB + SUB_BITS - 1, sub = idx % SUB;
    double lo = (double)((uint64_t)(SUB + sub) << (e - SUB_BITS));
    double width = (double)(1ull << (e - SUB_BITS));
    return lo + width / 2;
}

static inline void hist_record(uint64_t v) {
    hist[hist_index(v)]++;
    hist_count++;
    if (v > hist_max) hist_max = v;
}

static double hist_percentile(double p) {
    if (!hist_count) return 0;
    uint64_t want = (uint64_t)(p * (double)hist_count + 0.999999);
    if (want < 1) want = 1;
    uint64_t acc = 0;
    for (int i = 0; i < (OCTAVES + 1) * SUB; i++) {
        acc += hist[i];
        if (acc >= want) {
            double v = hist_value(i);  /* bucket midpoint, but never above the largest sample */
            return v > (double)hist_max ? (double)hist_max : v;
        }
    }
    return (double)hist_max;
}

/* ---- helpers ---- */
static inline uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void fail(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "load_client: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    printf("result errors=1\n");
    fflush(stdout);
    exit(code);
}

static void on_alarm(int sig) {
    (void)sig;
    static const char m[] = "load_client: hard time limit reached, aborting\n";
    ssize_t r = write(2, m, sizeof m - 1);
    (void)r;
    _exit(3);
}

static void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void make_table(void) {
    table = malloc(TABLE_LEN + TABLE_PAD);
    if (!table) fail(2, "malloc");
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (uint32_t i = 0; i < TABLE_LEN; i++) {   /* xorshift64* */
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
        table[i] = (unsigned char)((x * 0x2545F4914F6CDD1Dull) >> 56);
    }
    memcpy(table + TABLE_LEN, table, TABLE_PAD);
}

static inline const unsigned char *stream_at(const struct conn *c, uint64_t off) {
    return table + (uint32_t)((c->base + off) % TABLE_LEN);
}

static int connect_one(struct sockaddr_in *sa) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail(2, "socket: %s (raise ulimit -n)", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (int attempt = 0;; attempt++) {
        if (connect(fd, (struct sockaddr *)sa, sizeof *sa) == 0) break;
        if (errno == EINTR && attempt < 100) continue;
        fail(2, "connect %s:%d: %s", addr, port, strerror(errno));
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void set_out(struct conn *c, int idx, int on) {
    if (c->want_out == on) return;
    struct epoll_event e = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u32 = (uint32_t)idx};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) < 0) fail(2, "epoll_ctl: %s", strerror(errno));
    c->want_out = on;
}

/* Verifies n received bytes of conn c against the stream; on mismatch, names the first bad byte. */
static void verify(const struct conn *c, int idx, const unsigned char *buf, size_t n) {
    const unsigned char *want = stream_at(c, c->recvd);
    if (memcmp(buf, want, n) == 0) return;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != want[i]) {
            uint64_t off = c->recvd + i;
            fail(1, "MISMATCH conn=%d stream_offset=%llu message=%llu byte_in_message=%llu "
                 "expected=0x%02x got=0x%02x",
                 idx, (unsigned long long)off, (unsigned long long)(off / (uint64_t)size),
                 (unsigned long long)(off % (uint64_t)size), want[i], buf[i]);
        }
    }
}

/* Writes toward `sent == (messages echoed + depth) * size`; stamps messages fully written. */
static void pump_send(struct conn *c, int idx) {
    /* Taken before the write: on loopback write() itself carries the bytes into the server's
     * socket, a third of a small round trip, which belongs in the latency. */
    uint64_t t = now_ns();
    uint64_t target = (c->recvd / (uint64_t)size + (uint64_t)depth) * (uint64_t)size;
    while (c->sent < target) {
        uint64_t left = target - c->sent;
        size_t n = left > TABLE_PAD ? TABLE_PAD : (size_t)left;
        ssize_t w = write(c->fd, stream_at(c, c->sent), n);
        if (w > 0) { c->sent += (uint64_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) { set_out(c, idx, 1); break; }
        fail(1, "write conn=%d: %s", idx, w < 0 ? strerror(errno) : "0 bytes");
    }
    if (c->sent >= target) set_out(c, idx, 0);
    uint64_t done = c->sent / (uint64_t)size;
    if (done > c->stamped) {
        for (uint64_t m = c->stamped; m < done; m++) c->ts[m % (uint64_t)depth] = t;
        c->stamped = done;
    }
}

static int read_cpu_ticks(long long *ticks) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", server_pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    /* after ") ": field 3 state ... field 14 utime, 15 stime */
    unsigned long long ut = 0, st = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
    *ticks = (long long)(ut + st);
    return 0;
}

/* user+nice+system+irq+softirq ticks of all CPUs (first line of /proc/stat): with the server's and
 * our own CPU time subtracted, what is left over the window is other processes' work. irq and
 * softirq count because, without CONFIG_IRQ_TIME_ACCOUNTING, loopback's softirq work done in the
 * server's and our context is in our per-process times but in those columns of /proc/stat. */
static int read_all_busy_ticks(long long *ticks) {
    char buf[512];
    int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    unsigned long long u, ni, sy, idle, iow, irq, sirq;
    if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu", &u, &ni, &sy, &idle, &iow, &irq, &sirq) != 7) return -1;
    *ticks = (long long)(u + ni + sy + irq + sirq);
    return 0;
}

static double self_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void usage(void) {
    fprintf(stderr,
            "usage: load_client -c CONNS -d DEPTH -s SIZE -w WARMUP_S -t DURATION_S -p PORT [-a ADDR] [-P SERVER_PID]\n"
            "       load_client -i N -p PORT [-a ADDR] [-T HOLD_S]\n");
    exit(2);
}

/* ---------------- idle mode ---------------- */
static int run_idle(struct sockaddr_in *sa) {
    alarm((unsigned)(hold_s + 120));
    const int msg = 8, window = 256;
    conns = calloc((size_t)idle_n, sizeof *conns);
    if (!conns) fail(2, "calloc");
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event evs[MAX_EVENTS];
    unsigned char buf[64];
    int outstanding = 0, echoed = 0;
    /* Connect, send 8 bytes, and keep at most `window` echoes outstanding so the accept queue
     * never overflows (which would cost a 1 s SYN retransmission). */
    for (int i = 0; i < idle_n || outstanding > 0;) {
        if (i < idle_n && outstanding < window) {
            struct conn *c = &conns[i];
            c->fd = connect_one(sa);
            c->base = (uint32_t)(((uint64_t)i * 104729u + 17u) % TABLE_LEN);
            if (write(c->fd, stream_at(c, 0), (size_t)msg) != msg) fail(1, "idle write conn=%d", i);
            struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
            if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e) < 0) fail(2, "epoll_ctl: %s", strerror(errno));
            outstanding++;
            i++;
            if (outstanding < window && i < idle_n) continue;
        }
        int n = epoll_wait(epfd, evs, MAX_EVENTS, 10000);
        if (n == 0) fail(1, "idle: no echo for 10 s (%d of %d echoed)", echoed, idle_n);
        for (int k = 0; k < n; k++) {
            int idx = (int)evs[k].data.u32;
            struct conn *c = &conns[idx];
            ssize_t r = read(c->fd, buf, sizeof buf);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r <= 0) fail(1, "idle conn=%d closed by server after %llu bytes", idx, (unsigned long long)c->recvd);
            if (c->recvd + (uint64_t)r > (uint64_t)msg) fail(1, "idle conn=%d: more bytes than sent", idx);
            verify(c, idx, buf, (size_t)r);
            c->recvd += (uint64_t)r;
            if (c->recvd == (uint64_t)msg) {
                epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                outstanding--;
                echoed++;
            }
        }
    }
    printf("ready conns=%d\n", idle_n);
    fflush(stdout);
    /* Hold until stdin closes (EOF) or the hold time passes. */
    uint64_t end = now_ns() + (uint64_t)(hold_s * 1e9);
    for (;;) {
        uint64_t now = now_ns();
        if (now >= end) break;
        struct pollfd p = {.fd = 0, .events = POLLIN};
        int r = poll(&p, 1, (int)((end - now) / 1000000 + 1));
        if (r > 0) {
            char b[256];
            ssize_t n = read(0, b, sizeof b);
            if (n <= 0) break;
        } else if (r < 0 && errno != EINTR) {
            break;
        }
    }
    for (int i = 0; i < idle_n; i++) close(conns[i].fd);
    return 0;
}

/* ---------------- load mode ---------------- */
int main(int argc, char **argv) {
    int opt;
    while ((opt = getopt(argc, argv, "c:d:s:w:t:p:a:P:i:T:h")) != -1) {
        switch (opt) {
        case 'c': nconns = atoi(optarg); break;
        case 'd': depth = atoi(optarg); break;
        case 's': size = atoi(optarg); break;
        case 'w': warmup_s = atof(optarg); break;
        case 't': duration_s = atof(optarg); break;
        case 'p': port = atoi(optarg); break;
        case 'a': addr = optarg; break;
        case 'P': server_pid = atoi(optarg); break;
        case 'i': idle_n = atoi(optarg); break;
        case 'T': hold_s = atof(optarg); break;
        default: usage();
        }
    }
    if (nconns < 1 || depth < 1 || size < 1 || size > (int)TABLE_PAD || port < 1 || port > 65535 ||
        warmup_s < 0 || duration_s <= 0 || idle_n < 0 || hold_s < 0)
        usage();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    raise_nofile();
    make_table();
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) fail(2, "-a must be an IPv4 literal");
    if (idle_n > 0) return run_idle(&sa);

    alarm((unsigned)(warmup_s + duration_s + 10.999));
    conns = calloc((size_t)nconns, sizeof *conns);
    uint64_t *ts = calloc((size_t)nconns * (size_t)depth, sizeof *ts);
    unsigned char *buf = malloc(READ_BUF);
    if (!conns || !ts || !buf) fail(2, "malloc");
    epfd = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->fd = connect_one(&sa);
        c->base = (uint32_t)(((uint64_t)i * 104729u + 17u) % TABLE_LEN);
        c->ts = ts + (size_t)i * (size_t)depth;
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e) < 0) fail(2, "epoll_ctl: %s", strerror(errno));
    }

    uint64_t t0 = now_ns();
    uint64_t t_measure = t0 + (uint64_t)(warmup_s * 1e9);
    uint64_t t_end = t_measure + (uint64_t)(duration_s * 1e9);
    int measuring = 0;
    uint64_t m_start = 0, m_end = 0, msgs = 0;
    long long tick0 = 0, tick1 = 0, all0 = 0, all1 = 0;
    int cpu_ok = 0, all_ok = 0;
    double ccpu0 = 0, ccpu1 = 0;
    if (t_measure <= t0) {
        measuring = 1; m_start = t0; ccpu0 = self_cpu_s();
        cpu_ok = server_pid > 0 && read_cpu_ticks(&tick0) == 0;
        all_ok = read_all_busy_ticks(&all0) == 0;
    }
    for (int i = 0; i < nconns; i++) pump_send(&conns[i], i);

    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(epfd, evs, MAX_EVENTS, 50);
        if (n < 0 && errno != EINTR) fail(2, "epoll_wait: %s", strerror(errno));
        uint64_t now = now_ns();
        if (!measuring && now >= t_measure) {
            measuring = 1;
            m_start = now;
            ccpu0 = self_cpu_s();
            cpu_ok = server_pid > 0 && read_cpu_ticks(&tick0) == 0;
            all_ok = read_all_busy_ticks(&all0) == 0;
        }
        if (measuring && now >= t_end) {
            m_end = now;
            ccpu1 = self_cpu_s();
            if (cpu_ok) cpu_ok = read_cpu_ticks(&tick1) == 0;
            if (all_ok) all_ok = read_all_busy_ticks(&all1) == 0;
            break;
        }
        for (int k = 0; k < n; k++) {
            int idx = (int)evs[k].data.u32;
            struct conn *c = &conns[idx];
            uint32_t ev = evs[k].events;
            if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t r = read(c->fd, buf, READ_BUF);
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                    /* spurious */
                } else if (r <= 0) {
                    fail(1, "conn=%d closed by server (%s) after %llu echoed bytes", idx,
                         r < 0 ? strerror(errno) : "EOF", (unsigned long long)c->recvd);
                } else {
                    if (c->recvd + (uint64_t)r > c->sent)
                        fail(1, "conn=%d: server sent %llu bytes more than it was sent", idx,
                             (unsigned long long)(c->recvd + (uint64_t)r - c->sent));
                    verify(c, idx, buf, (size_t)r);
                    uint64_t before = c->recvd / (uint64_t)size;
                    c->recvd += (uint64_t)r;
                    uint64_t after = c->recvd / (uint64_t)size;
                    if (after > before) {
                        uint64_t t = now_ns();
                        int count = measuring; /* the window is [m_start, m_end], as the CPU times */
                        for (uint64_t m = before; m < after; m++) {
                            if (count) {
                                hist_record(t - c->ts[m % (uint64_t)depth]);
                                msgs++;
                                c->window_msgs++;
                            }
                        }
                        pump_send(c, idx);
                    }
                }
            }
            if ((ev & EPOLLOUT) && c->want_out) pump_send(c, idx);
        }
    }

    /* Fairness: percentiles only see completed messages, so also count connections that completed
     * nothing in the window (starved) and the age of the oldest message still unanswered at its end. */
    int starved = 0;
    uint64_t oldest = 0;
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        if (c->window_msgs == 0) starved++;
        uint64_t next = c->recvd / (uint64_t)size;
        if (c->stamped > next && m_end > c->ts[next % (uint64_t)depth]) {
            uint64_t age = m_end - c->ts[next % (uint64_t)depth];
            if (age > oldest) oldest = age;
        }
    }

    /* Clean end: no more sends; half-close every conn and read (and verify) the echoes still in
     * flight until the server closes too, so nobody sees a reset. Every byte sent must come back. */
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        shutdown(c->fd, SHUT_WR);
        if (c->want_out) set_out(c, i, 0);
    }
    int open_conns = nconns;
    uint64_t drain_end = now_ns() + 5000000000ull;
    while (open_conns > 0) {
        if (now_ns() > drain_end) fail(1, "%d conns not closed by the server 5 s after our FIN", open_conns);
        int n = epoll_wait(epfd, evs, MAX_EVENTS, 50);
        for (int k = 0; k < n; k++) {
            int idx = (int)evs[k].data.u32;
            struct conn *c = &conns[idx];
            ssize_t r = read(c->fd, buf, READ_BUF);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r > 0) {
                if (c->recvd + (uint64_t)r > c->sent) fail(1, "conn=%d: more bytes echoed than sent", idx);
                verify(c, idx, buf, (size_t)r);
                c->recvd += (uint64_t)r;
                continue;
            }
            if (r < 0) fail(1, "conn=%d: %s while draining", idx, strerror(errno));
            if (c->recvd != c->sent)
                fail(1, "conn=%d: server closed with %llu of %llu sent bytes not echoed", idx,
                     (unsigned long long)(c->sent - c->recvd), (unsigned long long)c->sent);
            epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
            close(c->fd);
            c->fd = -1;
            open_conns--;
        }
    }
    alarm(0);

    uint64_t total_verified = 0;
    for (int i = 0; i < nconns; i++) total_verified += conns[i].recvd;
    double secs = (double)(m_end - m_start) / 1e9;
    double mps = (double)msgs / secs;
    double mbps = (double)msgs * size / secs / 1e6;
    double p50 = hist_percentile(0.50) / 1e3, p99 = hist_percentile(0.99) / 1e3,
           p999 = hist_percentile(0.999) / 1e3, pmax = (double)hist_max / 1e3;
    double client_pct = (ccpu1 - ccpu0) / secs * 100;
    char scpu[64] = "NA", spct[64] = "NA", opct[64] = "NA";
    if (cpu_ok && msgs > 0) {
        double s = (double)(tick1 - tick0) / (double)sysconf(_SC_CLK_TCK);
        snprintf(scpu, sizeof scpu, "%.3f", s * 1e6 / (double)msgs);
        snprintf(spct, sizeof spct, "%.1f", s / secs * 100);
        if (all_ok) {
            double all = (double)(all1 - all0) / (double)sysconf(_SC_CLK_TCK);
            double other = all - s - (ccpu1 - ccpu0);
            /* not clamped: a negative value means the accounting above does not fit this kernel */
            snprintf(opct, sizeof opct, "%.1f", other / secs * 100);
        }
    }
    printf("result conns=%d depth=%d size=%d secs=%.3f msgs=%llu msgs_per_s=%.0f mb_per_s=%.2f "
           "p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f server_cpu_us_per_msg=%s "
           "server_cpu_pct=%s client_cpu_pct=%.1f other_cpu_pct=%s starved_conns=%d oldest_inflight_us=%.1f "
           "errors=0\n",
           nconns, depth, size, secs, (unsigned long long)msgs, mps, mbps, p50, p99, p999, pmax, scpu,
           spct, client_pct, opct, starved, (double)oldest / 1e3);
    printf("%d conns x depth %d x %d B: %.0f msgs/s, %.2f MB/s echoed, latency p50 %.1f us, "
           "p99 %.1f us, p99.9 %.1f us, max %.1f us; server CPU %s us/msg (%s%%), client CPU %.0f%%, "
           "other processes %s%%; %d of %d conns starved (no echo in the window), oldest unanswered message "
           "%.1f us; all %llu echoed bytes verified\n",
           nconns, depth, size, mps, mbps, p50, p99, p999, pmax, scpu, spct, client_pct, opct, starved,
           nconns, (double)oldest / 1e3,
           (unsigned long long)total_verified);
    fflush(stdout);
    return 0;
}
