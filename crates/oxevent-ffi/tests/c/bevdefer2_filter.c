/*
 * A filter created with BEV_OPT_DEFER_CALLBACKS over a pair end, next to
 * one created without it over another pair:
 *  - bufferevent_write on the filter runs the output filter at once (the
 *    bytes are in the partner's input when the call returns) in both
 *    cases; the plain filter's writecb runs inside bufferevent_write,
 *    the deferred one's only from the loop;
 *  - bufferevent_flush(EV_WRITE, BEV_FLUSH) returns 1 for both; its
 *    writecb is likewise immediate only without the option;
 *  - incoming bytes reach both readcbs from the loop;
 *  - an EOF passed up from the underlying (partner's BEV_FINISHED) reaches
 *    both eventcbs from the loop, as BEV_EVENT_EOF|BEV_EVENT_READING;
 *    the flush's (empty) transfer first runs the underlying's readcb,
 *    so the filter's NULL input filter "processes" nothing and both
 *    filters' readcbs run once more, before their eventcbs.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

struct rec {
    int reads, writes, events;
    short what;
    int read_seq, event_seq;
};

static int seq;

static void readcb(struct bufferevent *b, void *arg)
{
    struct rec *r = arg;
    char buf[32];
    bufferevent_read(b, buf, sizeof buf);
    r->reads++;
    r->read_seq = ++seq;
}

static void writecb(struct bufferevent *b, void *arg)
{
    struct rec *r = arg;
    UNUSED(b);
    r->writes++;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    struct rec *r = arg;
    UNUSED(b);
    r->events++;
    r->what = what;
    r->event_seq = ++seq;
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *pa[2], *pb[2], *fa, *fd;
    struct rec ra, rd;

    test_begin("bevdefer2_filter");
    memset(&ra, 0, sizeof ra);
    memset(&rd, 0, sizeof rd);
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(bufferevent_pair_new(base, 0, pa) == 0);
    REQUIRE(bufferevent_pair_new(base, 0, pb) == 0);
    fa = bufferevent_filter_new(pa[0], NULL, NULL, BEV_OPT_CLOSE_ON_FREE,
        NULL, NULL);
    fd = bufferevent_filter_new(pb[0], NULL, NULL,
        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS, NULL, NULL);
    REQUIRE(fa != NULL && fd != NULL);
    bufferevent_setcb(fa, readcb, writecb, eventcb, &ra);
    bufferevent_setcb(fd, readcb, writecb, eventcb, &rd);
    bufferevent_enable(fa, EV_READ);
    bufferevent_enable(fd, EV_READ);
    bufferevent_enable(pa[1], EV_READ);
    bufferevent_enable(pb[1], EV_READ);

    CHECK_INT(bufferevent_write(fa, "abc", 3), 0);
    CHECK_INT(bufferevent_write(fd, "abc", 3), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(pa[1])), 3);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(pb[1])), 3);
    CHECK_INT(ra.writes, 1);
    CHECK_INT(rd.writes, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(ra.writes, 1);
    CHECK_INT(rd.writes, 1);

    CHECK_INT(bufferevent_flush(fa, EV_WRITE, BEV_FLUSH), 1);
    CHECK_INT(bufferevent_flush(fd, EV_WRITE, BEV_FLUSH), 1);
    CHECK_INT(ra.writes, 2);
    CHECK_INT(rd.writes, 1);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(ra.writes, 2);
    CHECK_INT(rd.writes, 2);

    bufferevent_write(pa[1], "xyz", 3);
    bufferevent_write(pb[1], "xyz", 3);
    CHECK_INT(ra.reads + rd.reads, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(ra.reads, 1);
    CHECK_INT(rd.reads, 1);

    CHECK_INT(bufferevent_flush(pa[1], EV_WRITE, BEV_FINISHED), 0);
    CHECK_INT(bufferevent_flush(pb[1], EV_WRITE, BEV_FINISHED), 0);
    CHECK_INT(ra.events + rd.events, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(ra.events, 1);
    CHECK_INT(rd.events, 1);
    CHECK_INT(ra.what, BEV_EVENT_EOF | BEV_EVENT_READING);
    CHECK_INT(rd.what, BEV_EVENT_EOF | BEV_EVENT_READING);
    /* The empty transfer of the flush ran the filters' readcbs too,
     * before the eventcbs. */
    CHECK_INT(ra.reads, 2);
    CHECK_INT(rd.reads, 2);
    CHECK(ra.read_seq < ra.event_seq);
    CHECK(rd.read_seq < rd.event_seq);
    CHECK_INT(ra.writes, 2);
    CHECK_INT(rd.writes, 2);

    bufferevent_free(fa);
    bufferevent_free(fd);
    bufferevent_free(pa[1]);
    bufferevent_free(pb[1]);
    event_base_free(base);
    return test_end();
}
