/*
 * Load generator for the echo benchmark (issue 10), on raw epoll: N
 * connections to 127.0.0.1:PORT (TCP_NODELAY), each with exactly one
 * 64-byte message in flight (send, wait for the whole echo, send again).
 * After a 0.5 s warm-up it counts echoes for SECONDS and prints one line
 * "ECHOES_PER_S TOTAL_ECHOES": echoes in the measured window divided by
 * its length, then every echo since the first message (warm-up included;
 * what the server did, give or take the N in flight).
 * With IDLE (argv[4] = 1) it instead opens N connections, sending one
 * message on each right after its connect, waits for every echo, prints
 * "ready N" and holds them until stdin closes (for the server's idle RSS).
 * It never hangs: alarm(SECONDS + 60) kills it, and 5 s without any echo
 * is reported as a stall (exit 1).  A connection the server closes, a
 * failed connect or write, or a wrong echo is reported on stderr (exit 1).
 * usage: echo_load PORT N SECONDS [IDLE]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 64
#define WARMUP 0.5

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int port, n, i, ep, idle, quiet = 0;
    double secs, t0 = 0, tend = 0;
    int *fds, *got;
    long long echoes = 0, total = 0;
    char msg[MSG], buf[4096];
    struct sockaddr_in sin;
    struct epoll_event ev, evs[1024];

    if (argc < 4) {
        fprintf(stderr, "usage: echo_load PORT N SECONDS [IDLE]\n");
        return 2;
    }
    port = atoi(argv[1]);
    n = atoi(argv[2]);
    secs = atof(argv[3]);
    idle = argc > 4 && atoi(argv[4]);
    if (n <= 0 || secs <= 0) {
        fprintf(stderr, "echo_load: bad N or SECONDS\n");
        return 2;
    }
    alarm((unsigned)(secs + 60));
    for (i = 0; i < MSG; i++)
        msg[i] = (char)('a' + i % 26);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons(port);
    fds = calloc(n, sizeof *fds);
    got = calloc(n, sizeof *got);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!fds || !got || ep < 0) {
        perror("echo_load: setup");
        return 1;
    }
    for (i = 0; i < n; i++) {
        int one = 1;
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[i] < 0) {
            fprintf(stderr, "echo_load: socket %d of %d: %s\n", i, n, strerror(errno));
            return 1;
        }
        if (connect(fds[i], (struct sockaddr *)&sin, sizeof sin) < 0) {
            fprintf(stderr, "echo_load: connect %d of %d: %s\n", i, n, strerror(errno));
            return 1;
        }
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ev.events = EPOLLIN;
        ev.data.u32 = (unsigned)i;
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
        /* Idle: talk at once, as a client does (not all 10,000 in one burst,
         * which would measure the server's burst, not its idle cost). */
        if (idle && write(fds[i], msg, MSG) != MSG) {
            fprintf(stderr, "echo_load: write on %d: %s\n", i, strerror(errno));
            return 1;
        }
    }
    /* Everyone connected: the clock starts with the first messages. */
    for (i = 0; i < n && !idle; i++)
        if (write(fds[i], msg, MSG) != MSG) {
            fprintf(stderr, "echo_load: write on %d: %s\n", i, strerror(errno));
            return 1;
        }
    t0 = now() + WARMUP;
    for (;;) {
        int k = epoll_wait(ep, evs, 1024, 1000);
        double t = now();
        if (k < 0) {
            if (errno == EINTR)
                continue;
            perror("echo_load: epoll_wait");
            return 1;
        }
        if (k == 0) {
            if (++quiet >= 5) {
                fprintf(stderr, "echo_load: stalled: no echo for 5 s (%lld echoes so far, "
                        "%d connections)\n", total, n);
                return 1;
            }
            continue;
        }
        quiet = 0;
        for (i = 0; i < k; i++) {
            int c = (int)evs[i].data.u32;
            ssize_t r = read(fds[c], buf, sizeof buf);
            if (r <= 0) {
                fprintf(stderr, "echo_load: connection %d %s after %lld echoes\n", c,
                        r == 0 ? "closed by the server" : strerror(errno), total);
                return 1;
            }
            if (got[c] + r > MSG || memcmp(buf, msg + got[c], (size_t)r) != 0) {
                fprintf(stderr, "echo_load: connection %d: wrong echo (%d + %zd bytes)\n",
                        c, got[c], r);
                return 1;
            }
            got[c] += (int)r;
            if (got[c] < MSG)
                continue;
            got[c] = 0;
            total++;
            if (idle)
                continue;
            if (t >= t0)
                echoes++;
            if (write(fds[c], msg, MSG) != MSG) {
                fprintf(stderr, "echo_load: write on %d: %s\n", c, strerror(errno));
                return 1;
            }
        }
        if (idle && total >= n) {
            printf("ready %d\n", n);
            fflush(stdout);
            alarm(0);
            alarm((unsigned)(secs + 60));
            while (read(0, buf, sizeof buf) > 0)
                ;
            return 0;
        }
        if (!idle && t >= t0 + secs) {
            tend = t;
            break;
        }
    }
    printf("%.0f %lld\n", echoes / (tend - t0), total);
    return 0;
}
