/*
 * echo_server.c — the C yardstick for ffm-echo's end-to-end benchmark.
 *
 * An epoll TCP echo server written to be as fast as plain epoll gets:
 *   - one thread by default; -t N starts N threads, each with its own SO_REUSEPORT listener and
 *     its own epoll fd (no shared state, no locks);
 *   - -m lt (default): level-triggered, one read per wakeup (redis ae_epoll style); a conn is
 *     registered EPOLLIN|EPOLLRDHUP and switched to EPOLLOUT (EPOLL_CTL_MOD) only while a partial
 *     write is parked, then back;
 *   - -m et: edge-triggered, registered ONCE with EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET and never
 *     modified (the same scheme as the Java server's edge-triggered mode). Per turn a conn is read
 *     until EAGAIN, a short read, a partial write, EOF/error, or 16 reads (Netty's
 *     maxMessagesPerRead); a conn cut short by that cap goes on a per-thread deferred list served
 *     after the next epoll_wait (which then does not block);
 *   - 64 KiB read buffer per thread; nonblocking accept4(SOCK_NONBLOCK|SOCK_CLOEXEC) until EAGAIN;
 *     TCP_NODELAY on accepted sockets; on EMFILE/ENFILE the listener leaves the epoll set for a
 *     back-off (5 ms doubling to 1 s) instead of spinning;
 *   - a partial write keeps the unsent bytes for that connection and stops reading it until they
 *     are flushed (backpressure: at most one 64 KiB read buffered per conn);
 *   - per-connection state in arrays indexed by fd.
 * SIGTERM/SIGINT: every thread leaves its loop, every fd is closed and the process exits 0.
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
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (64 * 1024)
#define MAX_EVENTS 512
#define MAX_READS_PER_TURN 16      /* ET: reads per conn per turn (Netty's maxMessagesPerRead) */
#define BACKOFF_MIN_MS 5           /* EMFILE/ENFILE: first pause of the listener ... */
#define BACKOFF_MAX_MS 1000        /* ... doubling up to this */

/* conn_flags bits */
#define CONN_OPEN 1u      /* an accepted conn owns this fd (closed at shutdown if still set) */
#define CONN_DEFERRED 2u  /* ET: on its thread's deferred list (dedups the list) */
#define CONN_RDHUP 4u     /* ET: EPOLLRDHUP/HUP/ERR seen: a short read no longer ends the turn */

/* Per-connection state, indexed by fd (fds are process-wide, so one set of arrays serves every
 * thread: a given fd belongs to exactly one thread's epoll at a time). */
static char **pending_buf;     /* unsent bytes of a partial write (malloc'd lazily, BUF_SIZE) */
static uint32_t *pending_off;  /* first unsent byte */
static uint32_t *pending_len;  /* end of unsent bytes */
static uint8_t *conn_flags;    /* CONN_* */
static int max_fds;

static int edge_triggered;
static struct sockaddr_in listen_addr;
static int stop_fd = -1;        /* eventfd: written by the signal handler, watched by every loop */
static volatile sig_atomic_t stopping;

/* A growable list of fds (ET deferred conns). */
struct fd_list {
    int *fds;
    int n, cap;
};

/* One event loop thread. */
struct worker {
    int ep, lfd;
    char *buf;                 /* the thread's 64 KiB read buffer */
    struct fd_list deferred;   /* ET: conns cut short this turn, served after the next epoll_wait */
    struct fd_list serving;    /* ET: last turn's deferred conns, being served now */
    int listener_paused;       /* EMFILE/ENFILE: listener out of the epoll set until resume_ms */
    int backoff_ms;            /* current back-off step; 0 after a successful accept */
    int64_t resume_ms;         /* CLOCK_MONOTONIC ms at which the listener goes back in */
};

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

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* Closing the last reference to the socket also removes it from the epoll set (no fd is ever
 * dup'd here), so no EPOLL_CTL_DEL. Clearing CONN_DEFERRED makes a stale deferred-list entry a
 * no-op. pending_buf stays allocated for the next conn on this fd. */
static void close_conn(int fd) {
    pending_off[fd] = pending_len[fd] = 0;
    conn_flags[fd] = 0;
    close(fd);
}

/* LT only: the conn's interest set (EPOLLIN|EPOLLRDHUP while reading, EPOLLOUT while parked). */
static void set_events(int ep, int fd, uint32_t ev) {
    struct epoll_event e = {.events = ev, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e) < 0) die("epoll_ctl MOD");
}

static void fd_list_push(struct fd_list *l, int fd) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 256;
        int *fds = realloc(l->fds, (size_t)cap * sizeof *fds);
        if (!fds) die("realloc");
        l->fds = fds;
        l->cap = cap;
    }
    l->fds[l->n++] = fd;
}

/* Writes buf[0..n) to fd. Returns 0 when all went out, 1 when the rest was parked (backpressure:
 * the conn is not read until it is flushed), -1 when the conn died. */
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
            /* LT: wait for EPOLLOUT only. ET: EPOLLOUT is always registered; the EAGAIN armed
             * the socket's write-space wakeup, so an edge comes when there is room again. */
            if (!edge_triggered) set_events(ep, fd, EPOLLOUT);
            return 1;
        }
        return -1;
    }
    return 0;
}

/* Flushes a parked conn. Returns 0 when empty (LT: back to EPOLLIN), 1 when still blocked (wait
 * for the next EPOLLOUT), -1 when the conn died. */
static int flush_pending(int ep, int fd) {
    while (pending_off[fd] < pending_len[fd]) {
        ssize_t w = write(fd, pending_buf[fd] + pending_off[fd], pending_len[fd] - pending_off[fd]);
        if (w > 0) { pending_off[fd] += (uint32_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) return 1;
        return -1;
    }
    pending_off[fd] = pending_len[fd] = 0;
    if (!edge_triggered) set_events(ep, fd, EPOLLIN | EPOLLRDHUP);
    return 0;
}

/* LT: one read per wakeup (the next epoll_wait reports what is left).
 * Returns 0: keep the conn; -1: close it. */
static int read_lt(struct worker *w, int fd) {
    for (;;) {
        ssize_t r = read(fd, w->buf, BUF_SIZE);
        if (r > 0) return write_or_park(w->ep, fd, w->buf, (size_t)r) < 0 ? -1 : 0;
        if (r == 0) return -1;
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return 0;
        return -1;
    }
}

/* ET: no new edge comes for bytes already queued, so read until the receive queue is known to be
 * empty: EAGAIN, or a short read (n < BUF_SIZE). On Linux a short read of a TCP socket means
 * tcp_recvmsg found the queue empty, and data arriving later raises a new edge (nginx's
 * ngx_unix_recv clears rev->ready the same way). The exception is a pending EOF: the FIN's edge
 * (EPOLLRDHUP) may already have been consumed, so after one the loop reads on until read()
 * returns 0. Stops early on a partial write (bytes parked: no reading until flushed) and after
 * MAX_READS_PER_TURN reads, when the conn goes on the deferred list so that one busy conn cannot
 * starve the others. Returns 0: keep the conn; -1: close it. */
static int read_et(struct worker *w, int fd) {
    int reads = 0;
    while (reads < MAX_READS_PER_TURN) {
        ssize_t r = read(fd, w->buf, BUF_SIZE);
        if (r > 0) {
            reads++;
            int wr = write_or_park(w->ep, fd, w->buf, (size_t)r);
            if (wr != 0) return wr < 0 ? -1 : 0;
            if (r < BUF_SIZE && !(conn_flags[fd] & CONN_RDHUP)) return 0;
            continue;
        }
        if (r == 0) return -1;
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return 0;
        return -1;
    }
    /* Cut short with input possibly left: no edge will report it, so come back next turn. */
    if (!(conn_flags[fd] & CONN_DEFERRED)) {
        conn_flags[fd] |= CONN_DEFERRED;
        fd_list_push(&w->deferred, fd);
    }
    return 0;
}

/* ET: one epoll event for a conn. Returns 0: keep the conn; -1: close it. */
static int on_event_et(struct worker *w, int fd, uint32_t ev) {
    if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) conn_flags[fd] |= CONN_RDHUP;
    if (pending_len[fd] > 0) {
        /* Parked: an input edge alone is dropped (the read after the flush picks its bytes up);
         * write space (or an error, which the write reports) means flush. */
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return 0;
        int f = flush_pending(w->ep, fd);
        if (f != 0) return f < 0 ? -1 : 0;
        /* Fully flushed: read on now, since input edges that came meanwhile were consumed. */
        return read_et(w, fd);
    }
    /* Already on a deferred list: it is read when that list is served. */
    if (conn_flags[fd] & CONN_DEFERRED) return 0;
    /* A bare EPOLLOUT with nothing parked needs nothing. */
    if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return 0;
    return read_et(w, fd);
}

/* LT: one epoll event for a conn. Returns 0: keep the conn; -1: close it. */
static int on_event_lt(struct worker *w, int fd, uint32_t ev) {
    if (pending_len[fd] > 0) {
        /* parked: only EPOLLOUT is registered; errors show up as EPOLLERR/HUP or in write */
        return flush_pending(w->ep, fd) < 0 ? -1 : 0;
    }
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) return read_lt(w, fd);
    return 0;
}

/* ET: serves the conns deferred last turn. A conn closed since (flag cleared) is skipped; one cut
 * short again goes on the (now empty) deferred list for the next turn. */
static void serve_deferred(struct worker *w) {
    for (int i = 0; i < w->serving.n; i++) {
        int fd = w->serving.fds[i];
        if (!(conn_flags[fd] & CONN_DEFERRED)) continue;
        conn_flags[fd] &= (uint8_t)~CONN_DEFERRED;
        if (read_et(w, fd) < 0) close_conn(fd);
    }
    w->serving.n = 0;
}

/* EMFILE/ENFILE: the level-triggered listener would stay readable and epoll_wait would spin, so
 * take it out of the epoll set for a back-off step (5 ms, doubling to 1 s; reset by a successful
 * accept). One line per step. */
static void pause_listener(struct worker *w, int err) {
    if (epoll_ctl(w->ep, EPOLL_CTL_DEL, w->lfd, NULL) < 0) die("epoll_ctl DEL listener");
    w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (w->backoff_ms > BACKOFF_MAX_MS) w->backoff_ms = BACKOFF_MAX_MS;
    w->listener_paused = 1;
    w->resume_ms = now_ms() + w->backoff_ms;
    fprintf(stderr, "echo_server: accept4: %s; accepting again in %d ms\n", strerror(err),
            w->backoff_ms);
}

static void add_listener(struct worker *w) {
    struct epoll_event e = {.events = EPOLLIN, .data.fd = w->lfd};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->lfd, &e) < 0) die("epoll_ctl listener");
    w->listener_paused = 0;
}

static void accept_all(struct worker *w) {
    /* LT: read interest only; ET: everything, once, never modified. */
    uint32_t conn_events = edge_triggered ? EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET
                                          : EPOLLIN | EPOLLRDHUP;
    for (;;) {
        int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) pause_listener(w, errno);
            return; /* EAGAIN or another error: the listener stays registered */
        }
        w->backoff_ms = 0;
        if (fd >= max_fds) { close(fd); continue; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pending_off[fd] = pending_len[fd] = 0;
        conn_flags[fd] = CONN_OPEN;
        struct epoll_event e = {.events = conn_events, .data.fd = fd};
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &e) < 0) { close_conn(fd); continue; }
    }
}

/* epoll_wait's timeout: 0 while deferred conns wait, else until the listener resumes, else none. */
static int wait_timeout(const struct worker *w) {
    if (w->serving.n > 0) return 0;
    if (w->listener_paused) {
        int64_t left = w->resume_ms - now_ms();
        return left > 0 ? (int)left : 0;
    }
    return -1;
}

static void *loop(void *arg) {
    struct worker w = {.lfd = (int)(intptr_t)arg};
    w.ep = epoll_create1(EPOLL_CLOEXEC);
    if (w.ep < 0) die("epoll_create1");
    /* The listener is level-triggered in both modes and accept4 runs until EAGAIN either way. */
    add_listener(&w);
    struct epoll_event s = {.events = EPOLLIN, .data.fd = stop_fd};
    if (epoll_ctl(w.ep, EPOLL_CTL_ADD, stop_fd, &s) < 0) die("epoll_ctl eventfd");

    w.buf = malloc(BUF_SIZE);
    if (!w.buf) die("malloc");
    struct epoll_event evs[MAX_EVENTS];

    while (!stopping) {
        /* Last turn's deferred conns are served after this epoll_wait; conns cut short from now
         * on go on the fresh deferred list, for the next turn. */
        struct fd_list t = w.serving;
        w.serving = w.deferred;
        w.deferred = t;
        int n = epoll_wait(w.ep, evs, MAX_EVENTS, wait_timeout(&w));
        if (n < 0) {
            if (errno != EINTR) die("epoll_wait");
            n = 0;
        }
        if (w.listener_paused && now_ms() >= w.resume_ms) add_listener(&w);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            uint32_t ev = evs[i].events;
            if (fd == w.lfd) { accept_all(&w); continue; }
            if (fd == stop_fd) { stopping = 1; continue; }
            int rc = edge_triggered ? on_event_et(&w, fd, ev) : on_event_lt(&w, fd, ev);
            if (rc < 0) close_conn(fd);
        }
        serve_deferred(&w);
    }
    /* This thread's conns are closed by main once every thread has stopped. */
    close(w.lfd);
    close(w.ep);
    free(w.buf);
    free(w.deferred.fds);
    free(w.serving.fds);
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
    conn_flags = calloc((size_t)max_fds, sizeof *conn_flags);
    if (!pending_buf || !pending_off || !pending_len || !conn_flags) die("calloc");

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
    /* Close every connection still open (the threads closed their listeners and epoll fds). */
    for (int fd = 0; fd < max_fds; fd++) {
        if (conn_flags[fd] & CONN_OPEN) close(fd);
        free(pending_buf[fd]);
    }
    close(stop_fd);
    free(lfds);
    free(tids);
    return 0;
}
