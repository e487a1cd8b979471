/*
 * evbuffer callbacks on the buffers of a pair show how the transfer moves
 * bytes (user callbacks on the sender's output "o" and the receiver's
 * input "i", logged as orig+added-deleted):
 *  - a write while the receiver does not read: only the output grows;
 *  - enabling EV_READ moves everything with one evbuffer_add_buffer: the
 *    output's callback (all deleted) runs before the input's (all added);
 *  - a write while the receiver reads: the output's "added" callback,
 *    then the transfer's "deleted" one, then the input's "added" one, all
 *    inside bufferevent_write;
 *  - with a read high watermark the transfer moves only up to the mark
 *    with evbuffer_remove_buffer (the input's callback runs first), or
 *    everything with evbuffer_add_buffer when the rest fits (the
 *    output's first); draining the input below the mark pulls more over
 *    from inside the input's drain callbacks (nested: the nested
 *    transfer's callbacks run before the user's callback for the drain
 *    itself, which then sees the refilled length).
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

static char log_[512];
static int reads, writes;

static void logcb(struct evbuffer *b, const struct evbuffer_cb_info *info,
    void *arg)
{
    size_t n = strlen(log_);
    snprintf(log_ + n, sizeof log_ - n, "%s%zu+%zu-%zu=%zu ", (char *)arg,
        info->orig_size, info->n_added, info->n_deleted,
        evbuffer_get_length(b));
}

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    reads++;
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
    struct bufferevent *p[2];
    struct evbuffer *in, *out;
    char buf[64];

    test_begin("bevpair2_evbuffer_cbs");
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    bufferevent_setcb(p[0], NULL, writecb, NULL, NULL);
    bufferevent_setcb(p[1], readcb, NULL, NULL, NULL);
    out = bufferevent_get_output(p[0]);
    in = bufferevent_get_input(p[1]);
    REQUIRE(evbuffer_add_cb(out, logcb, "o") != NULL);
    REQUIRE(evbuffer_add_cb(in, logcb, "i") != NULL);

    bufferevent_write(p[0], "hello", 5);
    CHECK_STR(log_, "o0+5-0=5 ");
    log_[0] = '\0';
    bufferevent_enable(p[1], EV_READ);
    CHECK_STR(log_, "o5+0-5=0 i0+5-0=5 ");
    log_[0] = '\0';
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(log_, "");
    CHECK_INT(reads, 1);
    CHECK_INT(writes, 1);

    bufferevent_write(p[0], "world", 5);
    CHECK_STR(log_, "o0+5-0=5 o5+0-5=0 i5+5-0=10 ");
    log_[0] = '\0';
    CHECK_INT(bufferevent_read(p[1], buf, sizeof buf), 10);
    CHECK(memcmp(buf, "helloworld", 10) == 0);
    CHECK_STR(log_, "i10+0-10=0 ");
    log_[0] = '\0';
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 2);
    CHECK_INT(writes, 2);

    /* High watermark 12 on the receiver. */
    bufferevent_setwatermark(p[1], EV_READ, 0, 12);
    bufferevent_write(p[0], "0123456789abcdefghij", 20);
    CHECK_STR(log_, "o0+20-0=20 i0+12-0=12 o20+0-12=8 ");
    log_[0] = '\0';
    CHECK_INT(bufferevent_read(p[1], buf, 6), 6);
    CHECK(memcmp(buf, "012345", 6) == 0);
    CHECK_STR(log_, "i6+6-0=12 o8+0-6=2 i12+0-6=12 ");
    log_[0] = '\0';
    CHECK_INT(bufferevent_read(p[1], buf, sizeof buf), 12);
    CHECK(memcmp(buf, "6789abcdefgh", 12) == 0);
    CHECK_STR(log_, "o2+0-2=0 i0+2-0=2 i12+0-12=2 ");
    log_[0] = '\0';
    CHECK_INT(bufferevent_read(p[1], buf, sizeof buf), 2);
    CHECK(memcmp(buf, "ij", 2) == 0);
    CHECK_STR(log_, "i2+0-2=0 ");
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(writes, 3);

    bufferevent_free(p[0]);
    bufferevent_free(p[1]);
    event_base_free(base);
    return test_end();
}
