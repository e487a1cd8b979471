/*
 * Read high watermark on a socket bufferevent.  With high 8 and a callback
 * that keeps nothing, 20 bytes from the peer arrive as 8, 8, 4 (three
 * callbacks, one read each).  Setting a high mark of 5 while the input
 * already holds 12 bytes suspends reading at once: more bytes from the
 * peer stay in the socket.  Draining the input below the mark (by the
 * program, outside any callback) resumes reading, up to the mark again.
 * A high mark of 0 means no limit.
 */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/util.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "check.h"

static int reads, keep;
static size_t lens[8];

static void readcb(struct bufferevent *b, void *arg)
{
    struct evbuffer *in = bufferevent_get_input(b);
    UNUSED(arg);
    if (reads < 8)
        lens[reads] = evbuffer_get_length(in);
    reads++;
    if (!keep)
        evbuffer_drain(in, evbuffer_get_length(in));
}

static void pass(struct event_base *base)
{
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static int in_socket(evutil_socket_t fd)
{
    int n = -1;
    ioctl(fd, FIONREAD, &n);
    return n;
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    evutil_socket_t sp[2];
    struct evbuffer *in;

    test_begin("bev_read_highwm");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, sp[0], 0);
    REQUIRE(b != NULL);
    in = bufferevent_get_input(b);
    bufferevent_setcb(b, readcb, NULL, NULL, NULL);
    bufferevent_setwatermark(b, EV_READ, 0, 8);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);

    REQUIRE(write_all(sp[1], "0123456789abcdefghij", 20) == 0);
    pass(base);
    CHECK_INT(reads, 1);
    CHECK_INT(lens[0], 8);
    CHECK_INT(in_socket(sp[0]), 12);
    pass(base);
    CHECK_INT(reads, 2);
    CHECK_INT(lens[1], 8);
    pass(base);
    CHECK_INT(reads, 3);
    CHECK_INT(lens[2], 4);
    pass(base);
    CHECK_INT(reads, 3);
    CHECK_INT(in_socket(sp[0]), 0);

    /* No high mark: 12 bytes in at once; the callback keeps them. */
    bufferevent_setwatermark(b, EV_READ, 0, 0);
    keep = 1;
    REQUIRE(write_all(sp[1], "ABCDEFGHIJKL", 12) == 0);
    pass(base);
    CHECK_INT(reads, 4);
    CHECK_INT(lens[3], 12);
    CHECK_INT(evbuffer_get_length(in), 12);

    /* A mark of 5 under 12 buffered bytes suspends reading right away. */
    bufferevent_setwatermark(b, EV_READ, 0, 5);
    REQUIRE(write_all(sp[1], "mnopqr", 6) == 0);
    pass(base);
    pass(base);
    CHECK_INT(reads, 4);
    CHECK_INT(evbuffer_get_length(in), 12);
    CHECK_INT(in_socket(sp[0]), 6);
    CHECK_INT(bufferevent_get_enabled(b), EV_READ | EV_WRITE);

    /* Draining to 2 resumes reading: 3 more (up to 5), callback drains. */
    keep = 0;
    CHECK_INT(evbuffer_drain(in, 10), 0);
    pass(base);
    CHECK_INT(reads, 5);
    CHECK_INT(lens[4], 5);
    CHECK_INT(in_socket(sp[0]), 3);
    pass(base);
    CHECK_INT(reads, 6);
    CHECK_INT(lens[5], 3);
    CHECK_INT(in_socket(sp[0]), 0);

    bufferevent_free(b);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
