/*
 * A line filter: the input filter returns BEV_NEED_MORE until a whole
 * line is there, then moves complete lines only; the filter's read
 * callback sees whole lines, and the partial line waits in the
 * underlying input.  Without BEV_OPT_CLOSE_ON_FREE, freeing the filter
 * leaves the underlying bufferevent alive with its callbacks cleared.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

static int need_more, reads;
static char lines[128];

static enum bufferevent_filter_result lines_only(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t lim, enum bufferevent_flush_mode mode,
    void *ctx)
{
    struct evbuffer_ptr p;
    UNUSED(lim);
    UNUSED(mode);
    UNUSED(ctx);
    p = evbuffer_search(src, "\n", 1, NULL);
    if (p.pos < 0) {
        need_more++;
        return BEV_NEED_MORE;
    }
    evbuffer_remove_buffer(src, dst, (size_t)p.pos + 1);
    return BEV_OK;
}

static void readcb(struct bufferevent *b, void *arg)
{
    size_t n = strlen(lines);
    UNUSED(arg);
    reads++;
    n += bufferevent_read(b, lines + n, sizeof lines - 1 - n);
    lines[n] = '\0';
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *p[2], *f;
    bufferevent_data_cb r = (bufferevent_data_cb)1;
    bufferevent_event_cb e = (bufferevent_event_cb)1;

    test_begin("bevfilter_need_more");
    base = event_base_new();
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    f = bufferevent_filter_new(p[0], lines_only, NULL, 0, NULL, NULL);
    REQUIRE(f != NULL);
    bufferevent_setcb(f, readcb, NULL, NULL, NULL);
    bufferevent_enable(f, EV_READ);
    bufferevent_enable(p[1], EV_READ);
    bufferevent_write(p[1], "par", 3);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 0);
    CHECK(need_more >= 1);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(p[0])), 3);
    bufferevent_write(p[1], "tial\nnext", 9);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(lines, "partial\n");
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(p[0])), 4);

    bufferevent_free(f);
    event_base_loop(base, EVLOOP_NONBLOCK);
    bufferevent_getcb(p[0], &r, NULL, &e, NULL);
    CHECK(r == NULL);
    CHECK(e == NULL);
    CHECK(bufferevent_pair_get_partner(p[1]) == p[0]);
    bufferevent_free(p[0]);
    bufferevent_free(p[1]);
    event_base_free(base);
    return test_end();
}
