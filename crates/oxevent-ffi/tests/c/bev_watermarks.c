/*
 * Read watermarks on a socket bufferevent: with a low mark of 10 the read
 * callback waits until 10 bytes are in; with a high mark of 100 the input
 * stops growing at 100 (more stays in the socket) and grows again once
 * the program drains it (up to the mark again).  getwatermark reads back each direction.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static int reads;
static size_t lastlen;

static void readcb(struct bufferevent *b, void *arg)
{
    reads++;
    lastlen = evbuffer_get_length(bufferevent_get_input(b));
    event_base_loopbreak(arg);
}

int main(void)
{
    int sv[2], i;
    struct event_base *base;
    struct bufferevent *b;
    size_t lo, hi;
    char big[1000];

    test_begin("bev_watermarks");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, readcb, NULL, NULL, base);
    bufferevent_setwatermark(b, EV_READ, 10, 0);
    CHECK_INT(bufferevent_getwatermark(b, EV_READ, &lo, &hi), 0);
    CHECK_INT(lo, 10);
    CHECK_INT(hi, 0);
    bufferevent_enable(b, EV_READ);
    REQUIRE(write_all(sv[1], "12345", 5) == 0);
    for (i = 0; i < 3; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(b)), 5);
    REQUIRE(write_all(sv[1], "67890", 5) == 0);
    event_base_dispatch(base);
    CHECK_INT(reads, 1);
    CHECK_INT(lastlen, 10);
    evbuffer_drain(bufferevent_get_input(b), 10);

    bufferevent_setwatermark(b, EV_READ, 0, 100);
    memset(big, 'x', sizeof big);
    REQUIRE(write_all(sv[1], big, sizeof big) == 0);
    event_base_dispatch(base);
    CHECK_INT(lastlen, 100);
    for (i = 0; i < 3; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(b)), 100);
    evbuffer_drain(bufferevent_get_input(b), 100);
    for (i = 0; i < 20 && evbuffer_get_length(bufferevent_get_input(b)) == 0; i++)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    /* Reading resumed, and stopped again at the mark. */
    CHECK(evbuffer_get_length(bufferevent_get_input(b)) > 0);
    CHECK(evbuffer_get_length(bufferevent_get_input(b)) <= 100);
    CHECK_INT(bufferevent_getwatermark(b, EV_READ, &lo, &hi), 0);
    CHECK_INT(hi, 100);

    bufferevent_free(b);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
