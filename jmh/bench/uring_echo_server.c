/*
 * uring_echo_server.c — the C io_uring yardstick for ffm-echo's `--io io_uring` (bench only: it
 * links liburing, which the product never does).
 *
 * The same design as ffm-echo's io_uring backend, written the way liburing's examples do it:
 *   - one thread; a ring set up with SINGLE_ISSUER|DEFER_TASKRUN|COOP_TASKRUN|SUBMIT_ALL (falling
 *     back to fewer flags on older kernels);
 *   - one multishot accept (SOCK_NONBLOCK|SOCK_CLOEXEC, TCP_NODELAY on each connection);
 *   - one multishot recv per connection into a provided-buffer ring of 1024 × 16 KiB;
 *   - a send of exactly the received bytes from the same buffer, short sends continued, one send
 *     in flight per connection (later buffers queue behind it); a buffer returns to the ring when
 *     its send completes;
 *   - backpressure: a connection holding 8 unsent buffers has its recv cancelled until its queue
 *     is half drained; a recv that ends with ENOBUFS is re-armed once buffers come back;
 *   - one io_uring_submit_and_wait per turn carries the turn's sends and reaps what completed.
 * SIGTERM/SIGINT: the loop ends, every fd is closed, the ring freed, exit 0.
 *
 * usage: uring_echo_server [-p PORT] [-a ADDR]
 * build: gcc -O2 -Wall -Wextra -Werror -o uring_echo_server uring_echo_server.c -luring
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define RING_ENTRIES 4096
#define BUFFERS 1024
#define BUFFER_SIZE (16 * 1024)
#define GROUP 0
#define MAX_QUEUED 8

enum { K_ACCEPT = 1, K_RECV, K_SEND, K_CANCEL };
#define UD(kind, fd) (((uint64_t)(kind) << 32) | (uint32_t)(fd))

/* per-connection state bits */
#define OPEN 1u
#define RECEIVING 2u
#define SENDING 4u
#define EOFED 8u
#define STARVED 16u
#define CANCELLING 32u
#define FAILED 64u

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *buffers;
static int nfd;
static uint32_t *state;
static int *qhead, *qtail, *queued, *sent;
static int next_buf[BUFFERS], length[BUFFERS];
static int *starved, nstarved, recycled, listen_fd;
static volatile sig_atomic_t stop;

static void on_signal(int sig) { (void)sig; stop = 1; }

static struct io_uring_sqe *sqe(void) {
    struct io_uring_sqe *s = io_uring_get_sqe(&ring);
    if (!s) {
        io_uring_submit(&ring);
        s = io_uring_get_sqe(&ring);
    }
    if (!s) { fprintf(stderr, "uring_echo_server: no SQE\n"); exit(1); }
    return s;
}

static void arm_accept(void) {
    struct io_uring_sqe *s = sqe();
    io_uring_prep_multishot_accept(s, listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(s, UD(K_ACCEPT, listen_fd));
}

static void arm_recv(int fd) {
    struct io_uring_sqe *s = sqe();
    io_uring_prep_recv_multishot(s, fd, NULL, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = GROUP;
    io_uring_sqe_set_data64(s, UD(K_RECV, fd));
    state[fd] = (state[fd] | RECEIVING) & ~(STARVED | CANCELLING);
}

static void cancel_recv(int fd) {
    struct io_uring_sqe *s = sqe();
    io_uring_prep_cancel64(s, UD(K_RECV, fd), 0);
    io_uring_sqe_set_data64(s, UD(K_CANCEL, fd));
    state[fd] |= CANCELLING;
}

static void recycle(int bid) {
    io_uring_buf_ring_add(br, buffers + (size_t)bid * BUFFER_SIZE, BUFFER_SIZE, bid, io_uring_buf_ring_mask(BUFFERS), recycled);
    recycled++;
}

static void send_head(int fd) {
    int bid = qhead[fd];
    struct io_uring_sqe *s = sqe();
    io_uring_prep_send(s, fd, buffers + (size_t)bid * BUFFER_SIZE + sent[fd], length[bid] - sent[fd], MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, UD(K_SEND, fd));
    state[fd] |= SENDING;
}

static void dequeue(int fd) {
    int bid = qhead[fd];
    qhead[fd] = next_buf[bid];
    if (qhead[fd] < 0) qtail[fd] = -1;
    queued[fd]--;
    sent[fd] = 0;
}

static void drop_queue(int fd) {
    if (state[fd] & SENDING) return;
    while (queued[fd] > 0) { int bid = qhead[fd]; dequeue(fd); recycle(bid); }
}

static void close_conn(int fd) {
    drop_queue(fd);
    state[fd] = 0;
    close(fd);
}

static void settle(int fd) {
    uint32_t s = state[fd];
    if ((s & (OPEN | RECEIVING | CANCELLING)) != OPEN) return;
    if (s & EOFED) {
        if (!(s & SENDING) && queued[fd] == 0) close_conn(fd);
    } else if (!(s & STARVED) && queued[fd] <= MAX_QUEUED / 2) {
        arm_recv(fd);
    }
}

static void fail(int fd) {
    state[fd] |= FAILED | EOFED;
    drop_queue(fd);
}

static void on_recv(int fd, int res, unsigned flags) {
    if (!(flags & IORING_CQE_F_MORE)) state[fd] &= ~(RECEIVING | CANCELLING);
    if (res > 0 && (state[fd] & FAILED)) {
        recycle(flags >> IORING_CQE_BUFFER_SHIFT);
    } else if (res > 0) {
        int bid = flags >> IORING_CQE_BUFFER_SHIFT;
        length[bid] = res;
        next_buf[bid] = -1;
        if (qtail[fd] < 0) qhead[fd] = bid; else next_buf[qtail[fd]] = bid;
        qtail[fd] = bid;
        queued[fd]++;
        if (!(state[fd] & (SENDING | FAILED))) send_head(fd);
        if (queued[fd] >= MAX_QUEUED && (state[fd] & (RECEIVING | CANCELLING)) == RECEIVING) cancel_recv(fd);
    } else if (res == 0) {
        state[fd] |= EOFED;
    } else if (res == -ENOBUFS) {
        state[fd] |= STARVED;
        starved[nstarved++] = fd;
    } else if (res != -ECANCELED) {
        fail(fd);
    }
    settle(fd);
}

static void on_send(int fd, int res) {
    state[fd] &= ~SENDING;
    if (res < 0) {
        fail(fd);
        if ((state[fd] & (RECEIVING | CANCELLING)) == RECEIVING) cancel_recv(fd);
    } else {
        int bid = qhead[fd];
        sent[fd] += res;
        if (sent[fd] == length[bid]) { dequeue(fd); recycle(bid); }
        if (queued[fd] > 0) send_head(fd);
    }
    settle(fd);
}

static void on_accept(int res, unsigned flags) {
    if (res >= 0) {
        if (res >= nfd) { close(res); }
        else {
            int one = 1;
            setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            state[res] = OPEN; qhead[res] = qtail[res] = -1; queued[res] = sent[res] = 0;
            arm_recv(res);
        }
    }
    if (!(flags & IORING_CQE_F_MORE) && !stop) arm_accept(); /* EMFILE etc.: try again next turn */
}

int main(int argc, char **argv) {
    int port = 10020, opt;
    const char *addr = "127.0.0.1";
    while ((opt = getopt(argc, argv, "p:a:")) != -1) {
        if (opt == 'p') port = atoi(optarg);
        else if (opt == 'a') addr = optarg;
        else { fprintf(stderr, "usage: uring_echo_server [-p PORT] [-a ADDR]\n"); return 2; }
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    nfd = rl.rlim_cur > 1 << 20 ? 1 << 20 : (int)rl.rlim_cur;
    state = calloc(nfd, sizeof *state); qhead = calloc(nfd, sizeof *qhead); qtail = calloc(nfd, sizeof *qtail);
    queued = calloc(nfd, sizeof *queued); sent = calloc(nfd, sizeof *sent); starved = calloc(nfd, sizeof *starved);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, addr, &sin.sin_addr);
    if (bind(listen_fd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(listen_fd, 4096) < 0) {
        perror("uring_echo_server: bind/listen"); return 1;
    }

    unsigned flag_sets[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        0,
    };
    int r = -EINVAL;
    for (size_t i = 0; i < sizeof flag_sets / sizeof *flag_sets && r == -EINVAL; i++) {
        r = io_uring_queue_init(RING_ENTRIES, &ring, flag_sets[i]);
    }
    if (r < 0) { fprintf(stderr, "uring_echo_server: io_uring_queue_init: %s\n", strerror(-r)); return 1; }

    br = mmap(NULL, BUFFERS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    buffers = mmap(NULL, (size_t)BUFFERS * BUFFER_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (br == MAP_FAILED || buffers == MAP_FAILED) { perror("uring_echo_server: mmap"); return 1; }
    struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)br, .ring_entries = BUFFERS, .bgid = GROUP};
    if ((r = io_uring_register_buf_ring(&ring, &reg, 0)) < 0) {
        fprintf(stderr, "uring_echo_server: io_uring_register_buf_ring: %s\n", strerror(-r)); return 1;
    }
    io_uring_buf_ring_init(br);
    for (int bid = 0; bid < BUFFERS; bid++) recycle(bid);
    io_uring_buf_ring_advance(br, recycled);
    recycled = 0;
    arm_accept();

    while (!stop) {
        r = io_uring_submit_and_wait(&ring, 1);
        if (r < 0 && r != -EINTR && r != -EBUSY && r != -EAGAIN) { fprintf(stderr, "uring_echo_server: submit: %s\n", strerror(-r)); break; }
        struct io_uring_cqe *cqe;
        unsigned head, n = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            int kind = (int)(cqe->user_data >> 32), fd = (int)(uint32_t)cqe->user_data;
            if (kind == K_ACCEPT) on_accept(cqe->res, cqe->flags);
            else if (kind == K_RECV) on_recv(fd, cqe->res, cqe->flags);
            else if (kind == K_SEND) on_send(fd, cqe->res);
            n++;
        }
        io_uring_cq_advance(&ring, n);
        if (recycled) {
            io_uring_buf_ring_advance(br, recycled);
            recycled = 0;
            int m = nstarved;
            nstarved = 0;
            for (int i = 0; i < m; i++) { state[starved[i]] &= ~STARVED; settle(starved[i]); }
        }
    }
    for (int fd = 0; fd < nfd; fd++) if (state[fd] & OPEN) close(fd);
    close(listen_fd);
    io_uring_queue_exit(&ring);
    return 0;
}
