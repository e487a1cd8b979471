/*
 * EV_CLOSED and EV_FEATURE_EARLY_CLOSE per backend (issue 8, item 14), as
 * libevent 2.1.12 behaves:
 *   - features: epoll ET|O1|EARLY_CLOSE (0xb), poll FDS|EARLY_CLOSE (0xc),
 *     select FDS (0x4);
 *   - an EV_CLOSED|EV_PERSIST event is called back with what == EV_CLOSED
 *     once the peer closes, on epoll and poll (level-triggered: again and
 *     again until deleted, here at the 3rd call); select cannot see it and
 *     never calls back (within 150 ms), though event_add succeeds;
 *   - data alone does not trigger EV_CLOSED on any backend;
 *   - EV_READ|EV_CLOSED on a closed peer: EV_READ|EV_CLOSED on epoll and
 *     poll, EV_READ on select;
 *   - event_config_require_features(EV_FEATURE_EARLY_CLOSE) picks epoll by
 *     default, poll with EVENT_NOEPOLL, and no backend (NULL base) when only
 *     select is left.
 */
#include <event2/event.h>
#include <event2/util.h>
#include <string.h>
#include <sys/socket.h>
#include "check.h"

enum backend { EPOLL, POLL, SELECT };

static struct event *cur, *cap;
static int calls;
static short bad_what;

/* Ends the case: the time allowed is over. */
static void cap_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    event_del(cur);
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    short expect = *(short *)arg;
    /* Every case that calls back once expects 3 calls (level-triggered),
     * which end the loop; the settle time only bounds a failing case, so it
     * can be long enough for valgrind's slowdown. */
    struct timeval settle = {2, 0};
    UNUSED(fd);
    if (what != expect)
        bad_what = what;
    if (++calls == 1)
        event_add(cap, &settle);
    if (calls >= 3) {
        event_del(cur);
        event_del(cap);
    }
}

/* Returns the number of calls (capped at 3): the loop runs until the 3rd
 * call, or 2 s after the first (at most 4 s in all) when `wait_first`,
 * else 150 ms with no call. */
static int run_case(struct event_base *base, short events, int close_peer,
    short expect, int wait_first)
{
    evutil_socket_t sp[2];
    struct timeval first = {2, 0};
    struct timeval none = {0, 150 * 1000};
    static short expect_store;

    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sp[1]) == 0);
    calls = 0;
    bad_what = 0;
    expect_store = expect;
    cur = event_new(base, sp[1], events | EV_PERSIST, cb, &expect_store);
    cap = evtimer_new(base, cap_cb, NULL);
    REQUIRE(cur && cap);
    CHECK_INT(event_add(cur, NULL), 0);
    CHECK_INT(event_add(cap, wait_first ? &first : &none), 0);
    if (close_peer) {
        evutil_closesocket(sp[0]);
        sp[0] = -1;
    } else {
        CHECK(send(sp[0], "x", 1, 0) == 1);
    }
    CHECK_INT(event_base_dispatch(base), 1);
    if (bad_what) {
        fprintf(stderr, "events 0x%x on %s: called with what 0x%x, expected 0x%x\n",
            events, event_base_get_method(base), bad_what, expect);
        check_failures_++;
    }
    event_free(cur);
    event_free(cap);
    cur = cap = NULL;
    if (sp[0] >= 0)
        evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return calls < 3 ? calls : 3;
}

int main(void)
{
    struct event_base *base, *b2;
    struct event_config *cfg;
    const char *method;
    enum backend be;
    int features;

    test_begin("early_close");
    base = event_base_new();
    REQUIRE(base != NULL);
    method = event_base_get_method(base);
    REQUIRE(method != NULL);
    if (strcmp(method, "epoll") == 0)
        be = EPOLL;
    else if (strcmp(method, "poll") == 0)
        be = POLL;
    else if (strcmp(method, "select") == 0)
        be = SELECT;
    else {
        fprintf(stderr, "unexpected method %s\n", method);
        return 2;
    }

    features = event_base_get_features(base);
    CHECK_INT(features, be == EPOLL ? EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE
                        : be == POLL ? EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE
                                     : EV_FEATURE_FDS);

    /* EV_CLOSED alone, peer closes. */
    CHECK_INT(run_case(base, EV_CLOSED, 1, EV_CLOSED, be != SELECT), be == SELECT ? 0 : 3);
    /* EV_CLOSED alone, data but no close: never. */
    CHECK_INT(run_case(base, EV_CLOSED, 0, EV_CLOSED, 0), 0);
    /* EV_READ|EV_CLOSED, peer closes. */
    CHECK_INT(run_case(base, EV_READ | EV_CLOSED, 1,
                  be == SELECT ? EV_READ : EV_READ | EV_CLOSED, 1),
        3);
    /* EV_READ|EV_CLOSED, data only: EV_READ alone. */
    CHECK_INT(run_case(base, EV_READ | EV_CLOSED, 0, EV_READ, 1), 3);
    event_base_free(base);

    /* Requiring early close. */
    cfg = event_config_new();
    REQUIRE(cfg != NULL);
    CHECK_INT(event_config_require_features(cfg, EV_FEATURE_EARLY_CLOSE), 0);
    b2 = event_base_new_with_config(cfg);
    if (be == SELECT) {
        CHECK(b2 == NULL);
    } else {
        CHECK(b2 != NULL);
        if (b2) {
            CHECK_STR(event_base_get_method(b2), method);
            CHECK(event_base_get_features(b2) & EV_FEATURE_EARLY_CLOSE);
        }
    }
    if (b2)
        event_base_free(b2);
    event_config_free(cfg);
    return test_end();
}
