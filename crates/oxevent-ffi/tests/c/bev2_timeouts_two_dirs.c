/*
 * Read and write timeouts of one socket bufferevent firing separately: a
 * 100 ms read timeout with a silent peer and a 300 ms write timeout with
 * a peer that never reads (the output cannot drain).  libevent 2.1.12:
 * first the event callback gets exactly BEV_EVENT_READING|BEV_EVENT_TIMEOUT
 * (after ~100 ms) and only EV_READ is disabled (enabled == EV_WRITE);
 * then exactly BEV_EVENT_WRITING|BEV_EVENT_TIMEOUT (after ~300 ms) and
 * EV_WRITE is disabled too (enabled == 0), the data staying in the
 * output; with nothing left the loop runs out (dispatch returns 1).
 * Enabling EV_READ again re-arms the read timeout, which fires again
 * ~100 ms later (10 ms of slack for libevent's coarse clock).
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static int events, enabled_after[3];
static short whats[3];
static long long at[3];

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(arg);
    if (events < 3) {
        whats[events] = what;
        at[events] = now_ms();
        enabled_after[events] = bufferevent_get_enabled(b);
    }
    events++;
}

int main(void)
{
    int sv[2], small = 4096;
    struct event_base *base;
    struct bufferevent *b;
    struct timeval rt = {0, 100000}, wt = {0, 300000};
    static char big[1 << 20];
    long long t0, t1;

    test_begin("bev2_timeouts_two_dirs");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    REQUIRE(evutil_make_socket_nonblocking(sv[0]) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, NULL, NULL, eventcb, NULL);
    CHECK_INT(bufferevent_set_timeouts(b, &rt, &wt), 0);
    memset(big, 'x', sizeof big);
    t0 = now_ms();
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    CHECK_INT(bufferevent_write(b, big, sizeof big), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    t1 = now_ms();

    CHECK_INT(events, 2);
    CHECK_INT(whats[0], BEV_EVENT_READING | BEV_EVENT_TIMEOUT);
    CHECK_INT(enabled_after[0], EV_WRITE);
    CHECK(at[0] - t0 >= 90);
    CHECK_INT(whats[1], BEV_EVENT_WRITING | BEV_EVENT_TIMEOUT);
    CHECK_INT(enabled_after[1], 0);
    CHECK(at[1] - t0 >= 290);
    CHECK(at[1] >= at[0]);
    CHECK(t1 - t0 < 1500);
    CHECK(evbuffer_get_length(bufferevent_get_output(b)) > 0);
    CHECK(evbuffer_get_length(bufferevent_get_output(b)) < sizeof big);

    /* Re-arm the read timeout. */
    t0 = now_ms();
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(events, 3);
    CHECK_INT(whats[2], BEV_EVENT_READING | BEV_EVENT_TIMEOUT);
    CHECK_INT(enabled_after[2], 0);
    CHECK(at[2] - t0 >= 90);
    CHECK(at[2] - t0 < 1000);

    bufferevent_free(b);
    event_base_loop(base, EVLOOP_NONBLOCK);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
