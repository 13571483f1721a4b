/*
 * echo_server.c — the C yardstick for ffm-echo's end-to-end benchmark.
 *
 * An epoll TCP echo server written to be as fast as plain epoll gets:
 *   - one thread by default; -t N starts N threads, each with its own SO_REUSEPORT listener and
 *     its own epoll fd (no shared state, no locks);
 *   - -m lt (default): level-triggered, one read per wakeup (redis ae_epoll style);
 *     -m et: edge-triggered, read until EAGAIN;
 *   - 64 KiB read buffer per thread; nonblocking accept4(SOCK_NONBLOCK|SOCK_CLOEXEC) until EAGAIN;
 *     TCP_NODELAY on accepted sockets;
 *   - a partial write keeps the unsent bytes for that connection, switches it to EPOLLOUT and stops
 *     reading it until they are flushed (backpressure: at most one 64 KiB read buffered per conn);
 *   - per-connection state in arrays indexed by fd.
 * SIGTERM/SIGINT: every thread leaves its loop, closes its fds and the process exits 0.
 *
 * usage: echo_server [-p PORT] [-a ADDR] [-t THREADS] [-m lt|et]
 * build: gcc -O2 -Wall -Wextra -Werror -pthread -o echo_server echo_server.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (64 * 1024)
#define MAX_EVENTS 512

/* Per-connection state, indexed by fd (fds are process-wide, so one set of arrays serves every
 * thread: a given fd belongs to exactly one thread's epoll at a time). */
static char **pending_buf;     /* unsent bytes of a partial write (malloc'd lazily, BUF_SIZE) */
static uint32_t *pending_off;  /* first unsent byte */
static uint32_t *pending_len;  /* end of unsent bytes */
static int max_fds;

static int edge_triggered;
static struct sockaddr_in listen_addr;
static int stop_fd = -1;        /* eventfd: written by the signal handler, watched by every loop */
static volatile sig_atomic_t stopping;

static void die(const char *what) {
    fprintf(stderr, "echo_server: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void on_signal(int sig) {
    (void)sig;
    stopping = 1;
    uint64_t one = 1;
    ssize_t r = write(stop_fd, &one, sizeof one);
    (void)r;
}

static int make_listener(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("SO_REUSEADDR");
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) die("SO_REUSEPORT");
    if (bind(fd, (struct sockaddr *)&listen_addr, sizeof listen_addr) < 0) die("bind");
    if (listen(fd, 65535) < 0) die("listen");
    return fd;
}

static void close_conn(int ep, int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    pending_off[fd] = pending_len[fd] = 0;
    close(fd);
}

static void set_events(int ep, int fd, uint32_t ev) {
    struct epoll_event e = {.events = ev | (edge_triggered ? EPOLLET : 0), .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e) < 0) die("epoll_ctl MOD");
}

/* Writes buf[0..n) to fd. Returns 0 when all went out, 1 when the rest was parked (backpressure:
 * the conn now waits for EPOLLOUT and is not read), -1 when the conn died. */
static int write_or_park(int ep, int fd, const char *buf, size_t n) {
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, buf + off, n - off);
        if (w > 0) { off += (size_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            if (!pending_buf[fd] && !(pending_buf[fd] = malloc(BUF_SIZE))) die("malloc");
            memcpy(pending_buf[fd], buf + off, n - off);
            pending_off[fd] = 0;
            pending_len[fd] = (uint32_t)(n - off);
            set_events(ep, fd, EPOLLOUT);
            return 1;
        }
        return -1;
    }
    return 0;
}

/* EPOLLOUT on a parked conn: flush; when empty, go back to reading. */
static int flush_pending(int ep, int fd) {
    while (pending_off[fd] < pending_len[fd]) {
        ssize_t w = write(fd, pending_buf[fd] + pending_off[fd], pending_len[fd] - pending_off[fd]);
        if (w > 0) { pending_off[fd] += (uint32_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) return 1;   /* still blocked: keep waiting for EPOLLOUT */
        return -1;
    }
    pending_off[fd] = pending_len[fd] = 0;
    set_events(ep, fd, EPOLLIN);
    return 0;
}

/* Returns 0: keep the conn; -1: close it. */
static int on_readable(int ep, int fd, char *buf) {
    for (;;) {
        ssize_t r = read(fd, buf, BUF_SIZE);
        if (r > 0) {
            int w = write_or_park(ep, fd, buf, (size_t)r);
            if (w != 0) return w < 0 ? -1 : 0;
            /* LT: one read per wakeup (the next epoll_wait reports what is left).
             * ET: no new edge comes for bytes already queued, so read until EAGAIN. */
            if (!edge_triggered) return 0;
            continue;
        }
        if (r == 0) return -1;
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return 0;
        return -1;
    }
}

static void accept_all(int ep, int lfd) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) {
                fprintf(stderr, "echo_server: accept4: %s\n", strerror(errno));
            }
            return; /* EAGAIN or an error: the listener stays registered */
        }
        if (fd >= max_fds) { close(fd); continue; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pending_off[fd] = pending_len[fd] = 0;
        struct epoll_event e = {.events = EPOLLIN | (edge_triggered ? EPOLLET : 0), .data.fd = fd};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) { close(fd); continue; }
    }
}

static void *loop(void *arg) {
    int lfd = (int)(intptr_t)arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    /* The listener is level-triggered in both modes and accept4 runs until EAGAIN either way. */
    struct epoll_event e = {.events = EPOLLIN, .data.fd = lfd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e) < 0) die("epoll_ctl listener");
    struct epoll_event s = {.events = EPOLLIN, .data.fd = stop_fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, stop_fd, &s) < 0) die("epoll_ctl eventfd");

    char *buf = malloc(BUF_SIZE);
    if (!buf) die("malloc");
    struct epoll_event evs[MAX_EVENTS];

    while (!stopping) {
        int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            uint32_t ev = evs[i].events;
            if (fd == lfd) { accept_all(ep, lfd); continue; }
            if (fd == stop_fd) { stopping = 1; continue; }
            int rc;
            if (pending_len[fd] > 0) {
                /* parked: only EPOLLOUT is registered; errors show up as EPOLLERR/HUP or in write */
                rc = flush_pending(ep, fd) < 0 ? -1 : 0;
            } else if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                rc = on_readable(ep, fd, buf);
            } else {
                rc = 0;
            }
            if (rc < 0) close_conn(ep, fd);
        }
    }
    close(lfd);
    close(ep);
    free(buf);
    return NULL;
}

int main(int argc, char **argv) {
    int port = 10020, threads = 1, opt;
    const char *addr = "127.0.0.1";
    while ((opt = getopt(argc, argv, "p:a:t:m:h")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'a': addr = optarg; break;
        case 't': threads = atoi(optarg); break;
        case 'm':
            if (!strcmp(optarg, "lt")) edge_triggered = 0;
            else if (!strcmp(optarg, "et")) edge_triggered = 1;
            else { fprintf(stderr, "echo_server: -m must be lt or et\n"); return 2; }
            break;
        default:
            fprintf(stderr, "usage: echo_server [-p PORT] [-a ADDR] [-t THREADS] [-m lt|et]\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    if (port <= 0 || port > 65535 || threads < 1 || threads > 256) {
        fprintf(stderr, "echo_server: bad -p or -t\n");
        return 2;
    }
    memset(&listen_addr, 0, sizeof listen_addr);
    listen_addr.sin_family = AF_INET;
    listen_addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &listen_addr.sin_addr) != 1) {
        fprintf(stderr, "echo_server: -a must be an IPv4 literal\n");
        return 2;
    }

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    max_fds = rl.rlim_cur > (1u << 22) ? (1 << 22) : (int)rl.rlim_cur;
    pending_buf = calloc((size_t)max_fds, sizeof *pending_buf);
    pending_off = calloc((size_t)max_fds, sizeof *pending_off);
    pending_len = calloc((size_t)max_fds, sizeof *pending_len);
    if (!pending_buf || !pending_off || !pending_len) die("calloc");

    /* Non-blocking so every loop can watch it level-triggered and none of them consumes it. */
    stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd < 0) die("eventfd");
    signal(SIGPIPE, SIG_IGN);
    /* All listeners are bound before any thread starts: "address in use" fails fast, exit 2. */
    int *lfds = calloc((size_t)threads, sizeof *lfds);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!lfds || !tids) die("calloc");
    for (int i = 0; i < threads; i++) lfds[i] = make_listener();

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* worker threads inherit a full mask */
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&tids[i], NULL, loop, (void *)(intptr_t)lfds[i]) != 0) die("pthread_create");
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL); /* only the main thread takes signals */
    for (int i = 0; i < threads; i++) pthread_join(tids[i], NULL);
    /* Close every connection still open (fds above the listeners/epolls/eventfd). */
    for (int fd = 3; fd < max_fds; fd++) {
        if (pending_buf[fd]) free(pending_buf[fd]);
    }
    close_range((unsigned)stop_fd + 1, ~0u, 0);
    close(stop_fd);
    free(lfds);
    free(tids);
    return 0;
}
