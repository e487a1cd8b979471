/*
 * Socket bufferevents over a socketpair: EV_WRITE alone is enabled after
 * bufferevent_socket_new; data written on one end reaches the other's read
 * callback intact; the writer's write callback runs once its output is
 * drained; bufferevent_read takes bytes out; when the peer is freed (with
 * BEV_OPT_CLOSE_ON_FREE) the survivor gets BEV_EVENT_READING|BEV_EVENT_EOF
 * and its EV_READ is disabled.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static struct bufferevent *A, *B;
static char got[64];
static size_t ngot;
static int writes_a, events_b;
static short what_b;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    CHECK(b == B);
    ngot += bufferevent_read(b, got + ngot, sizeof got - 1 - ngot);
}

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    if (b == A) {
        writes_a++;
        CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 0);
    }
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    CHECK(b == B);
    events_b++;
    what_b = what;
    event_base_loopexit(arg, NULL);
}

int main(void)
{
    int sv[2];
    struct event_base *base;

    test_begin("bev_socket_basic");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    A = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    B = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(A && B);
    CHECK_INT(bufferevent_get_enabled(A), EV_WRITE);
    CHECK_INT(bufferevent_getfd(A), sv[0]);
    CHECK(bufferevent_get_base(A) == base);
    CHECK(bufferevent_get_underlying(A) == NULL);
    CHECK(bufferevent_get_input(A) != bufferevent_get_output(A));

    bufferevent_setcb(A, NULL, writecb, NULL, base);
    bufferevent_setcb(B, readcb, NULL, eventcb, base);
    CHECK_INT(bufferevent_enable(B, EV_READ), 0);
    CHECK_INT(bufferevent_get_enabled(B), EV_READ | EV_WRITE);
    CHECK_INT(bufferevent_write(A, "hello ", 6), 0);
    CHECK_INT(bufferevent_write(A, "world", 5), 0);
    while (ngot < 11)
        REQUIRE(event_base_loop(base, EVLOOP_ONCE) == 0);
    got[ngot] = '\0';
    CHECK_STR(got, "hello world");
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK(writes_a >= 1);

    bufferevent_free(A);
    event_base_dispatch(base);
    CHECK_INT(events_b, 1);
    CHECK_INT(what_b, BEV_EVENT_READING | BEV_EVENT_EOF);
    CHECK_INT(bufferevent_get_enabled(B), EV_WRITE);
    bufferevent_free(B);
    event_base_free(base);
    return test_end();
}
