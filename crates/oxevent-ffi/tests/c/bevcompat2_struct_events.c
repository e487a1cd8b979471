/*
 * The public fields of a 1.x bufferevent_new bufferevent (after
 * event_init), as old programs read them.  libevent 2.1.12:
 *  - readcb/writecb/errorcb/cbarg hold what was given, enabled is EV_WRITE,
 *    ev_read/ev_write are events on the fd, on the current base, with
 *    events EV_READ|EV_PERSIST|EV_FINALIZE and EV_WRITE|EV_PERSIST|EV_FINALIZE,
 *    and neither is pending;
 *  - enable(EV_READ) sets enabled and makes ev_read pending; settimeout
 *    gives it a timeout (event_pending reports EV_TIMEOUT with a deadline
 *    about 5 s ahead); setwatermark fills wm_read/wm_write;
 *  - bufferevent_write makes ev_write pending until the output is sent;
 *  - the peer's EOF reaches the error callback as EVBUFFER_READ|EVBUFFER_EOF
 *    and leaves ev_read not pending and enabled == EV_WRITE; disabling
 *    EV_WRITE leaves enabled == 0.
 */
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_compat.h>
#include <event2/bufferevent_struct.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "check.h"

static int tag, writes, errors;
static short what_seen;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
}

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    writes++;
}

static void errorcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    errors++;
    what_seen = what;
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    struct timeval tv, now;
    int sv[2], i;
    char buf[8];
    long long left;

    test_begin("bevcompat2_struct_events");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sv[0]) == 0);
    base = event_init();
    REQUIRE(base != NULL);
    b = bufferevent_new(sv[0], readcb, writecb, errorcb, &tag);
    REQUIRE(b != NULL);

    CHECK(b->readcb == readcb);
    CHECK(b->writecb == writecb);
    CHECK(b->errorcb == errorcb);
    CHECK(b->cbarg == &tag);
    CHECK_INT(b->enabled, EV_WRITE);
    CHECK_INT(event_get_fd(&b->ev_read), sv[0]);
    CHECK_INT(event_get_fd(&b->ev_write), sv[0]);
    CHECK(event_get_base(&b->ev_read) == base);
    CHECK(event_get_base(&b->ev_write) == base);
    CHECK_INT(event_get_events(&b->ev_read), EV_READ | EV_PERSIST | EV_FINALIZE);
    CHECK_INT(event_get_events(&b->ev_write),
        EV_WRITE | EV_PERSIST | EV_FINALIZE);
    CHECK_INT(event_pending(&b->ev_read, EV_READ | EV_TIMEOUT, NULL), 0);
    CHECK_INT(event_pending(&b->ev_write, EV_WRITE | EV_TIMEOUT, NULL), 0);

    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    CHECK_INT(b->enabled, EV_READ | EV_WRITE);
    CHECK_INT(event_pending(&b->ev_read, EV_READ | EV_TIMEOUT, NULL), EV_READ);
    bufferevent_settimeout(b, 5, 0);
    CHECK_INT(event_pending(&b->ev_read, EV_READ | EV_TIMEOUT, &tv),
        EV_READ | EV_TIMEOUT);
    gettimeofday(&now, NULL);
    left = tv_ms(&tv) - tv_ms(&now);
    CHECK(left > 4000 && left <= 5100);
    bufferevent_setwatermark(b, EV_READ, 3, 100);
    bufferevent_setwatermark(b, EV_WRITE, 7, 0);
    CHECK_INT(b->wm_read.low, 3);
    CHECK_INT(b->wm_read.high, 100);
    CHECK_INT(b->wm_write.low, 7);
    CHECK_INT(b->wm_write.high, 0);

    CHECK_INT(bufferevent_write(b, "abc", 3), 0);
    CHECK_INT(event_pending(&b->ev_write, EV_WRITE, NULL), EV_WRITE);
    for (i = 0; i < 10 && writes == 0; i++)
        event_loop(EVLOOP_ONCE);
    CHECK_INT(writes, 1);
    CHECK_INT(event_pending(&b->ev_write, EV_WRITE, NULL), 0);
    CHECK_INT(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), 3);

    close(sv[1]);
    for (i = 0; i < 10 && errors == 0; i++)
        event_loop(EVLOOP_ONCE);
    CHECK_INT(errors, 1);
    CHECK_INT(what_seen, EVBUFFER_READ | EVBUFFER_EOF);
    CHECK_INT(event_pending(&b->ev_read, EV_READ | EV_TIMEOUT, NULL), 0);
    CHECK_INT(b->enabled, EV_WRITE);
    CHECK_INT(bufferevent_disable(b, EV_WRITE), 0);
    CHECK_INT(b->enabled, 0);

    bufferevent_free(b);
    event_loop(EVLOOP_NONBLOCK);
    event_base_free(base);
    return test_end();
}
