/*
 * A rate-limit group with a one-minute tick and a large allowance: two
 * socket bufferevents in it move 1000 bytes each way; the group's totals
 * count exactly the bytes its members read and wrote, and its read limit
 * went down by what they read; reset_totals zeroes the totals; members
 * leave the group before it is freed.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static size_t got;

static void readcb(struct bufferevent *b, void *arg)
{
    char buf[2048];
    got += bufferevent_read(b, buf, sizeof buf);
    if (got >= 2000)
        event_base_loopexit(arg, NULL);
}

int main(void)
{
    int sv[2];
    struct event_base *base;
    struct bufferevent *a, *b;
    struct ev_token_bucket_cfg *cfg;
    struct bufferevent_rate_limit_group *g;
    struct timeval minute = {60, 0};
    static char data[1000];
    ev_uint64_t r = 7, w = 7;

    test_begin("ratelim_group_totals");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    a = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    b = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE);
    cfg = ev_token_bucket_cfg_new(1000000, 1000000, 1000000, 1000000, &minute);
    REQUIRE(cfg != NULL);
    g = bufferevent_rate_limit_group_new(base, cfg);
    REQUIRE(g != NULL);
    CHECK_INT(bufferevent_add_to_rate_limit_group(a, g), 0);
    CHECK_INT(bufferevent_add_to_rate_limit_group(b, g), 0);
    CHECK_INT(bufferevent_add_to_rate_limit_group(b, g), 0);
    bufferevent_setcb(a, readcb, NULL, NULL, base);
    bufferevent_setcb(b, readcb, NULL, NULL, base);
    bufferevent_enable(a, EV_READ);
    bufferevent_enable(b, EV_READ);
    memset(data, 'g', sizeof data);
    bufferevent_write(a, data, sizeof data);
    bufferevent_write(b, data, sizeof data);
    event_base_dispatch(base);
    CHECK_INT(got, 2000);
    bufferevent_rate_limit_group_get_totals(g, &r, &w);
    CHECK_INT(r, 2000);
    CHECK_INT(w, 2000);
    CHECK_INT(bufferevent_rate_limit_group_get_read_limit(g), 1000000 - 2000);
    bufferevent_rate_limit_group_reset_totals(g);
    bufferevent_rate_limit_group_get_totals(g, &r, NULL);
    CHECK_INT(r, 0);
    bufferevent_rate_limit_group_get_totals(g, NULL, &w);
    CHECK_INT(w, 0);
    CHECK_INT(bufferevent_remove_from_rate_limit_group(a), 0);
    CHECK_INT(bufferevent_remove_from_rate_limit_group(b), 0);
    bufferevent_rate_limit_group_free(g);
    bufferevent_free(a);
    bufferevent_free(b);
    ev_token_bucket_cfg_free(cfg);
    event_base_free(base);
    return test_end();
}
