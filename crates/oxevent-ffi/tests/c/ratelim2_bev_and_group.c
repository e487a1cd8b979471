/*
 * A bufferevent with its own token bucket AND a group (one-minute ticks,
 * so no refill between two calls): get_max_to_read/write is the smaller
 * of its own bucket and its share of the group (group limit / members,
 * at least min_share).  In a group without an own cfg, the max single
 * read/write is clamped by the share too (with an own cfg it is
 * ignored).  The own bucket going negative makes max_to 0 whatever the
 * group says.  Leaving the group leaves only the own bucket; dropping the
 * own cfg while in the group leaves only max_single and the share.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

int main(void)
{
    int sv[2], sw[2];
    struct event_base *base;
    struct bufferevent *a, *b;
    struct ev_token_bucket_cfg *own, *gcfg;
    struct bufferevent_rate_limit_group *g;
    struct timeval minute = {60, 0};

    test_begin("ratelim2_bev_and_group");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sw) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    a = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    b = bufferevent_socket_new(base, sw[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(a != NULL && b != NULL);
    own = ev_token_bucket_cfg_new(300, 300, 700, 700, &minute);
    gcfg = ev_token_bucket_cfg_new(1000, 1000, 2000, 2000, &minute);
    REQUIRE(own != NULL && gcfg != NULL);
    g = bufferevent_rate_limit_group_new(base, gcfg);
    REQUIRE(g != NULL);

    /* Own bucket alone. */
    CHECK_INT(bufferevent_set_rate_limit(a, own), 0);
    CHECK_INT(bufferevent_get_max_to_read(a), 300);
    CHECK_INT(bufferevent_get_max_to_write(a), 700);

    /* Group with one member: share 1000 / 2000; own is smaller. */
    CHECK_INT(bufferevent_add_to_rate_limit_group(a, g), 0);
    CHECK_INT(bufferevent_get_max_to_read(a), 300);
    CHECK_INT(bufferevent_get_max_to_write(a), 700);
    CHECK_INT(bufferevent_get_read_limit(a), 300);

    /* Group limit below the own bucket: the share wins. */
    CHECK_INT(bufferevent_rate_limit_group_decrement_read(g, 800), 0);
    CHECK_INT(bufferevent_rate_limit_group_decrement_write(g, 1500), 0);
    CHECK_INT(bufferevent_rate_limit_group_get_read_limit(g), 200);
    CHECK_INT(bufferevent_rate_limit_group_get_write_limit(g), 500);
    CHECK_INT(bufferevent_get_max_to_read(a), 200);
    CHECK_INT(bufferevent_get_max_to_write(a), 500);

    /* Second member (no own cfg): shares 100 / 250, raised to the default
     * min_share of 64 only if below it. */
    CHECK_INT(bufferevent_add_to_rate_limit_group(b, g), 0);
    CHECK_INT(bufferevent_get_max_to_read(a), 100);
    CHECK_INT(bufferevent_get_max_to_write(a), 250);
    CHECK_INT(bufferevent_get_max_to_read(b), 100);
    CHECK_INT(bufferevent_get_max_to_write(b), 250);
    CHECK(bufferevent_get_read_limit(b) == EV_SSIZE_MAX);

    /* Without an own cfg, max_single still clamps; with one, it is
     * ignored. */
    CHECK_INT(bufferevent_set_max_single_read(b, 40), 0);
    CHECK_INT(bufferevent_set_max_single_write(a, 40), 0);
    CHECK_INT(bufferevent_get_max_to_read(b), 40);
    CHECK_INT(bufferevent_get_max_to_write(a), 250);

    /* min_share above the share raises it. */
    CHECK_INT(bufferevent_rate_limit_group_set_min_share(g, 150), 0);
    CHECK_INT(bufferevent_get_max_to_read(a), 150);
    CHECK_INT(bufferevent_get_max_to_write(a), 250);
    CHECK_INT(bufferevent_get_max_to_read(b), 40);
    CHECK_INT(bufferevent_get_max_to_write(b), 250);

    /* Own bucket negative: 0 whatever the group says. */
    CHECK_INT(bufferevent_decrement_read_limit(a, 400), 0);
    CHECK_INT(bufferevent_get_read_limit(a), -100);
    CHECK_INT(bufferevent_get_max_to_read(a), 0);
    CHECK_INT(bufferevent_decrement_read_limit(a, -450), 0);
    CHECK_INT(bufferevent_get_max_to_read(a), 150);

    /* Leave the group: own bucket only. */
    CHECK_INT(bufferevent_remove_from_rate_limit_group(a), 0);
    CHECK_INT(bufferevent_get_max_to_read(a), 350);
    CHECK_INT(bufferevent_get_max_to_write(a), 700);
    /* b alone now: share 200 / 500. */
    CHECK_INT(bufferevent_get_max_to_read(b), 40);
    CHECK_INT(bufferevent_get_max_to_write(b), 500);
    CHECK_INT(bufferevent_set_max_single_read(b, 0), 0);
    CHECK_INT(bufferevent_get_max_to_read(b), 200);

    /* Back in, then drop the own cfg: max_single (40 write) and share. */
    CHECK_INT(bufferevent_add_to_rate_limit_group(a, g), 0);
    CHECK_INT(bufferevent_set_rate_limit(a, NULL), 0);
    CHECK_INT(bufferevent_get_max_to_read(a), 150);
    CHECK_INT(bufferevent_get_max_to_write(a), 40);
    CHECK(bufferevent_get_read_limit(a) == EV_SSIZE_MAX);

    CHECK_INT(bufferevent_remove_from_rate_limit_group(a), 0);
    CHECK_INT(bufferevent_remove_from_rate_limit_group(b), 0);
    bufferevent_rate_limit_group_free(g);
    bufferevent_free(a);
    bufferevent_free(b);
    ev_token_bucket_cfg_free(own);
    ev_token_bucket_cfg_free(gcfg);
    close(sv[1]);
    close(sw[1]);
    event_base_free(base);
    return test_end();
}
