/*
 * event_config_set_max_dispatch_interval and event_base_loopcontinue.
 * A and B (priority 1) are active; A's callback makes C (priority 0, a read
 * event) ready by writing to its socket, which the loop only notices when it
 * polls again. Without a limit the priority-1 queue is drained first
 * (A B C). With max_callbacks = 1 applied from priority 0 on, the loop goes
 * back to polling after A and finds C first (A C B); with limit_after_prio = 2
 * priority 1 is not limited (A B C). A zero time budget acts like
 * max_callbacks = 1. event_base_loopcontinue() from A also ends the queue
 * pass early (A C B). And event_active() of a higher-priority event from A
 * preempts the rest of the queue at once (A C B), libevent's priority rule.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

enum mode { PLAIN, CONTINUE, ACTIVATE };

struct run {
    struct event *a, *b, *c;
    evutil_socket_t sp[2];
    char order[8];
    int n;
    enum mode mode;
};

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    struct event *self = event_base_get_running_event(event_get_base(r->a));
    char tag = self == r->a ? 'A' : self == r->b ? 'B' : self == r->c ? 'C' : '?';
    char buf[8];

    if (what & EV_READ)
        CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
    if (r->n < 7)
        r->order[r->n++] = tag;
    if (self == r->a) {
        if (r->mode == ACTIVATE)
            event_active(r->c, EV_TIMEOUT, 1);
        else
            CHECK(send(r->sp[0], "c", 1, 0) == 1);
        if (r->mode == CONTINUE)
            CHECK_INT(event_base_loopcontinue(event_get_base(r->a)), 0);
    }
}

static void run_case(const char *label, struct event_config *cfg,
    enum mode mode, const char *expect)
{
    struct event_base *base;
    struct run r;

    memset(&r, 0, sizeof(r));
    r.mode = mode;
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, r.sp) == 0);
    base = cfg ? event_base_new_with_config(cfg) : event_base_new();
    REQUIRE(base != NULL);
    CHECK_INT(event_base_priority_init(base, 2), 0);
    r.a = event_new(base, -1, 0, cb, &r);
    r.b = event_new(base, -1, 0, cb, &r);
    r.c = event_new(base, r.sp[1], EV_READ, cb, &r);
    REQUIRE(r.a && r.b && r.c);
    CHECK_INT(event_priority_set(r.a, 1), 0);
    CHECK_INT(event_priority_set(r.b, 1), 0);
    CHECK_INT(event_priority_set(r.c, 0), 0);
    CHECK_INT(event_add(r.c, NULL), 0);
    event_active(r.a, EV_TIMEOUT, 1);
    event_active(r.b, EV_TIMEOUT, 1);
    CHECK_INT(event_base_dispatch(base), 1);
    r.order[r.n] = 0;
    if (strcmp(r.order, expect) != 0) {
        fprintf(stderr, "%s: order %s, expected %s\n", label, r.order, expect);
        check_failures_++;
    }
    event_free(r.a);
    event_free(r.b);
    event_free(r.c);
    event_base_free(base);
    evutil_closesocket(r.sp[0]);
    evutil_closesocket(r.sp[1]);
}

int main(void)
{
    struct event_config *cfg;
    struct timeval zero = {0, 0};

    test_begin("max_dispatch");

    run_case("no limit", NULL, PLAIN, "ABC");

    cfg = event_config_new();
    REQUIRE(cfg != NULL);
    CHECK_INT(event_config_set_max_dispatch_interval(cfg, NULL, 1, 0), 0);
    run_case("max 1 from prio 0", cfg, PLAIN, "ACB");
    event_config_free(cfg);

    cfg = event_config_new();
    REQUIRE(cfg != NULL);
    CHECK_INT(event_config_set_max_dispatch_interval(cfg, NULL, 1, 2), 0);
    run_case("max 1 from prio 2", cfg, PLAIN, "ABC");
    event_config_free(cfg);

    cfg = event_config_new();
    REQUIRE(cfg != NULL);
    CHECK_INT(event_config_set_max_dispatch_interval(cfg, &zero, -1, 0), 0);
    run_case("zero interval", cfg, PLAIN, "ACB");
    event_config_free(cfg);

    run_case("loopcontinue", NULL, CONTINUE, "ACB");
    run_case("activate higher priority", NULL, ACTIVATE, "ACB");

    return test_end();
}
