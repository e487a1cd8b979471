/*
 * Improvement of ours (runs on oxevent only): a socket bufferevent whose
 * input sits at its read high watermark runs its read callback once, then
 * waits for the program to take bytes.  libevent 2.1.12 (since 2.1.11)
 * instead re-runs the read callback on every loop pass for as long as the
 * input stays at the high watermark, with nothing new read: a loop that
 * only returns through event_base_loopbreak, spinning a core meanwhile
 * (the same program, with the loopbreak, runs the callback once per
 * dispatch there).  Here: high mark 8, the peer sends 20 bytes, the read
 * callback takes nothing; a 100 ms loopexit ends each dispatch.  The
 * callback runs once with 8 bytes in; after the program drains them, the
 * next dispatch reads the next 8 ("ijklmnop") and runs it once more.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static int reads;
static size_t len_in_cb;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    reads++;
    len_in_cb = evbuffer_get_length(bufferevent_get_input(b));
}

int main(void)
{
    int sv[2];
    struct event_base *base;
    struct bufferevent *b;
    struct evbuffer *in;
    struct timeval tenth = {0, 100000};

    test_begin("improved_bev_highwm_no_repeat");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sv[0]) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    in = bufferevent_get_input(b);
    bufferevent_setcb(b, readcb, NULL, NULL, base);
    bufferevent_setwatermark(b, EV_READ, 0, 8);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    REQUIRE(write_all(sv[1], "abcdefghijklmnopqrst", 20) == 0);

    event_base_loopexit(base, &tenth);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(reads, 1);
    CHECK_INT(len_in_cb, 8);
    CHECK_INT(evbuffer_get_length(in), 8);

    evbuffer_drain(in, 8);
    event_base_loopexit(base, &tenth);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(reads, 2);
    CHECK_INT(len_in_cb, 8);
    CHECK(evbuffer_get_length(in) == 8 &&
        memcmp(evbuffer_pullup(in, -1), "ijklmnop", 8) == 0);

    bufferevent_free(b);
    event_base_loop(base, EVLOOP_NONBLOCK);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
