/*
 * A pair's receiver with a read high watermark of 10: the sender's 25
 * bytes move 10 at a time; the other 15 wait in the sender's output until
 * the receiver drains its input, then move within the mark again.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

int main(void)
{
    struct event_base *base;
    struct bufferevent *p[2];
    struct evbuffer *in, *out;

    test_begin("bevpair_highwater");
    base = event_base_new();
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    bufferevent_setwatermark(p[1], EV_READ, 0, 10);
    bufferevent_enable(p[1], EV_READ);
    in = bufferevent_get_input(p[1]);
    out = bufferevent_get_output(p[0]);
    CHECK_INT(bufferevent_write(p[0], "0123456789abcdefghijklmno", 25), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(in), 10);
    CHECK_INT(evbuffer_get_length(out), 15);
    evbuffer_drain(in, 10);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(in) + evbuffer_get_length(out), 15);
    CHECK(evbuffer_get_length(in) <= 10);
    bufferevent_free(p[0]);
    bufferevent_free(p[1]);
    event_base_free(base);
    return test_end();
}
