/*
 * A filter over one end of a pair: its input filter upper-cases what the
 * partner writes, its output filter (NULL: unchanged) passes writes
 * through; get_underlying names the pair end; bufferevent_flush with
 * BEV_FINISHED returns 1 when the filter moved data and the partner gets
 * BEV_EVENT_EOF|BEV_EVENT_READING; freeing the filter with
 * BEV_OPT_CLOSE_ON_FREE calls free_context once and frees the underlying
 * end (the partner's get_partner becomes NULL).
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <ctype.h>
#include "check.h"

static int filter_calls, frees;
static char fgot[64], pgot[64];
static short pwhat;

static enum bufferevent_filter_result upper(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t lim, enum bufferevent_flush_mode mode,
    void *ctx)
{
    char buf[256];
    int n, i;
    UNUSED(lim);
    UNUSED(mode);
    CHECK(ctx == (void *)&frees);
    filter_calls++;
    while ((n = evbuffer_remove(src, buf, sizeof buf)) > 0) {
        for (i = 0; i < n; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        evbuffer_add(dst, buf, (size_t)n);
    }
    return BEV_OK;
}

static void freectx(void *ctx)
{
    CHECK(ctx == (void *)&frees);
    frees++;
}

static void freadcb(struct bufferevent *b, void *arg)
{
    size_t n;
    UNUSED(arg);
    n = bufferevent_read(b, fgot, sizeof fgot - 1);
    fgot[n] = '\0';
}

static void preadcb(struct bufferevent *b, void *arg)
{
    size_t n;
    UNUSED(arg);
    n = bufferevent_read(b, pgot, sizeof pgot - 1);
    pgot[n] = '\0';
}

static void peventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    pwhat = what;
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *p[2], *f;

    test_begin("bevfilter_uppercase");
    base = event_base_new();
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    f = bufferevent_filter_new(p[0], upper, NULL, BEV_OPT_CLOSE_ON_FREE,
        freectx, &frees);
    REQUIRE(f != NULL);
    CHECK(bufferevent_get_underlying(f) == p[0]);
    CHECK_INT(bufferevent_get_enabled(f), EV_WRITE);
    CHECK_INT(bufferevent_get_enabled(p[0]), EV_READ | EV_WRITE);
    bufferevent_setcb(f, freadcb, NULL, NULL, NULL);
    bufferevent_setcb(p[1], preadcb, NULL, peventcb, NULL);
    bufferevent_enable(f, EV_READ);
    bufferevent_enable(p[1], EV_READ);

    bufferevent_write(p[1], "hello", 5);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(fgot, "HELLO");
    CHECK(filter_calls >= 1);

    bufferevent_write(f, "out", 3);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(pgot, "out");

    CHECK_INT(bufferevent_flush(f, EV_WRITE, BEV_FINISHED), 1);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(pwhat, BEV_EVENT_EOF | BEV_EVENT_READING);

    bufferevent_free(f);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(frees, 1);
    CHECK(bufferevent_pair_get_partner(p[1]) == NULL);
    bufferevent_free(p[1]);
    event_base_free(base);
    return test_end();
}
