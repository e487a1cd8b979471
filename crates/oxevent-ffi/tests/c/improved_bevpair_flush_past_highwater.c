/*
 * Improvement over libevent (runs on oxevent only): after bufferevent_flush
 * with BEV_FLUSH pushes a pair end's output into a partner whose input is
 * already past its read high watermark, libevent 2.1.12's next
 * event_base_loop(EVLOOP_NONBLOCK) never returns (seen on epoll, poll and
 * select).  oxevent returns, runs the partner's deferred read callback
 * once, and the data is all there.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

static int reads;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    reads++;
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *p[2];

    test_begin("improved_bevpair_flush_past_highwater");
    base = event_base_new();
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    bufferevent_setcb(p[1], readcb, NULL, NULL, NULL);
    bufferevent_setwatermark(p[1], EV_READ, 0, 4);
    bufferevent_enable(p[1], EV_READ);
    bufferevent_write(p[0], "abcdefgh", 8);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(p[1])), 4);
    CHECK_INT(bufferevent_flush(p[0], EV_WRITE, BEV_FLUSH), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(p[1])), 8);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 1);
    bufferevent_free(p[0]);
    bufferevent_free(p[1]);
    event_base_free(base);
    return test_end();
}
