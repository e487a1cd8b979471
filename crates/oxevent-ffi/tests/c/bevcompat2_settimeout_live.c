/*
 * The 1.x bufferevent_settimeout on a bufferevent_new bufferevent whose
 * EV_READ is already enabled (event_init/event_dispatch style).  libevent
 * 2.1.12 applies it to the pending read event at once:
 *  - settimeout(b, 1, 0) after enable: about a second later the error
 *    callback gets exactly EVBUFFER_READ|EVBUFFER_TIMEOUT with the given
 *    argument, EV_READ is disabled and event_dispatch runs out of events
 *    (returns 1); timeout_read reads back {1, 0}, timeout_write {0, 0};
 *  - settimeout(b, 0, 0) on a re-enabled, pending EV_READ removes the
 *    timeout: nothing fires during a 300 ms event_loopexit, EV_READ stays
 *    enabled, and the peer's bytes still reach the read callback.
 */
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_compat.h>
#include <event2/bufferevent_struct.h>
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <sys/socket.h>
#include "check.h"

static int tag, reads, errors;
static short what_seen;
static long long err_at;

static void readcb(struct bufferevent *b, void *arg)
{
    CHECK(arg == &tag);
    reads++;
    evbuffer_drain(EVBUFFER_INPUT(b), EVBUFFER_LENGTH(EVBUFFER_INPUT(b)));
    event_loopexit(NULL);
}

static void errorcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    CHECK(arg == &tag);
    errors++;
    what_seen = what;
    err_at = now_ms();
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    struct timeval tv = {0, 300000};
    int sv[2];
    long long t0;

    test_begin("bevcompat2_settimeout_live");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sv[0]) == 0);
    base = event_init();
    REQUIRE(base != NULL);
    b = bufferevent_new(sv[0], readcb, NULL, errorcb, &tag);
    REQUIRE(b != NULL);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);

    t0 = now_ms();
    bufferevent_settimeout(b, 1, 0);
    CHECK_INT(b->timeout_read.tv_sec, 1);
    CHECK_INT(b->timeout_read.tv_usec, 0);
    CHECK_INT(b->timeout_write.tv_sec, 0);
    CHECK_INT(b->timeout_write.tv_usec, 0);
    CHECK_INT(event_dispatch(), 1);
    CHECK_INT(errors, 1);
    CHECK_INT(what_seen, EVBUFFER_READ | EVBUFFER_TIMEOUT);
    CHECK(err_at - t0 >= 990);
    CHECK(err_at - t0 < 1900);
    CHECK_INT(bufferevent_get_enabled(b), EV_WRITE);

    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    bufferevent_settimeout(b, 0, 0);
    CHECK_INT(b->timeout_read.tv_sec, 0);
    CHECK_INT(b->timeout_read.tv_usec, 0);
    CHECK_INT(event_loopexit(&tv), 0);
    CHECK_INT(event_dispatch(), 0);
    CHECK_INT(errors, 1);
    CHECK_INT(bufferevent_get_enabled(b), EV_READ | EV_WRITE);

    REQUIRE(write_all(sv[1], "x", 1) == 0);
    CHECK_INT(event_dispatch(), 0);
    CHECK_INT(reads, 1);
    CHECK_INT(errors, 1);

    bufferevent_free(b);
    event_loop(EVLOOP_NONBLOCK);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
