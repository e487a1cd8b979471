/*
 * bufferevent_flush on a pair: BEV_NORMAL returns 0 and moves nothing
 * held back because the partner does not read; BEV_FLUSH on EV_WRITE
 * moves everything regardless (returns 0) without an event;
 * BEV_FINISHED on EV_READ pulls the partner's output and gives the
 * partner BEV_EVENT_EOF|BEV_EVENT_WRITING.  Pair callbacks are always
 * deferred: the read callback runs from the loop.  (libevent 2.1.12
 * loops forever in event_base_loop after a BEV_FLUSH that overfills a
 * receiver past its read high watermark, so that case is not tested.)
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

static int reads[2], events[2];
static short what[2];
static struct bufferevent *P[2];

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    reads[b == P[1]]++;
}

static void eventcb(struct bufferevent *b, short w, void *arg)
{
    UNUSED(arg);
    events[b == P[1]]++;
    what[b == P[1]] = w;
}

int main(void)
{
    struct event_base *base;
    struct evbuffer *in1, *out0;

    test_begin("bevpair_flush_modes");
    base = event_base_new();
    REQUIRE(bufferevent_pair_new(base, 0, P) == 0);
    bufferevent_setcb(P[0], readcb, NULL, eventcb, NULL);
    bufferevent_setcb(P[1], readcb, NULL, eventcb, NULL);
    in1 = bufferevent_get_input(P[1]);
    out0 = bufferevent_get_output(P[0]);
    bufferevent_write(P[0], "abcdefgh", 8);
    CHECK_INT(evbuffer_get_length(in1), 0);
    CHECK_INT(evbuffer_get_length(out0), 8);
    CHECK_INT(bufferevent_flush(P[0], EV_WRITE, BEV_NORMAL), 0);
    CHECK_INT(evbuffer_get_length(in1), 0);
    bufferevent_enable(P[1], EV_READ);
    CHECK_INT(evbuffer_get_length(in1), 8);
    CHECK_INT(reads[1], 0);
    bufferevent_write(P[0], "ij", 2);
    bufferevent_disable(P[1], EV_READ);
    bufferevent_write(P[0], "kl", 2);
    CHECK_INT(evbuffer_get_length(out0), 2);
    CHECK_INT(bufferevent_flush(P[0], EV_WRITE, BEV_FLUSH), 0);
    CHECK_INT(evbuffer_get_length(in1), 12);
    CHECK_INT(evbuffer_get_length(out0), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads[1], 1);
    CHECK_INT(events[1], 0);

    bufferevent_enable(P[0], EV_READ);
    bufferevent_disable(P[1], EV_WRITE);
    bufferevent_write(P[1], "xyz", 3);
    CHECK_INT(bufferevent_flush(P[0], EV_READ, BEV_FINISHED), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(P[0])), 3);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(events[1], 1);
    CHECK_INT(what[1], BEV_EVENT_EOF | BEV_EVENT_WRITING);
    bufferevent_free(P[0]);
    bufferevent_free(P[1]);
    event_base_free(base);
    return test_end();
}
