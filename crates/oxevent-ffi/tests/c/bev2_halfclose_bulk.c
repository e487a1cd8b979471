/*
 * A TCP peer that half-closes (shutdown(SHUT_WR)) while a socket
 * bufferevent still has a large output queued (small socket buffers keep
 * most of it in the output).  libevent 2.1.12: the peer's last bytes reach
 * the read callback, then the event callback gets exactly
 * BEV_EVENT_READING|BEV_EVENT_EOF and EV_READ alone is disabled; writing
 * goes on: all 1 MB reaches the peer intact and in order as it reads, the
 * write callback runs exactly once (when the output is empty, the low
 * watermark being 0), and no other event callback runs.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include "check.h"

#define TOTAL (1 << 20)

static int reads, writes, events;
static short what_seen;
static size_t out_at_eof;
static char got[16];
static size_t ngot;
static unsigned char *big;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    reads++;
    ngot += bufferevent_read(b, got + ngot, sizeof got - 1 - ngot);
}

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    writes++;
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 0);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(arg);
    events++;
    what_seen = what;
    out_at_eof = evbuffer_get_length(bufferevent_get_output(b));
    CHECK_INT(bufferevent_get_enabled(b), EV_WRITE);
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int l, cli, srv, i, small = 8192, bad = 0;
    size_t total = 0;
    long long t0;
    unsigned char rbuf[65536];

    test_begin("bev2_halfclose_bulk");
    big = malloc(TOTAL);
    REQUIRE(big != NULL);
    for (i = 0; i < TOTAL; i++)
        big[i] = (unsigned char)(i % 251);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(l >= 0);
    REQUIRE(bind(l, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(listen(l, 4) == 0);
    REQUIRE(getsockname(l, (struct sockaddr *)&sin, &len) == 0);
    cli = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(cli >= 0);
    setsockopt(cli, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    REQUIRE(connect(cli, (struct sockaddr *)&sin, sizeof sin) == 0);
    srv = accept(l, NULL, NULL);
    REQUIRE(srv >= 0);
    setsockopt(srv, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    REQUIRE(evutil_make_socket_nonblocking(srv) == 0);
    REQUIRE(evutil_make_socket_nonblocking(cli) == 0);

    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, srv, BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, readcb, writecb, eventcb, NULL);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    CHECK_INT(bufferevent_write(b, big, TOTAL), 0);

    REQUIRE(write_all(cli, "bye", 3) == 0);
    REQUIRE(shutdown(cli, SHUT_WR) == 0);
    t0 = now_ms();
    while (events == 0 && now_ms() - t0 < 2000)
        event_base_loop(base, EVLOOP_ONCE);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_READING | BEV_EVENT_EOF);
    CHECK_INT(reads, 1);
    got[ngot] = '\0';
    CHECK_STR(got, "bye");
    CHECK(out_at_eof > 0);
    CHECK_INT(writes, 0);

    /* The peer reads everything while the loop keeps writing. */
    t0 = now_ms();
    while (total < TOTAL && now_ms() - t0 < 5000) {
        ssize_t n;
        struct pollfd p;
        event_base_loop(base, EVLOOP_NONBLOCK);
        n = recv(cli, rbuf, sizeof rbuf, 0);
        if (n > 0) {
            ssize_t k;
            for (k = 0; k < n; k++)
                if (rbuf[k] != (unsigned char)((total + (size_t)k) % 251))
                    bad++;
            total += (size_t)n;
            continue;
        }
        if (n == 0)
            break;
        p.fd = cli;
        p.events = POLLIN;
        poll(&p, 1, 5);
    }
    for (i = 0; i < 3; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(total, TOTAL);
    CHECK_INT(bad, 0);
    CHECK_INT(writes, 1);
    CHECK_INT(events, 1);
    CHECK_INT(bufferevent_get_enabled(b), EV_WRITE);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 0);

    bufferevent_free(b);
    event_base_loop(base, EVLOOP_NONBLOCK);
    close(cli);
    close(l);
    event_base_free(base);
    free(big);
    return test_end();
}
