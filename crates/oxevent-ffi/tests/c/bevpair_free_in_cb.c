/*
 * Freeing pair ends from inside their own callbacks is safe, and
 * bufferevent_free clears the callbacks so a callback that was already
 * scheduled (deferred) for a freed end never runs:
 *  - a receiver that frees itself in its readcb: the writer's scheduled
 *    writecb still runs, then the writer has no partner;
 *  - a receiver that frees BOTH ends from its eventcb (EOF after the
 *    writer's BEV_FINISHED flush; the writer's writecb, scheduled earlier,
 *    has already run);
 *  - an end freed before the loop runs never sees its pending readcb.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/util.h>
#include "check.h"

static struct bufferevent *A[2], *B[2], *C[2];
static int a_reads, a_writes, b_events, b_writes, c_reads, c_writes;

static void a_readcb(struct bufferevent *b, void *arg)
{
    char buf[8];
    UNUSED(arg);
    a_reads++;
    CHECK(b == A[1]);
    CHECK_INT(bufferevent_read(b, buf, sizeof(buf)), 4);
    bufferevent_free(b);
    A[1] = NULL;
}

static void a_writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    a_writes++;
}

static void b_eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(arg);
    b_events++;
    CHECK(b == B[1]);
    CHECK_INT(what, BEV_EVENT_EOF | BEV_EVENT_READING);
    bufferevent_free(B[0]);
    bufferevent_free(B[1]);
    B[0] = B[1] = NULL;
}

static void b_writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    b_writes++;
}

static void c_readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    c_reads++;
}

static void c_writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    c_writes++;
}

int main(void)
{
    struct event_base *base;

    test_begin("bevpair_free_in_cb");
    base = event_base_new();
    REQUIRE(base != NULL);

    REQUIRE(bufferevent_pair_new(base, 0, A) == 0);
    bufferevent_setcb(A[0], NULL, a_writecb, NULL, NULL);
    bufferevent_setcb(A[1], a_readcb, NULL, NULL, NULL);
    bufferevent_enable(A[1], EV_READ);
    bufferevent_write(A[0], "ping", 4);

    REQUIRE(bufferevent_pair_new(base, 0, B) == 0);
    bufferevent_setcb(B[0], NULL, b_writecb, NULL, NULL);
    bufferevent_setcb(B[1], NULL, NULL, b_eventcb, NULL);
    bufferevent_enable(B[1], EV_READ);
    /* The FINISHED flush first transfers (scheduling B[0]'s writecb),
     * then schedules B[1]'s eventcb: deferred callbacks run in the order
     * they were scheduled, so B[0]'s writecb runs before B[1]'s eventcb
     * frees both ends. */
    CHECK_INT(bufferevent_flush(B[0], EV_WRITE, BEV_FINISHED), 0);

    REQUIRE(bufferevent_pair_new(base, 0, C) == 0);
    bufferevent_setcb(C[0], NULL, c_writecb, NULL, NULL);
    bufferevent_setcb(C[1], c_readcb, NULL, NULL, NULL);
    bufferevent_enable(C[1], EV_READ);
    bufferevent_write(C[0], "xyz", 3);
    bufferevent_free(C[1]);        /* readcb pending: must not run */
    C[1] = NULL;

    CHECK_INT(event_base_dispatch(base), 1);

    CHECK_INT(a_reads, 1);
    CHECK_INT(a_writes, 1);
    CHECK(A[1] == NULL);
    CHECK(bufferevent_pair_get_partner(A[0]) == NULL);

    CHECK_INT(b_events, 1);
    CHECK_INT(b_writes, 1);
    CHECK(B[0] == NULL && B[1] == NULL);

    CHECK_INT(c_reads, 0);
    CHECK_INT(c_writes, 1);        /* the surviving writer's cb still runs */
    CHECK(bufferevent_pair_get_partner(C[0]) == NULL);

    bufferevent_free(A[0]);
    bufferevent_free(C[0]);
    event_base_free(base);
    return test_end();
}
