/*
 * Writing to a socketpair whose peer is closed (SIGPIPE ignored): the
 * event callback gets exactly BEV_EVENT_WRITING|BEV_EVENT_ERROR (0x22)
 * with EVUTIL_SOCKET_ERROR() == EPIPE inside it, the write callback never
 * runs, EV_WRITE is disabled (get_enabled == 0 here, EV_READ never
 * having been enabled) and the unsent bytes stay in the output.  Enabling
 * EV_WRITE again retries and fails the same way.
 */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/util.h>
#include <sys/socket.h>
#include "check.h"

static int writes, events, err_seen;
static short what_seen;

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    writes++;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    err_seen = EVUTIL_SOCKET_ERROR();
    events++;
    what_seen = what;
}

static void pump(struct event_base *base, int n)
{
    while (n-- > 0)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    evutil_socket_t sp[2];

    test_begin("bev_write_epipe");
    signal(SIGPIPE, SIG_IGN);
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sp[0]) == 0);
    evutil_closesocket(sp[1]);
    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, sp[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, NULL, writecb, eventcb, NULL);

    CHECK_INT(bufferevent_write(b, "0123456789", 10), 0);
    CHECK_INT(events, 0);
    pump(base, 3);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_WRITING | BEV_EVENT_ERROR);
    CHECK_INT(what_seen, 0x22);
    CHECK_INT(err_seen, EPIPE);
    CHECK_INT(writes, 0);
    CHECK_INT(bufferevent_get_enabled(b), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 10);

    /* More writes while disabled just queue. */
    CHECK_INT(bufferevent_write(b, "ab", 2), 0);
    pump(base, 3);
    CHECK_INT(events, 1);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 12);

    CHECK_INT(bufferevent_enable(b, EV_WRITE), 0);
    pump(base, 3);
    CHECK_INT(events, 2);
    CHECK_INT(what_seen, BEV_EVENT_WRITING | BEV_EVENT_ERROR);
    CHECK_INT(err_seen, EPIPE);
    CHECK_INT(bufferevent_get_enabled(b), 0);
    CHECK_INT(writes, 0);

    bufferevent_free(b);
    event_base_free(base);
    return test_end();
}
