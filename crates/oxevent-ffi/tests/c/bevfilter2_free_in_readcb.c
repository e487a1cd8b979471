/*
 * Freeing a filter from inside its own readcb (over a pair end):
 *  - the input filter is not called again for that arrival, no other
 *    callback of the filter runs (the EOF of the partner's BEV_FINISHED
 *    flush, pending in the same pass, is dropped: bufferevent_free
 *    cleared the callbacks), free_context runs exactly once, during
 *    the same event_base_loop call (the destruction is finalized by the
 *    loop, after the callback has returned);
 *  - with BEV_OPT_CLOSE_ON_FREE the underlying pair end goes too: by the
 *    time the loop returns the partner has no partner, and its next write
 *    stays in its own output;
 *  - without it the underlying survives with NULL callbacks, still
 *    linked and reading: the partner's next bytes land in its input.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

static int in_calls, reads, events, frees, frees_in_cb;
static char got[16];

static enum bufferevent_filter_result inf(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t lim, enum bufferevent_flush_mode mode,
    void *ctx)
{
    UNUSED(lim);
    UNUSED(mode);
    UNUSED(ctx);
    in_calls++;
    evbuffer_add_buffer(dst, src);
    return BEV_OK;
}

static void freectx(void *ctx)
{
    UNUSED(ctx);
    frees++;
}

static void readcb(struct bufferevent *b, void *arg)
{
    size_t n;
    UNUSED(arg);
    reads++;
    n = bufferevent_read(b, got, sizeof got - 1);
    got[n] = '\0';
    bufferevent_free(b);
    frees_in_cb = frees;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(what);
    UNUSED(arg);
    events++;
}

static void run(int opts)
{
    struct event_base *base;
    struct bufferevent *p[2], *f;
    bufferevent_data_cb rcb = readcb;
    bufferevent_event_cb ecb = eventcb;

    in_calls = reads = events = frees = 0;
    frees_in_cb = -1;
    got[0] = '\0';
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    f = bufferevent_filter_new(p[0], inf, NULL, opts, freectx, NULL);
    REQUIRE(f != NULL);
    bufferevent_setcb(f, readcb, NULL, eventcb, NULL);
    bufferevent_enable(f, EV_READ);

    bufferevent_write(p[1], "abc", 3);
    CHECK_INT(bufferevent_flush(p[1], EV_WRITE, BEV_FINISHED), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(in_calls, 1);
    CHECK_INT(reads, 1);
    CHECK_STR(got, "abc");
    CHECK_INT(events, 0);
    CHECK_INT(frees_in_cb, 0);
    CHECK_INT(frees, 1);

    if (opts & BEV_OPT_CLOSE_ON_FREE) {
        CHECK(bufferevent_pair_get_partner(p[1]) == NULL);
        bufferevent_write(p[1], "def", 3);
        CHECK_INT(evbuffer_get_length(bufferevent_get_output(p[1])), 3);
    } else {
        CHECK(bufferevent_pair_get_partner(p[1]) == p[0]);
        bufferevent_getcb(p[0], &rcb, NULL, &ecb, NULL);
        CHECK(rcb == NULL);
        CHECK(ecb == NULL);
        bufferevent_write(p[1], "def", 3);
        CHECK_INT(evbuffer_get_length(bufferevent_get_output(p[1])), 0);
        CHECK_INT(evbuffer_get_length(bufferevent_get_input(p[0])), 3);
        bufferevent_free(p[0]);
    }
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(in_calls, 1);
    CHECK_INT(reads, 1);
    CHECK_INT(frees, 1);
    bufferevent_free(p[1]);
    event_base_free(base);
}

int main(void)
{
    test_begin("bevfilter2_free_in_readcb");
    run(BEV_OPT_CLOSE_ON_FREE);
    run(0);
    return test_end();
}
