/*
 * bufferevent_setfd swapping the fd of an enabled socket bufferevent.
 * libevent 2.1.12: setfd(-1) returns 0, deletes both events and leaves the
 * enabled set (EV_READ|EV_WRITE) alone; getfd is -1, nothing more is read
 * (the old peer's bytes stay in the old socket), and the old fd is not
 * closed (BEV_OPT_CLOSE_ON_FREE only concerns the fd held at free time).
 * bufferevent_write while there is no fd returns 0 and keeps the bytes.
 * setfd(new) re-enables the enabled set on the new fd: the new peer's
 * bytes reach the read callback and the bytes queued meanwhile are sent to
 * the new peer, after which the write callback runs once.  Freeing closes
 * the new fd (once the loop has run) and leaves the old one open.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <sys/socket.h>
#include "check.h"

static char got[64];
static size_t ngot;
static int reads, writes, events;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    reads++;
    ngot += bufferevent_read(b, got + ngot, sizeof got - 1 - ngot);
    got[ngot] = '\0';
}

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    writes++;
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 0);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    UNUSED(what);
    events++;
}

int main(void)
{
    int a[2], c[2], i;
    struct event_base *base;
    struct bufferevent *b;
    char buf[16];
    ssize_t n;

    test_begin("bev2_setfd_swap");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, c) == 0);
    REQUIRE(evutil_make_socket_nonblocking(a[0]) == 0);
    REQUIRE(evutil_make_socket_nonblocking(c[0]) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, a[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, readcb, writecb, eventcb, NULL);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);

    REQUIRE(write_all(a[1], "old", 3) == 0);
    for (i = 0; i < 20 && reads == 0; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 1);
    CHECK_STR(got, "old");

    /* Detach. */
    CHECK_INT(bufferevent_setfd(b, -1), 0);
    CHECK_INT(bufferevent_getfd(b), -1);
    CHECK_INT(bufferevent_get_enabled(b), EV_READ | EV_WRITE);
    CHECK(fcntl(a[0], F_GETFD) != -1);
    REQUIRE(write_all(a[1], "zzz", 3) == 0);
    CHECK_INT(bufferevent_write(b, "queued", 6), 0);
    for (i = 0; i < 5; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 1);
    CHECK_INT(writes, 0);
    CHECK_INT(events, 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 6);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(b)), 0);

    /* Attach the new socket. */
    CHECK_INT(bufferevent_setfd(b, c[0]), 0);
    CHECK_INT(bufferevent_getfd(b), c[0]);
    CHECK_INT(bufferevent_get_enabled(b), EV_READ | EV_WRITE);
    REQUIRE(write_all(c[1], "new", 3) == 0);
    for (i = 0; i < 20 && (reads < 2 || writes < 1); i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 2);
    CHECK_STR(got, "oldnew");
    CHECK_INT(writes, 1);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 0);
    n = recv(c[1], buf, sizeof buf, MSG_DONTWAIT);
    CHECK_INT(n, 6);
    CHECK(n == 6 && memcmp(buf, "queued", 6) == 0);
    /* The old peer's bytes are still in the old socket. */
    n = recv(a[0], buf, sizeof buf, MSG_DONTWAIT);
    CHECK_INT(n, 3);
    CHECK(n == 3 && memcmp(buf, "zzz", 3) == 0);
    for (i = 0; i < 3; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(writes, 1);
    CHECK_INT(events, 0);

    bufferevent_free(b);
    event_base_loop(base, EVLOOP_NONBLOCK);
    errno = 0;
    CHECK_INT(fcntl(c[0], F_GETFD), -1);
    CHECK_INT(errno, EBADF);
    CHECK(fcntl(a[0], F_GETFD) != -1);
    close(a[0]);
    close(a[1]);
    close(c[1]);
    event_base_free(base);
    return test_end();
}
