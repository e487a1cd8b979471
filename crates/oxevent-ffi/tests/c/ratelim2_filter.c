/*
 * A rate limit set on a filter bufferevent (over a socket bufferevent,
 * one-minute tick, read 10 / write 20 per tick): bytes moving through the
 * filter are not throttled and not charged: 100 bytes in and 100 out
 * pass at once and the filter's buckets still read 10 / 20.  The bucket
 * still gates reading when it is driven down by hand:
 * decrement_read_limit to -90 suspends the filter's reading, which stops
 * the underlying socket bufferevent from reading (50 new bytes stay in
 * the kernel) while get_enabled still reports EV_READ|EV_WRITE; giving
 * the tokens back (negative decrement) resumes it: the 50 bytes arrive.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
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
    int sv[2];
    struct event_base *base;
    struct bufferevent *s, *f;
    struct ev_token_bucket_cfg *cfg;
    struct timeval minute = {60, 0};
    char d[100];

    test_begin("ratelim2_filter");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    cfg = ev_token_bucket_cfg_new(10, 10, 20, 20, &minute);
    REQUIRE(cfg != NULL);
    s = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(s != NULL);
    f = bufferevent_filter_new(s, NULL, NULL, BEV_OPT_CLOSE_ON_FREE, NULL,
        NULL);
    REQUIRE(f != NULL);
    CHECK_INT(bufferevent_set_rate_limit(f, cfg), 0);
    CHECK(bufferevent_get_token_bucket_cfg(f) == cfg);
    CHECK_INT(bufferevent_get_read_limit(f), 10);
    CHECK_INT(bufferevent_get_write_limit(f), 20);
    CHECK_INT(bufferevent_get_max_to_read(f), 10);
    CHECK_INT(bufferevent_get_max_to_write(f), 20);
    /* The underlying has no limit of its own. */
    CHECK(bufferevent_get_read_limit(s) == EV_SSIZE_MAX);

    bufferevent_setcb(f, readcb, NULL, NULL, NULL);
    bufferevent_enable(f, EV_READ);
    memset(d, 'a', sizeof d);
    REQUIRE(write_all(sv[1], d, 100) == 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(f)), 100);
    CHECK_INT(reads, 1);
    CHECK_INT(bufferevent_write(f, d, 100), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(read(sv[1], d, sizeof d), 100);
    CHECK_INT(bufferevent_get_read_limit(f), 10);
    CHECK_INT(bufferevent_get_write_limit(f), 20);

    /* Driven below zero by hand: reading stops underneath. */
    CHECK_INT(bufferevent_decrement_read_limit(f, 100), 0);
    CHECK_INT(bufferevent_get_read_limit(f), -90);
    CHECK_INT(bufferevent_get_max_to_read(f), 0);
    CHECK_INT(bufferevent_get_enabled(f), EV_READ | EV_WRITE);
    CHECK_INT(bufferevent_get_enabled(s), EV_READ | EV_WRITE);
    REQUIRE(write_all(sv[1], d, 50) == 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(f)), 100);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(s)), 0);
    CHECK_INT(reads, 1);

    /* Tokens back: reading resumes. */
    CHECK_INT(bufferevent_decrement_read_limit(f, -100), 0);
    CHECK_INT(bufferevent_get_read_limit(f), 10);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(f)), 150);
    CHECK_INT(reads, 2);
    CHECK_INT(bufferevent_get_read_limit(f), 10);

    bufferevent_free(f);
    ev_token_bucket_cfg_free(cfg);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
