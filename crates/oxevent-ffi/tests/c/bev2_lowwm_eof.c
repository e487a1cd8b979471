/*
 * A read low watermark and the peer's EOF on a socket bufferevent.
 * libevent 2.1.12, low watermark 10: 5 bytes are read into the input but
 * run no read callback; 7 more (12) run it once; after the callback has
 * emptied the input, 3 more bytes and the peer's close run no read
 * callback at all: the event callback gets exactly
 * BEV_EVENT_READING|BEV_EVENT_EOF with the 3 bytes still in the input,
 * and EV_READ is disabled.  Enabling EV_READ again reads EOF again (a
 * second READING|EOF), still without a read callback.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static int reads, events;
static short what_seen;
static size_t len_in_cb, len_at_event;

static void readcb(struct bufferevent *b, void *arg)
{
    struct evbuffer *in = bufferevent_get_input(b);
    UNUSED(arg);
    reads++;
    len_in_cb = evbuffer_get_length(in);
    evbuffer_drain(in, len_in_cb);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(arg);
    events++;
    what_seen = what;
    len_at_event = evbuffer_get_length(bufferevent_get_input(b));
}

static void spin(struct event_base *base)
{
    int i;
    for (i = 0; i < 5; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

static struct bufferevent *make(struct event_base *base, int sv[2])
{
    struct bufferevent *b;
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sv[0]) == 0);
    b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, readcb, NULL, eventcb, NULL);
    reads = events = 0;
    what_seen = 0;
    return b;
}

int main(void)
{
    int sv[2];
    struct event_base *base;
    struct bufferevent *b;
    struct evbuffer *in;

    test_begin("bev2_lowwm_eof");
    base = event_base_new();
    REQUIRE(base != NULL);

    b = make(base, sv);
    in = bufferevent_get_input(b);
    bufferevent_setwatermark(b, EV_READ, 10, 0);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    REQUIRE(write_all(sv[1], "12345", 5) == 0);
    spin(base);
    CHECK_INT(reads, 0);
    CHECK_INT(evbuffer_get_length(in), 5);
    REQUIRE(write_all(sv[1], "6789abc", 7) == 0);
    spin(base);
    CHECK_INT(reads, 1);
    CHECK_INT(len_in_cb, 12);
    CHECK_INT(evbuffer_get_length(in), 0);
    REQUIRE(write_all(sv[1], "xyz", 3) == 0);
    close(sv[1]);
    spin(base);
    CHECK_INT(reads, 1);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_READING | BEV_EVENT_EOF);
    CHECK_INT(len_at_event, 3);
    CHECK_INT(evbuffer_get_length(in), 3);
    CHECK_INT(bufferevent_get_enabled(b), EV_WRITE);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    spin(base);
    CHECK_INT(reads, 1);
    CHECK_INT(events, 2);
    CHECK_INT(what_seen, BEV_EVENT_READING | BEV_EVENT_EOF);
    CHECK_INT(len_at_event, 3);
    bufferevent_free(b);

    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_free(base);
    return test_end();
}
