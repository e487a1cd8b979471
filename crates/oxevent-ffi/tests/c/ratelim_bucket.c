/*
 * Token buckets: ev_token_bucket_cfg_new refuses a zero rate and a rate
 * above its burst; without a limit get_read_limit is EV_SSIZE_MAX and
 * get_max_to_read the largest single read (16384); a configured bucket
 * starts with one tick's rate, which also becomes the max to read
 * (libevent takes it in place of the single-read maximum); decrements
 * show in get_read_limit; 3000 bytes at 1000 bytes per 100 ms tick need
 * two refills, which come at tick boundaries (counted from the epoch, not
 * from the call) 100 ms apart: at least 90 ms (100 less the coarse
 * clock's slack), however close the first boundary is; removing the limit
 * restores EV_SSIZE_MAX.
 * A group starts with its rate, counts decrements, and frees cleanly
 * once its member left.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static size_t got;

static void readcb(struct bufferevent *b, void *arg)
{
    char buf[4096];
    got += bufferevent_read(b, buf, sizeof buf);
    if (got >= 3000)
        event_base_loopexit(arg, NULL);
}

int main(void)
{
    int sv[2];
    struct event_base *base;
    struct bufferevent *a, *b;
    struct ev_token_bucket_cfg *cfg, *slow;
    struct timeval minute = {60, 0};
    struct bufferevent_rate_limit_group *g;
    struct timeval tick = {0, 100000};
    static char data[3000];
    long long start;
    ev_uint64_t r = 1, w = 1;

    test_begin("ratelim_bucket");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    a = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    b = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE);
    CHECK(ev_token_bucket_cfg_new(0, 10, 10, 10, NULL) == NULL);
    CHECK(ev_token_bucket_cfg_new(20, 10, 10, 10, NULL) == NULL);
    CHECK(bufferevent_get_read_limit(b) == EV_SSIZE_MAX);
    CHECK_INT(bufferevent_get_max_to_read(b), 16384);
    CHECK_INT(bufferevent_get_max_single_read(b), 16384);
    CHECK(bufferevent_get_token_bucket_cfg(b) == NULL);

    /* The values are checked with a one-minute tick, so that no refill
     * happens between two calls (a new tick refills to the burst). */
    slow = ev_token_bucket_cfg_new(1000, 2000, 100000, 200000, &minute);
    cfg = ev_token_bucket_cfg_new(1000, 2000, 100000, 200000, &tick);
    REQUIRE(cfg != NULL && slow != NULL);
    CHECK_INT(bufferevent_set_rate_limit(b, slow), 0);
    CHECK(bufferevent_get_token_bucket_cfg(b) == slow);
    CHECK_INT(bufferevent_get_read_limit(b), 1000);
    CHECK_INT(bufferevent_get_write_limit(b), 100000);
    CHECK_INT(bufferevent_get_max_to_read(b), 1000);
    CHECK_INT(bufferevent_get_max_to_write(b), 100000);
    CHECK_INT(bufferevent_set_max_single_read(b, 500), 0);
    CHECK_INT(bufferevent_get_max_single_read(b), 500);
    CHECK_INT(bufferevent_get_max_to_read(b), 1000);
    CHECK_INT(bufferevent_set_max_single_read(b, 0), 0);
    CHECK_INT(bufferevent_get_max_single_read(b), 16384);
    CHECK_INT(bufferevent_decrement_read_limit(b, 300), 0);
    CHECK_INT(bufferevent_get_read_limit(b), 700);
    CHECK_INT(bufferevent_set_rate_limit(b, NULL), 0);
    CHECK_INT(bufferevent_set_rate_limit(b, cfg), 0);

    bufferevent_setcb(b, readcb, NULL, NULL, base);
    bufferevent_enable(b, EV_READ);
    memset(data, 'x', sizeof data);
    bufferevent_write(a, data, sizeof data);
    start = now_ms();
    event_base_dispatch(base);
    CHECK_INT(got, 3000);
    CHECK(now_ms() - start >= 90);

    g = bufferevent_rate_limit_group_new(base, slow);
    REQUIRE(g != NULL);
    CHECK_INT(bufferevent_rate_limit_group_get_read_limit(g), 1000);
    CHECK_INT(bufferevent_rate_limit_group_get_write_limit(g), 100000);
    CHECK_INT(bufferevent_add_to_rate_limit_group(a, g), 0);
    CHECK_INT(bufferevent_rate_limit_group_decrement_read(g, 100), 0);
    CHECK_INT(bufferevent_rate_limit_group_get_read_limit(g), 900);
    bufferevent_rate_limit_group_get_totals(g, &r, &w);
    CHECK_INT(r, 0);
    CHECK_INT(w, 0);
    CHECK_INT(bufferevent_rate_limit_group_set_min_share(g, 10), 0);
    CHECK_INT(bufferevent_remove_from_rate_limit_group(a), 0);
    bufferevent_rate_limit_group_free(g);

    CHECK_INT(bufferevent_set_rate_limit(b, NULL), 0);
    CHECK(bufferevent_get_read_limit(b) == EV_SSIZE_MAX);
    bufferevent_free(a);
    bufferevent_free(b);
    ev_token_bucket_cfg_free(cfg);
    ev_token_bucket_cfg_free(slow);
    event_base_free(base);
    return test_end();
}
