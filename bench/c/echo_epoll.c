/*
 * The echo server of issue 10 on raw epoll, the floor for
 * bench/c/echo_server.c: a listening socket on 127.0.0.1 (port argv[1], 0:
 * any; the port is printed on stdout's first line), nonblocking sockets,
 * level-triggered; a readable connection is read once (up to 4096 bytes)
 * and what came is written straight back.  What the socket does not take
 * waits in a per-connection buffer for EPOLLOUT (never with one 64-byte
 * message in flight).  SIGTERM stops it cleanly.
 * usage: echo_epoll [PORT]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 4096

struct conn {
    char *pend;          /* unwritten bytes (NULL: none) */
    size_t off, len;
};

static volatile sig_atomic_t stop;
static struct conn *conns;
static int nconns;
static int ep;

static void on_term(int s)
{
    (void)s;
    stop = 1;
}

static void drop_conn(int fd)
{
    if (fd < nconns) {
        free(conns[fd].pend);
        memset(&conns[fd], 0, sizeof conns[fd]);
    }
    close(fd);   /* also leaves the epoll set */
}

static int grow(int fd)
{
    if (fd < nconns)
        return 0;
    int n = nconns ? nconns : 1024;
    while (n <= fd)
        n *= 2;
    struct conn *c = realloc(conns, n * sizeof *c);
    if (!c)
        return -1;
    memset(c + nconns, 0, (n - nconns) * sizeof *c);
    conns = c;
    nconns = n;
    return 0;
}

/* Queues buf[0..len) after a short write and waits for EPOLLOUT. */
static int keep(int fd, const char *buf, size_t len)
{
    struct conn *c = &conns[fd];
    char *p = realloc(c->pend, c->len - c->off + len);
    struct epoll_event ev;
    if (!p)
        return -1;
    memmove(p, p + c->off, c->len - c->off);
    c->len -= c->off;
    c->off = 0;
    memcpy(p + c->len, buf, len);
    c->len += len;
    c->pend = p;
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.fd = fd;
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void readable(int fd)
{
    char buf[BUF];
    ssize_t r = read(fd, buf, sizeof buf), w;
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        drop_conn(fd);
        return;
    }
    if (r < 0)
        return;
    if (conns[fd].pend) {   /* keep the order behind what waits */
        if (keep(fd, buf, (size_t)r) < 0)
            drop_conn(fd);
        return;
    }
    w = write(fd, buf, (size_t)r);
    if (w < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            drop_conn(fd);
            return;
        }
        w = 0;
    }
    if (w < r && keep(fd, buf + w, (size_t)(r - w)) < 0)
        drop_conn(fd);
}

/* Returns -1 when the connection was closed. */
static int writable(int fd)
{
    struct conn *c = &conns[fd];
    struct epoll_event ev;
    ssize_t w;
    if (!c->pend)
        return 0;
    w = write(fd, c->pend + c->off, c->len - c->off);
    if (w < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            drop_conn(fd);
            return -1;
        }
        return 0;
    }
    c->off += (size_t)w;
    if (c->off < c->len)
        return 0;
    free(c->pend);
    c->pend = NULL;
    c->off = c->len = 0;
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    struct epoll_event ev, evs[256];
    struct sigaction sa;
    int lfd, one = 1, i;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);   /* no SA_RESTART: epoll_wait gets EINTR */
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons(argc > 1 ? atoi(argv[1]) : 0);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(lfd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        listen(lfd, 4096) < 0) {
        perror("listen");
        return 1;
    }
    getsockname(lfd, (struct sockaddr *)&sin, &sl);
    printf("%d\n", ntohs(sin.sin_port));
    fflush(stdout);
    ep = epoll_create1(EPOLL_CLOEXEC);
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    while (!stop) {
        int k = epoll_wait(ep, evs, 256, -1);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            perror("epoll_wait");
            return 1;
        }
        for (i = 0; i < k; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0)
                        break;   /* EAGAIN, or out of descriptors: next turn */
                    if (grow(c) < 0) {
                        close(c);
                        continue;
                    }
                    ev.events = EPOLLIN;
                    ev.data.fd = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                }
                continue;
            }
            if ((evs[i].events & EPOLLOUT) && writable(fd) < 0)
                continue;
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                readable(fd);
        }
    }
    close(ep);
    close(lfd);
    return 0;
}
