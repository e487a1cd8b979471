/*
 * Read low watermark on a filter (over a pair end, NULL filters): every
 * arrival is passed through into the filter's input, but the filter's
 * readcb runs only when its input holds at least the low watermark (5):
 * 3 bytes -> no readcb, 2 more -> readcb with 5.  A readcb that drains
 * only part of the input is not called again until more data arrives
 * (even though the input is still >= the low mark).  bufferevent_trigger
 * on the filter honours the mark too (runs the readcb at once when the
 * input is >= 5, not at all below it unless BEV_TRIG_IGNORE_WATERMARKS),
 * and getwatermark reads it back.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

static int reads;
static size_t seen, drain_by;

static void readcb(struct bufferevent *b, void *arg)
{
    struct evbuffer *in = bufferevent_get_input(b);
    UNUSED(arg);
    reads++;
    seen = evbuffer_get_length(in);
    evbuffer_drain(in, drain_by);
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *p[2], *f;
    struct evbuffer *fin;
    size_t lo = 0, hi = 0;

    test_begin("bevfilter2_read_lowwm");
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    f = bufferevent_filter_new(p[0], NULL, NULL, BEV_OPT_CLOSE_ON_FREE,
        NULL, NULL);
    REQUIRE(f != NULL);
    bufferevent_setcb(f, readcb, NULL, NULL, NULL);
    bufferevent_setwatermark(f, EV_READ, 5, 0);
    CHECK_INT(bufferevent_getwatermark(f, EV_READ, &lo, &hi), 0);
    CHECK_INT(lo, 5);
    CHECK_INT(hi, 0);
    bufferevent_enable(f, EV_READ);
    fin = bufferevent_get_input(f);

    bufferevent_write(p[1], "abc", 3);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(fin), 3);
    CHECK_INT(reads, 0);
    bufferevent_write(p[1], "de", 2);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 1);
    CHECK_INT(seen, 5);

    /* Partial drain leaves 5 (>= the mark): no readcb by itself. */
    drain_by = 2;
    bufferevent_write(p[1], "fg", 2);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 2);
    CHECK_INT(seen, 7);
    CHECK_INT(evbuffer_get_length(fin), 5);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 2);

    /* Trigger: input 5 >= mark -> runs at once (not deferred). */
    drain_by = 3;
    bufferevent_trigger(f, EV_READ, 0);
    CHECK_INT(reads, 3);
    CHECK_INT(seen, 5);
    CHECK_INT(evbuffer_get_length(fin), 2);
    bufferevent_trigger(f, EV_READ, 0);
    CHECK_INT(reads, 3);
    bufferevent_trigger(f, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
    CHECK_INT(reads, 4);
    CHECK_INT(seen, 2);
    CHECK_INT(evbuffer_get_length(fin), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 4);

    bufferevent_free(f);
    bufferevent_free(p[1]);
    event_base_free(base);
    return test_end();
}
