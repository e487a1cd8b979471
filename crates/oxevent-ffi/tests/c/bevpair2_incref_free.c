/*
 * bufferevent_free on a pair end that holds an extra reference
 * (bufferevent_incref) clears its callbacks but does not unlink the pair:
 * the partner's get_partner still names it, and the partner's writes
 * still move into its input (its EV_READ stays enabled) without running
 * any callback of the freed end.  The last bufferevent_decref (which
 * returns 1) unlinks at once: get_partner becomes NULL and the
 * partner's later writes stay in its own output.  A decref that leaves
 * a reference returns 0.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

static int reads[2], writes[2], events[2];
static struct bufferevent *P[2];

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    reads[b == P[1]]++;
}

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    writes[b == P[1]]++;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(what);
    UNUSED(arg);
    events[b == P[1]]++;
}

int main(void)
{
    struct event_base *base;
    bufferevent_data_cb rcb = readcb, wcb = writecb;
    bufferevent_event_cb ecb = eventcb;
    void *arg = &reads;

    test_begin("bevpair2_incref_free");
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(bufferevent_pair_new(base, 0, P) == 0);
    bufferevent_setcb(P[0], readcb, writecb, eventcb, &reads);
    bufferevent_setcb(P[1], readcb, writecb, eventcb, &reads);
    CHECK_INT(bufferevent_enable(P[0], EV_READ), 0);
    CHECK_INT(bufferevent_enable(P[1], EV_READ), 0);

    bufferevent_incref(P[0]);
    bufferevent_incref(P[0]);
    bufferevent_free(P[0]);
    /* Still linked, callbacks cleared, flags kept. */
    CHECK(bufferevent_pair_get_partner(P[1]) == P[0]);
    CHECK(bufferevent_pair_get_partner(P[0]) == P[1]);
    bufferevent_getcb(P[0], &rcb, &wcb, &ecb, &arg);
    CHECK(rcb == NULL);
    CHECK(wcb == NULL);
    CHECK(ecb == NULL);
    CHECK(arg == NULL);
    CHECK_INT(bufferevent_get_enabled(P[0]), EV_READ | EV_WRITE);

    CHECK_INT(bufferevent_write(P[1], "still", 5), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(P[1])), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(P[0])), 5);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads[0], 0);
    CHECK_INT(writes[1], 1);
    CHECK_INT(events[0] + events[1], 0);

    /* First decref: a reference remains. */
    CHECK_INT(bufferevent_decref(P[0]), 0);
    CHECK(bufferevent_pair_get_partner(P[1]) == P[0]);
    /* Last decref: unlinked right away. */
    CHECK_INT(bufferevent_decref(P[0]), 1);
    CHECK(bufferevent_pair_get_partner(P[1]) == NULL);

    CHECK_INT(bufferevent_write(P[1], "gone", 4), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(P[1])), 4);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(writes[1], 1);
    CHECK_INT(reads[1], 0);
    CHECK_INT(events[0] + events[1], 0);

    bufferevent_free(P[1]);
    event_base_free(base);
    return test_end();
}
