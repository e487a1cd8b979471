/*
 * BEV_OPT_DEFER_CALLBACKS: a triggered read callback does not run inside
 * bufferevent_trigger but from the loop, once even when triggered twice;
 * trigger_event's flags arrive from the loop too.  BEV_OPT_UNLOCK_CALLBACKS
 * without BEV_OPT_DEFER_CALLBACKS is refused (bufferevent_socket_new
 * returns NULL).
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static int reads, events;
static short what_seen;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    reads++;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    events++;
    what_seen = what;
}

int main(void)
{
    int sv[2], i;
    struct event_base *base;
    struct bufferevent *b;

    test_begin("bev_defer_callbacks");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    CHECK(bufferevent_socket_new(base, sv[0], BEV_OPT_UNLOCK_CALLBACKS) == NULL);
    b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, readcb, NULL, eventcb, NULL);
    bufferevent_trigger(b, EV_READ, 0);
    bufferevent_trigger(b, EV_READ, 0);
    CHECK_INT(reads, 0);
    bufferevent_trigger_event(b, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
    CHECK_INT(events, 0);
    for (i = 0; i < 3; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 1);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_EOF | BEV_EVENT_READING);
    bufferevent_free(b);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
