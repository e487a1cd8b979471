/*
 * bufferevent_pair_new: returns 0 and two distinct bufferevents that start
 * with EV_WRITE enabled only (no EV_READ), have no fd (getfd == -1) and
 * no underlying bufferevent.  Because the receiver's EV_READ is off, a
 * write on one end stays in the writer's output; once the receiver enables
 * EV_READ the bytes move into its input synchronously (inside
 * bufferevent_enable) and the receiver's readcb and the writer's writecb
 * run later, from the event loop.  Data flows both ways with the bytes
 * intact and in order.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/util.h>
#include "check.h"

static struct bufferevent *P[2];
static int readcalls[2], writecalls[2], eventcalls[2];

static int which(struct bufferevent *b)
{
    return b == P[0] ? 0 : 1;
}

static void readcb(struct bufferevent *b, void *arg)
{
    CHECK(arg == (void *)&readcalls);
    readcalls[which(b)]++;
}

static void writecb(struct bufferevent *b, void *arg)
{
    CHECK(arg == (void *)&readcalls);
    writecalls[which(b)]++;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(what);
    UNUSED(arg);
    eventcalls[which(b)]++;
}

int main(void)
{
    struct event_base *base;
    char buf[64];
    size_t n;

    test_begin("bevpair_basic");
    base = event_base_new();
    REQUIRE(base != NULL);

    P[0] = P[1] = NULL;
    CHECK_INT(bufferevent_pair_new(base, 0, P), 0);
    REQUIRE(P[0] != NULL && P[1] != NULL);
    CHECK(P[0] != P[1]);
    CHECK(bufferevent_get_base(P[0]) == base);
    CHECK(bufferevent_get_base(P[1]) == base);
    CHECK_INT(bufferevent_getfd(P[0]), -1);
    CHECK_INT(bufferevent_getfd(P[1]), -1);
    CHECK(bufferevent_get_underlying(P[0]) == NULL);
    CHECK(bufferevent_get_underlying(P[1]) == NULL);
    /* A new bufferevent has EV_WRITE enabled but not EV_READ. */
    CHECK_INT(bufferevent_get_enabled(P[0]), EV_WRITE);
    CHECK_INT(bufferevent_get_enabled(P[1]), EV_WRITE);

    bufferevent_setcb(P[0], readcb, writecb, eventcb, &readcalls);
    bufferevent_setcb(P[1], readcb, writecb, eventcb, &readcalls);

    /* Receiver not reading: the bytes wait in the writer's output. */
    CHECK_INT(bufferevent_write(P[0], "hello", 5), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(P[0])), 5);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(P[1])), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(P[0])), 5);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(P[1])), 0);
    CHECK_INT(readcalls[1], 0);
    CHECK_INT(writecalls[0], 0);

    /* Enabling EV_READ on the receiver pulls the data over at once... */
    CHECK_INT(bufferevent_enable(P[1], EV_READ), 0);
    CHECK_INT(bufferevent_get_enabled(P[1]), EV_READ | EV_WRITE);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(P[0])), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(P[1])), 5);
    /* ...but the callbacks are deferred to the loop. */
    CHECK_INT(readcalls[1], 0);
    CHECK_INT(writecalls[0], 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(readcalls[1], 1);
    CHECK_INT(writecalls[0], 1);
    CHECK_INT(readcalls[0], 0);
    CHECK_INT(writecalls[1], 0);

    n = bufferevent_read(P[1], buf, sizeof(buf));
    CHECK_INT(n, 5);
    CHECK(memcmp(buf, "hello", 5) == 0);

    /* Now that EV_READ is on, a write is handed over inside the write. */
    CHECK_INT(bufferevent_write(P[0], "world", 5), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(P[0])), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(P[1])), 5);
    CHECK_INT(readcalls[1], 1);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(readcalls[1], 2);
    CHECK_INT(writecalls[0], 2);

    /* Reverse direction. */
    CHECK_INT(bufferevent_enable(P[0], EV_READ), 0);
    CHECK_INT(bufferevent_write(P[1], "back!", 5), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(P[0])), 5);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(readcalls[0], 1);
    CHECK_INT(writecalls[1], 1);
    n = bufferevent_read(P[0], buf, sizeof(buf));
    CHECK_INT(n, 5);
    CHECK(memcmp(buf, "back!", 5) == 0);

    /* In-order delivery of several writes. */
    bufferevent_write(P[0], "a", 1);
    bufferevent_write(P[0], "bc", 2);
    bufferevent_write(P[0], "def", 3);
    n = bufferevent_read(P[1], buf, sizeof(buf));
    CHECK_INT(n, 5 + 6);
    CHECK(memcmp(buf, "worldabcdef", 11) == 0);

    CHECK_INT(eventcalls[0], 0);
    CHECK_INT(eventcalls[1], 0);

    bufferevent_free(P[0]);
    bufferevent_free(P[1]);
    event_base_free(base);
    return test_end();
}
