/*
 * ev_token_bucket_cfg_new with a NULL tick length uses one second: with
 * a read rate (and burst) of 100 bytes, 150 bytes from the peer arrive as
 * a first read of 100 right away and the last 50 only when the bucket is
 * refilled, one tick (>= ~1 s) after the bucket ran dry (two readcbs,
 * asserted >= 900 ms apart).
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static size_t got, first;
static int reads;
static long long t_first, t_last;

static void readcb(struct bufferevent *b, void *arg)
{
    size_t n = evbuffer_get_length(bufferevent_get_input(b));
    evbuffer_drain(bufferevent_get_input(b), n);
    if (reads++ == 0) {
        first = n;
        t_first = now_ms();
    }
    got += n;
    if (got >= 150) {
        t_last = now_ms();
        event_base_loopexit(arg, NULL);
    }
}

int main(void)
{
    int sv[2];
    struct event_base *base;
    struct bufferevent *b;
    struct ev_token_bucket_cfg *cfg;
    static char data[150];
    struct timeval limit = {4, 0};

    test_begin("ratelim2_null_tick");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    cfg = ev_token_bucket_cfg_new(100, 100, 100000, 100000, NULL);
    REQUIRE(cfg != NULL);
    CHECK_INT(bufferevent_set_rate_limit(b, cfg), 0);
    CHECK_INT(bufferevent_get_read_limit(b), 100);
    CHECK_INT(bufferevent_get_max_to_read(b), 100);

    bufferevent_setcb(b, readcb, NULL, NULL, base);
    bufferevent_enable(b, EV_READ);
    memset(data, 'r', sizeof data);
    REQUIRE(write_all(sv[1], data, sizeof data) == 0);
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);

    CHECK_INT(got, 150);
    CHECK_INT(first, 100);
    CHECK_INT(reads, 2);
    CHECK(t_last - t_first >= 900);

    bufferevent_free(b);
    ev_token_bucket_cfg_free(cfg);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
