/*
 * Load generator for the echo benchmark: N connections to 127.0.0.1:PORT,
 * each with one 64-byte message in flight (send, wait for the whole echo,
 * send again), on raw epoll.  After a 0.5 s warm-up it counts echoes for
 * SECONDS and prints "echoes/s".  With IDLE set (argv[4] = 1) it instead
 * opens N connections, does one echo on each, prints "ready" and holds
 * them until stdin closes (for the server's idle RSS).
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
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MSG 64

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int port, n, i, ep, idle;
    double secs, start, t0 = 0;
    int *fds, *got;
    long long echoes = 0;
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
    alarm((unsigned)(secs + 30));
    memset(msg, 'm', sizeof msg);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons(port);
    fds = calloc(n, sizeof *fds);
    got = calloc(n, sizeof *got);
    ep = epoll_create1(0);
    for (i = 0; i < n; i++) {
        int one = 1;
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sin, sizeof sin) < 0) {
            perror("connect");
            return 1;
        }
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ev.events = EPOLLIN;
        ev.data.u32 = (unsigned)i;
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
        if (write(fds[i], msg, MSG) != MSG) {
            perror("write");
            return 1;
        }
    }
    start = now();
    if (!idle)
        t0 = start + 0.5;
    for (;;) {
        int k = epoll_wait(ep, evs, 1024, 1000);
        double t = now();
        if (k < 0 && errno != EINTR) {
            perror("epoll_wait");
            return 1;
        }
        for (i = 0; i < k; i++) {
            int c = (int)evs[i].data.u32;
            ssize_t r = read(fds[c], buf, sizeof buf);
            if (r <= 0) {
                fprintf(stderr, "connection %d closed\n", c);
                return 1;
            }
            got[c] += (int)r;
            while (got[c] >= MSG) {
                got[c] -= MSG;
                if (idle) {
                    echoes++;
                    continue;
                }
                if (t >= t0)
                    echoes++;
                if (write(fds[c], msg, MSG) != MSG) {
                    perror("write");
                    return 1;
                }
            }
        }
        if (idle && echoes >= n) {
            printf("ready\n");
            fflush(stdout);
            while (read(0, buf, sizeof buf) > 0)
                ;
            return 0;
        }
        if (!idle && t >= t0 + secs)
            break;
    }
    printf("%.0f\n", echoes / secs);
    return 0;
}
