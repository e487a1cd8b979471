/*
 * bufferevent_decrement_write_limit on socket bufferevents (write rate
 * and burst 1000 per tick):
 *  - with a one-minute tick (no refill during the test): decrementing by
 *    2500 leaves the bucket at -1500 and suspends writing: get_max_to_write
 *    is 0 and 300 queued bytes stay in the output through a loop pass; a
 *    negative decrement that brings the bucket back above 0 resumes
 *    writing at once: the next loop pass writes them and runs the
 *    writecb;
 *  - with a 100 ms tick: after a decrement of 4500 (bucket -3500) the 300
 *    queued bytes leave only once refills (1000 per elapsed tick, ticks
 *    counted from when the limit was set) have brought the bucket above
 *    0, i.e. four tick boundaries later: asserted >= 250 ms.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static int writes;
static long long t_write;

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    writes++;
    t_write = now_ms();
    if (arg)
        event_base_loopexit(arg, NULL);
}

int main(void)
{
    int sv[2], sw[2];
    struct event_base *base;
    struct bufferevent *a, *b;
    struct ev_token_bucket_cfg *slow, *fast;
    struct timeval tick = {0, 100000}, minute = {60, 0}, limit = {3, 0};
    static char data[300], buf[400];
    long long start;

    test_begin("ratelim2_decrement_write");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sw) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    a = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    b = bufferevent_socket_new(base, sw[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(a != NULL && b != NULL);
    slow = ev_token_bucket_cfg_new(100000, 100000, 1000, 1000, &minute);
    fast = ev_token_bucket_cfg_new(100000, 100000, 1000, 1000, &tick);
    REQUIRE(slow != NULL && fast != NULL);
    memset(data, 'w', sizeof data);

    /* Exact values with the one-minute tick. */
    CHECK_INT(bufferevent_set_rate_limit(a, slow), 0);
    bufferevent_setcb(a, NULL, writecb, NULL, NULL);
    CHECK_INT(bufferevent_get_write_limit(a), 1000);
    CHECK_INT(bufferevent_decrement_write_limit(a, 2500), 0);
    CHECK_INT(bufferevent_get_write_limit(a), -1500);
    CHECK_INT(bufferevent_get_max_to_write(a), 0);
    CHECK_INT(bufferevent_write(a, data, sizeof data), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(a)), 300);
    CHECK_INT(writes, 0);
    CHECK_INT(bufferevent_decrement_write_limit(a, -1600), 0);
    CHECK_INT(bufferevent_get_write_limit(a), 100);
    CHECK_INT(bufferevent_get_max_to_write(a), 100);
    event_base_loop(base, EVLOOP_NONBLOCK);
    /* Only the 100 tokens' worth went out; the bucket is at 0 again. */
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(a)), 200);
    CHECK_INT(bufferevent_get_write_limit(a), 0);
    CHECK_INT(writes, 0);
    CHECK_INT(bufferevent_decrement_write_limit(a, -1000), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(a)), 0);
    CHECK_INT(writes, 1);
    CHECK_INT(bufferevent_get_write_limit(a), 800);
    CHECK_INT(read(sv[1], buf, sizeof buf), 300);

    /* Lower bound on the refill time with the 100 ms tick. */
    start = now_ms();
    CHECK_INT(bufferevent_set_rate_limit(b, fast), 0);
    bufferevent_setcb(b, NULL, writecb, NULL, base);
    CHECK_INT(bufferevent_decrement_write_limit(b, 4500), 0);
    CHECK_INT(bufferevent_write(b, data, sizeof data), 0);
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);
    CHECK_INT(writes, 2);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 0);
    CHECK(t_write - start >= 250);
    CHECK_INT(read(sw[1], buf, sizeof buf), 300);

    bufferevent_free(a);
    bufferevent_free(b);
    ev_token_bucket_cfg_free(slow);
    ev_token_bucket_cfg_free(fast);
    close(sv[1]);
    close(sw[1]);
    event_base_free(base);
    return test_end();
}
