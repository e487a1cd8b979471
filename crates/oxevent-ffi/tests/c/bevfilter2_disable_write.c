/*
 * EV_WRITE disabled on a filter (over a pair end whose partner reads):
 *  - bufferevent_write keeps the bytes in the filter's output; the
 *    output filter is not called, not even by the loop;
 *  - bufferevent_flush(EV_WRITE, BEV_NORMAL) returns 0 and moves nothing;
 *    BEV_FLUSH ignores the disabled flag: it calls the output filter
 *    (mode BEV_FLUSH), returns 1, the bytes reach the partner and the
 *    writecb runs inside the flush;
 *  - re-enabling EV_WRITE does NOT process the held output in libevent
 *    2.1.12 (neither the enable nor the loop calls the filter); the next
 *    write does, in one filter call with old and new bytes (mode
 *    BEV_NORMAL), followed by the writecb; so does the next run of the
 *    underlying pair end's writecb (here after a direct write to it),
 *    from the loop.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

static int calls, writes;
static int last_mode;
static size_t last_src;

static enum bufferevent_filter_result outf(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t lim, enum bufferevent_flush_mode mode,
    void *ctx)
{
    UNUSED(lim);
    UNUSED(ctx);
    calls++;
    last_mode = (int)mode;
    last_src = evbuffer_get_length(src);
    evbuffer_add_buffer(dst, src);
    return BEV_OK;
}

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    writes++;
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *p[2], *f;
    struct evbuffer *fout, *pin;
    char buf[16];

    test_begin("bevfilter2_disable_write");
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    f = bufferevent_filter_new(p[0], NULL, outf, BEV_OPT_CLOSE_ON_FREE,
        NULL, NULL);
    REQUIRE(f != NULL);
    bufferevent_setcb(f, NULL, writecb, NULL, NULL);
    bufferevent_enable(p[1], EV_READ);
    fout = bufferevent_get_output(f);
    pin = bufferevent_get_input(p[1]);

    CHECK_INT(bufferevent_disable(f, EV_WRITE), 0);
    CHECK_INT(bufferevent_get_enabled(f), 0);
    CHECK_INT(bufferevent_write(f, "abc", 3), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(calls, 0);
    CHECK_INT(evbuffer_get_length(fout), 3);
    CHECK_INT(evbuffer_get_length(pin), 0);

    CHECK_INT(bufferevent_flush(f, EV_WRITE, BEV_NORMAL), 0);
    CHECK_INT(calls, 0);
    CHECK_INT(bufferevent_flush(f, EV_WRITE, BEV_FLUSH), 1);
    CHECK_INT(calls, 1);
    CHECK_INT(last_mode, BEV_FLUSH);
    CHECK_INT(last_src, 3);
    CHECK_INT(writes, 1);
    CHECK_INT(evbuffer_get_length(fout), 0);
    CHECK_INT(evbuffer_get_length(pin), 3);
    CHECK_INT(bufferevent_get_enabled(f), 0);

    /* The pair end's (deferred) writecb after the transfer calls the
     * output filter again only if the filter's output is not empty. */
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(calls, 1);
    CHECK_INT(writes, 1);

    /* Held output is not processed by a re-enable. */
    CHECK_INT(bufferevent_write(f, "de", 2), 0);
    CHECK_INT(calls, 1);
    CHECK_INT(bufferevent_enable(f, EV_WRITE), 0);
    CHECK_INT(bufferevent_get_enabled(f), EV_WRITE);
    CHECK_INT(calls, 1);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(calls, 1);
    CHECK_INT(evbuffer_get_length(fout), 2);
    CHECK_INT(writes, 1);

    CHECK_INT(bufferevent_write(f, "f", 1), 0);
    CHECK_INT(calls, 2);
    CHECK_INT(last_mode, BEV_NORMAL);
    CHECK_INT(last_src, 3);
    CHECK_INT(writes, 2);
    CHECK_INT(evbuffer_get_length(fout), 0);
    CHECK_INT(bufferevent_read(p[1], buf, sizeof buf), 6);
    CHECK(memcmp(buf, "abcdef", 6) == 0);

    /* Held again; this time the underlying's writecb (after a direct
     * write to the pair end drained) is what processes it. */
    CHECK_INT(bufferevent_disable(f, EV_WRITE), 0);
    CHECK_INT(bufferevent_write(f, "gh", 2), 0);
    CHECK_INT(bufferevent_enable(f, EV_WRITE), 0);
    CHECK_INT(calls, 2);
    CHECK_INT(bufferevent_write(p[0], "X", 1), 0);
    CHECK_INT(calls, 2);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(calls, 3);
    CHECK_INT(last_mode, BEV_NORMAL);
    CHECK_INT(last_src, 2);
    CHECK_INT(writes, 3);
    CHECK_INT(bufferevent_read(p[1], buf, sizeof buf), 3);
    CHECK(memcmp(buf, "Xgh", 3) == 0);

    bufferevent_free(f);
    bufferevent_free(p[1]);
    event_base_free(base);
    return test_end();
}
