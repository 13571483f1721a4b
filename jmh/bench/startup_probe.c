/*
 * startup_probe.c — time from exec of a server to its first echoed byte.
 *
 * usage: startup_probe -p PORT [-a ADDR] [-T TIMEOUT_S] -- CMD [ARGS...]
 *        startup_probe -W -p PORT [-a ADDR] [-T TIMEOUT_S]     (wait only: no command)
 *
 * Takes the time, fork()s and exec()s CMD (stdout/stderr to /dev/null unless -v), then every
 * ~200 us tries connect() to ADDR:PORT (127.0.0.1 by default); once connected it sends one byte
 * and waits (up to 1 s per attempt) for it to come back. Prints "startup_ms=X.XXX" — the time from
 * just before the fork to the echoed byte — then SIGTERMs the child (SIGKILL after 5 s) and reaps
 * it. Exit 0 on success, 1 if the child died or TIMEOUT_S (default 30) passed first.
 * With -W it only waits for ADDR:PORT to echo (used by run.sh to know a server is ready).
 * build: gcc -O2 -Wall -Wextra -Werror -o startup_probe startup_probe.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* One attempt: 1 = a byte came back, 0 = not yet (refused, reset, no echo). */
static int try_echo(const struct sockaddr_in *sa) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    int ok = 0;
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char b = 'x';
        if (write(fd, &b, 1) == 1) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            if (poll(&p, 1, 1000) == 1) {
                char r;
                ok = read(fd, &r, 1) == 1 && r == 'x';
            }
        }
    }
    close(fd);
    return ok;
}

static void stop_child(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 5000; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
        usleep(1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv) {
    int port = 0, wait_only = 0, verbose = 0, opt;
    double timeout_s = 30;
    const char *addr = "127.0.0.1";
    while ((opt = getopt(argc, argv, "+p:a:T:Wv")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'a': addr = optarg; break;
        case 'T': timeout_s = atof(optarg); break;
        case 'W': wait_only = 1; break;
        case 'v': verbose = 1; break;
        default: goto usage;
        }
    }
    if (port < 1 || port > 65535 || (!wait_only && optind >= argc)) goto usage;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) goto usage;
    signal(SIGPIPE, SIG_IGN);

    double t0 = now_ms();
    pid_t pid = 0;
    if (!wait_only) {
        pid = fork();
        if (pid < 0) { perror("startup_probe: fork"); return 1; }
        if (pid == 0) {
            if (!verbose) {
                int dn = open("/dev/null", O_RDWR);
                if (dn >= 0) { dup2(dn, 1); dup2(dn, 2); }
            }
            execvp(argv[optind], argv + optind);
            perror("startup_probe: exec");
            _exit(127);
        }
    }
    for (;;) {
        if (try_echo(&sa)) break;
        if (pid > 0) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                fprintf(stderr, "startup_probe: %s exited (status %d) before echoing\n", argv[optind], st);
                return 1;
            }
        }
        if (now_ms() - t0 > timeout_s * 1e3) {
            fprintf(stderr, "startup_probe: no echo on %s:%d within %.0f s\n", addr, port, timeout_s);
            stop_child(pid);
            return 1;
        }
        usleep(200);
    }
    double ms = now_ms() - t0;
    printf("startup_ms=%.3f\n", ms);
    fflush(stdout);
    stop_child(pid);
    return 0;
usage:
    fprintf(stderr, "usage: startup_probe -p PORT [-a ADDR] [-T TIMEOUT_S] [-v] -- CMD [ARGS...]\n"
                    "       startup_probe -W -p PORT [-a ADDR] [-T TIMEOUT_S]\n");
    return 2;
}
