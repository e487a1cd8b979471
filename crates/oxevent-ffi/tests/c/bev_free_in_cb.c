/*
 * A socket bufferevent (BEV_OPT_CLOSE_ON_FREE) freed inside its own
 * callbacks: inside the read callback (the peer's later EOF is never
 * reported), inside the event callback on EOF, and inside the write
 * callback once the output drained.  Each callback runs exactly once, no
 * other callback of that bufferevent runs afterwards, and once the loop
 * has run out of events (dispatch returns 1: nothing is left behind) all
 * three fds are closed.
 */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/util.h>
#include <fcntl.h>
#include <sys/socket.h>
#include "check.h"

static int r_reads, r_events, e_events, e_reads, w_writes, w_events;
static short e_what;

static void r_readcb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    r_reads++;
    bufferevent_free(b);
}

static void r_eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(what);
    UNUSED(arg);
    r_events++;
}

static void e_readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    e_reads++;
}

static void e_eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(arg);
    e_events++;
    e_what = what;
    bufferevent_free(b);
}

static void w_writecb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    w_writes++;
    bufferevent_free(b);
}

static void w_eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(what);
    UNUSED(arg);
    w_events++;
}

static int is_closed(evutil_socket_t fd)
{
    errno = 0;
    return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *r, *e, *w;
    evutil_socket_t rp[2], ep[2], wp[2];
    char buf[16];

    test_begin("bev_free_in_cb");
    signal(SIGPIPE, SIG_IGN);
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, rp) == 0);
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, ep) == 0);
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, wp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    r = bufferevent_socket_new(base, rp[0], BEV_OPT_CLOSE_ON_FREE);
    e = bufferevent_socket_new(base, ep[0], BEV_OPT_CLOSE_ON_FREE);
    w = bufferevent_socket_new(base, wp[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(r && e && w);
    bufferevent_setcb(r, r_readcb, NULL, r_eventcb, NULL);
    bufferevent_setcb(e, e_readcb, NULL, e_eventcb, NULL);
    bufferevent_setcb(w, NULL, w_writecb, w_eventcb, NULL);
    CHECK_INT(bufferevent_enable(r, EV_READ), 0);
    CHECK_INT(bufferevent_enable(e, EV_READ), 0);

    REQUIRE(write_all(rp[1], "data", 4) == 0);
    evutil_closesocket(rp[1]);
    REQUIRE(write_all(ep[1], "bye", 3) == 0);
    evutil_closesocket(ep[1]);
    CHECK_INT(bufferevent_write(w, "payload", 7), 0);

    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(r_reads, 1);
    CHECK_INT(r_events, 0);
    CHECK_INT(e_reads, 1);
    CHECK_INT(e_events, 1);
    CHECK_INT(e_what, BEV_EVENT_READING | BEV_EVENT_EOF);
    CHECK_INT(w_writes, 1);
    CHECK_INT(w_events, 0);
    CHECK(is_closed(rp[0]));
    CHECK(is_closed(ep[0]));
    CHECK(is_closed(wp[0]));
    memset(buf, 0, sizeof buf);
    CHECK_INT(recv(wp[1], buf, sizeof buf, 0), 7);
    CHECK_STR(buf, "payload");
    CHECK_INT(recv(wp[1], buf, sizeof buf, 0), 0);

    event_base_free(base);
    evutil_closesocket(wp[1]);
    return test_end();
}
