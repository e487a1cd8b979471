/*
 * bufferevent_socket_connect to AF_UNIX addresses, where connect()
 * finishes at once instead of being in progress.  libevent 2.1.12:
 *  - a listening path: connect() succeeds immediately; the call returns 0
 *    with the new socket attached and runs no callback itself; the first
 *    loop pass runs the write callback (a deferred write trigger queued by
 *    the call) and then the event callback with exactly
 *    BEV_EVENT_CONNECTED, in that order, and nothing more; then bytes flow
 *    to the server;
 *  - a bound but not listening path: connect() is refused immediately
 *    (ECONNREFUSED); the call still returns 0 with the socket attached,
 *    runs no callback itself but disables EV_READ|EV_WRITE at once
 *    (get_enabled == 0); the loop then reports exactly BEV_EVENT_ERROR
 *    with EVUTIL_SOCKET_ERROR() == ECONNREFUSED (the errno saved when the
 *    error was deferred);
 *  - a path that does not exist: connect() fails with ENOENT; the call
 *    returns -1, runs no callback (not from the loop either) and the
 *    socket it made is closed again: getfd stays -1.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "check.h"

static int in_call, events, events_in_call, writes, err_seen;
static short what_seen;
static char log_[16];

static void add(char c)
{
    size_t n = strlen(log_);
    if (n + 1 < sizeof log_) {
        log_[n] = c;
        log_[n + 1] = '\0';
    }
}

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    writes++;
    add('W');
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    events++;
    events_in_call += in_call;
    what_seen = what;
    err_seen = EVUTIL_SOCKET_ERROR();
    add(what & BEV_EVENT_CONNECTED ? 'C' : 'E');
}

static void unix_addr(struct sockaddr_un *sun, const char *tag)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    snprintf(sun->sun_path, sizeof sun->sun_path, "/tmp/oxev-bev2-%ld-%s",
        (long)getpid(), tag);
    unlink(sun->sun_path);
}

static struct bufferevent *fresh(struct event_base *base)
{
    struct bufferevent *b = bufferevent_socket_new(base, -1,
        BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, NULL, writecb, eventcb, NULL);
    events = events_in_call = writes = 0;
    what_seen = 0;
    err_seen = 0;
    log_[0] = '\0';
    return b;
}

static int connect_(struct bufferevent *b, struct sockaddr_un *sun)
{
    int r;
    in_call = 1;
    r = bufferevent_socket_connect(b, (struct sockaddr *)sun, sizeof *sun);
    in_call = 0;
    return r;
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    struct sockaddr_un lis, bound, none;
    int l, nl, s, i;
    char buf[8];

    test_begin("bev2_connect_unix");
    base = event_base_new();
    REQUIRE(base != NULL);
    unix_addr(&lis, "l");
    unix_addr(&bound, "b");
    unix_addr(&none, "n");
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(l >= 0);
    REQUIRE(bind(l, (struct sockaddr *)&lis, sizeof lis) == 0);
    REQUIRE(listen(l, 4) == 0);
    nl = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(nl >= 0);
    REQUIRE(bind(nl, (struct sockaddr *)&bound, sizeof bound) == 0);

    /* Listening: immediate success. */
    b = fresh(base);
    CHECK_INT(connect_(b, &lis), 0);
    CHECK_INT(events, 0);
    CHECK(bufferevent_getfd(b) >= 0);
    CHECK_INT(bufferevent_get_enabled(b), EV_WRITE);
    CHECK_INT(writes, 0);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_CONNECTED);
    CHECK_INT(writes, 1);
    CHECK_STR(log_, "WC");
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(log_, "WC");
    CHECK_INT(bufferevent_get_enabled(b), EV_WRITE);
    s = accept(l, NULL, NULL);
    REQUIRE(s >= 0);
    CHECK_INT(bufferevent_write(b, "unix", 4), 0);
    for (i = 0; i < 10 && writes == 1; i++)
        event_base_loop(base, EVLOOP_ONCE);
    CHECK_INT(writes, 2);
    CHECK_STR(log_, "WCW");
    CHECK_INT(recv(s, buf, sizeof buf, MSG_DONTWAIT), 4);
    CHECK(memcmp(buf, "unix", 4) == 0);
    CHECK_INT(events, 1);
    CHECK_INT(events_in_call, 0);
    bufferevent_free(b);
    close(s);

    /* Bound, not listening: refused at once, reported from the loop. */
    b = fresh(base);
    CHECK_INT(connect_(b, &bound), 0);
    CHECK_INT(events, 0);
    CHECK(bufferevent_getfd(b) >= 0);
    CHECK_INT(bufferevent_get_enabled(b), 0);
    for (i = 0; i < 10 && events == 0; i++)
        event_base_loop(base, EVLOOP_ONCE);
    CHECK_INT(events, 1);
    CHECK_INT(events_in_call, 0);
    CHECK_INT(what_seen, BEV_EVENT_ERROR);
    CHECK_INT(err_seen, ECONNREFUSED);
    CHECK_INT(writes, 0);
    CHECK_INT(bufferevent_get_enabled(b), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(log_, "E");
    CHECK(bufferevent_getfd(b) >= 0);
    bufferevent_free(b);

    /* No such path: -1, no callback, no fd. */
    b = fresh(base);
    CHECK_INT(connect_(b, &none), -1);
    CHECK_INT(events, 0);
    CHECK_INT(bufferevent_getfd(b), -1);
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(events, 0);
    CHECK_INT(writes, 0);
    bufferevent_free(b);

    event_base_loop(base, EVLOOP_NONBLOCK);
    close(l);
    close(nl);
    unlink(lis.sun_path);
    unlink(bound.sun_path);
    event_base_free(base);
    return test_end();
}
