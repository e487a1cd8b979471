/*
 * Freeing one end of a pair does NOT deliver BEV_EVENT_EOF (or any event)
 * to the surviving end in libevent 2.1.12: the pair is just unlinked.  Data
 * that had already been handed over stays readable in the survivor's input,
 * and data still waiting in the freed end's output is lost.  The survivor
 * only sees EOF when the other side explicitly calls
 * bufferevent_flush(..., BEV_FINISHED) before freeing.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/util.h>
#include "check.h"

static int events_seen;
static short last_what;
static int reads_seen;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    reads_seen++;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    events_seen++;
    last_what = what;
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *p[2];
    char buf[16];

    test_begin("bevpair_free_eof");
    base = event_base_new();
    REQUIRE(base != NULL);

    /* 1: plain free of the writer. */
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    bufferevent_setcb(p[1], readcb, NULL, eventcb, NULL);
    bufferevent_enable(p[1], EV_READ);
    bufferevent_write(p[0], "data", 4);
    bufferevent_disable(p[1], EV_READ);
    bufferevent_write(p[0], "lost", 4);       /* stays in p[0]'s output */
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(p[0])), 4);
    bufferevent_free(p[0]);
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(events_seen, 0);
    /* The readcb for "data" was still scheduled and runs. */
    CHECK_INT(reads_seen, 1);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(p[1])), 4);
    CHECK_INT(bufferevent_enable(p[1], EV_READ), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(p[1])), 4);
    CHECK_INT(bufferevent_read(p[1], buf, sizeof(buf)), 4);
    CHECK(memcmp(buf, "data", 4) == 0);
    CHECK_INT(events_seen, 0);
    bufferevent_free(p[1]);

    /* 2: BEV_FINISHED flush, then free: the survivor gets EOF|READING. */
    events_seen = 0;
    last_what = 0;
    reads_seen = 0;
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    bufferevent_setcb(p[1], readcb, NULL, eventcb, NULL);
    bufferevent_enable(p[1], EV_READ);
    bufferevent_write(p[0], "bye", 3);
    CHECK_INT(bufferevent_flush(p[0], EV_WRITE, BEV_FINISHED), 0);
    bufferevent_free(p[0]);
    CHECK_INT(events_seen, 0);                /* deferred */
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(events_seen, 1);
    CHECK_INT(last_what, BEV_EVENT_EOF | BEV_EVENT_READING);
    CHECK_INT(bufferevent_read(p[1], buf, sizeof(buf)), 3);
    CHECK(memcmp(buf, "bye", 3) == 0);
    bufferevent_free(p[1]);

    event_base_free(base);
    return test_end();
}
