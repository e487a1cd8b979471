/*
 * bufferevent_setfd: a bufferevent made with fd -1 reports getfd -1; setfd
 * gives it a socket (getfd returns it) and re-enables what was enabled;
 * enabling EV_WRITE on an idle connected bufferevent runs the write
 * callback once from the loop (the output, empty, is at the low
 * watermark); bufferevent_read_buffer moves the whole input.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static int writes, reads;

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    writes++;
}

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    reads++;
    event_base_loopbreak(arg);
}

int main(void)
{
    int sv[2], i;
    struct event_base *base;
    struct bufferevent *b;
    struct evbuffer *sink;

    test_begin("bev_setfd_enable_write");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    b = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    CHECK_INT(bufferevent_getfd(b), -1);
    bufferevent_setcb(b, readcb, writecb, NULL, base);
    CHECK_INT(bufferevent_setfd(b, sv[0]), 0);
    CHECK_INT(bufferevent_getfd(b), sv[0]);
    CHECK_INT(bufferevent_get_enabled(b), EV_WRITE);

    CHECK_INT(bufferevent_enable(b, EV_WRITE), 0);
    for (i = 0; i < 3; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(writes, 1);

    bufferevent_enable(b, EV_READ);
    REQUIRE(write_all(sv[1], "payload", 7) == 0);
    event_base_dispatch(base);
    CHECK_INT(reads, 1);
    sink = evbuffer_new();
    CHECK_INT(bufferevent_read_buffer(b, sink), 0);
    CHECK_INT(evbuffer_get_length(sink), 7);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(b)), 0);
    evbuffer_free(sink);
    bufferevent_free(b);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
