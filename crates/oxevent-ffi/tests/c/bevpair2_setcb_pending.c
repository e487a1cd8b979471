/*
 * Pair callbacks are deferred, and what runs is whatever callback and
 * cbarg the end has when the loop gets to it:
 *  - setcb between a transfer and the loop: the NEW readcb runs, with
 *    the new cbarg; the old one never does;
 *  - bufferevent_trigger(EV_READ) on a pair end (no flags) also runs the
 *    readcb from the loop, not inside the call; below the read low
 *    watermark it does nothing unless BEV_TRIG_IGNORE_WATERMARKS;
 *  - bufferevent_trigger_event passes its flags to the eventcb, from the
 *    loop;
 *  - with no readcb set, a transfer schedules nothing for the reader:
 *    installing a readcb afterwards does not make an old read show up;
 *  - but a readcb that was set at transfer time and removed before the
 *    loop leaves the read pending: the pass with no readcb runs nothing,
 *    a pass after re-installing it runs nothing either, and the stale
 *    read runs (before the eventcb) the next time the end's deferred
 *    callbacks are scheduled for any reason (here trigger_event EOF).
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

static int reads_a, reads_b, events;
static void *arg_b;
static short what_seen;
static int seq, read_a_seq, event_seq;

static void readcb_a(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    reads_a++;
    read_a_seq = ++seq;
}

static void readcb_b(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    arg_b = arg;
    reads_b++;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    events++;
    event_seq = ++seq;
    what_seen = what;
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *p[2];
    int tag;

    test_begin("bevpair2_setcb_pending");
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    bufferevent_setcb(p[1], readcb_a, NULL, eventcb, NULL);
    bufferevent_enable(p[1], EV_READ);

    /* Replace the callbacks after the transfer, before the loop. */
    bufferevent_write(p[0], "abc", 3);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(p[1])), 3);
    bufferevent_setcb(p[1], readcb_b, NULL, eventcb, &tag);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads_a, 0);
    CHECK_INT(reads_b, 1);
    CHECK(arg_b == (void *)&tag);

    /* trigger: deferred, once per loop pass. */
    bufferevent_trigger(p[1], EV_READ, 0);
    bufferevent_trigger(p[1], EV_READ, 0);
    CHECK_INT(reads_b, 1);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads_b, 2);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads_b, 2);

    /* Below the low watermark: only with IGNORE_WATERMARKS. */
    bufferevent_setwatermark(p[1], EV_READ, 10, 0);
    bufferevent_trigger(p[1], EV_READ, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads_b, 2);
    bufferevent_trigger(p[1], EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
    CHECK_INT(reads_b, 2);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads_b, 3);
    bufferevent_setwatermark(p[1], EV_READ, 0, 0);

    /* trigger_event. */
    bufferevent_trigger_event(p[1], BEV_EVENT_ERROR | BEV_EVENT_READING, 0);
    CHECK_INT(events, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_ERROR | BEV_EVENT_READING);

    /* No readcb at transfer time: nothing pending for later. */
    bufferevent_setcb(p[1], NULL, NULL, eventcb, &tag);
    bufferevent_write(p[0], "def", 3);
    event_base_loop(base, EVLOOP_NONBLOCK);
    bufferevent_setcb(p[1], readcb_b, NULL, eventcb, &tag);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads_b, 3);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(p[1])), 6);
    bufferevent_write(p[0], "g", 1);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads_b, 4);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(p[1])), 7);
    CHECK_INT(reads_a, 0);
    CHECK_INT(events, 1);

    /* Read pending, readcb removed before the loop: stays pending. */
    bufferevent_write(p[0], "h", 1);
    bufferevent_setcb(p[1], NULL, NULL, eventcb, &tag);
    event_base_loop(base, EVLOOP_NONBLOCK);
    bufferevent_setcb(p[1], readcb_a, NULL, eventcb, &tag);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads_a, 0);
    bufferevent_trigger_event(p[1], BEV_EVENT_EOF, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads_a, 1);
    CHECK_INT(events, 2);
    CHECK_INT(what_seen, BEV_EVENT_EOF);
    CHECK(read_a_seq > 0 && read_a_seq < event_seq);
    CHECK_INT(reads_b, 4);

    bufferevent_free(p[0]);
    bufferevent_free(p[1]);
    event_base_free(base);
    return test_end();
}
