/*
 * event_base_foreach_event visits every added or active event once (added
 * I/O, added timers, an activated-but-not-added event; not an assigned but
 * never-added one), passes the base and the user argument, and stops as soon
 * as the callback returns non-zero, returning that value.
 * event_base_dump_events writes something to the FILE* it is given.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

struct seen {
    struct event_base *base;
    struct event *evs[8];
    int n;
    int stop_at;
    int bad_base;
};

static void nop_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

static int visit(const struct event_base *base, const struct event *ev, void *arg)
{
    struct seen *s = arg;
    if (base != s->base)
        s->bad_base++;
    if (s->n < 8)
        s->evs[s->n] = (struct event *)ev;
    s->n++;
    if (s->stop_at && s->n == s->stop_at)
        return 42;
    return 0;
}

static int contains(const struct seen *s, const struct event *ev)
{
    int i;
    for (i = 0; i < s->n && i < 8; i++)
        if (s->evs[i] == ev)
            return 1;
    return 0;
}

int main(void)
{
    struct event_base *base;
    struct event *r1, *r2, *w1, *t1, *t2, *act, *idle;
    struct seen s;
    evutil_socket_t sp[2];
    struct timeval t5s = {5, 0}, t6s = {6, 0};
    FILE *f;
    long pos;

    test_begin("foreach_dump");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    memset(&s, 0, sizeof(s));
    s.base = base;
    CHECK_INT(event_base_foreach_event(base, visit, &s), 0);
    CHECK_INT(s.n, 0);

    r1 = event_new(base, sp[0], EV_READ | EV_PERSIST, nop_cb, NULL);
    r2 = event_new(base, sp[1], EV_READ, nop_cb, NULL);
    w1 = event_new(base, sp[1], EV_WRITE, nop_cb, NULL);
    t1 = evtimer_new(base, nop_cb, NULL);
    t2 = evtimer_new(base, nop_cb, NULL);
    act = event_new(base, -1, 0, nop_cb, NULL);
    idle = event_new(base, -1, 0, nop_cb, NULL);
    REQUIRE(r1 && r2 && w1 && t1 && t2 && act && idle);
    CHECK_INT(event_add(r1, NULL), 0);
    CHECK_INT(event_add(r2, &t5s), 0);
    CHECK_INT(event_add(w1, NULL), 0);
    CHECK_INT(evtimer_add(t1, &t5s), 0);
    CHECK_INT(evtimer_add(t2, &t6s), 0);
    event_active(act, EV_TIMEOUT, 1);

    memset(&s, 0, sizeof(s));
    s.base = base;
    CHECK_INT(event_base_foreach_event(base, visit, &s), 0);
    CHECK_INT(s.n, 6);
    CHECK_INT(s.bad_base, 0);
    CHECK(contains(&s, r1) && contains(&s, r2) && contains(&s, w1));
    CHECK(contains(&s, t1) && contains(&s, t2) && contains(&s, act));
    CHECK(!contains(&s, idle));

    /* Stop after two. */
    memset(&s, 0, sizeof(s));
    s.base = base;
    s.stop_at = 2;
    CHECK_INT(event_base_foreach_event(base, visit, &s), 42);
    CHECK_INT(s.n, 2);

    /* Dump. */
    f = tmpfile();
    REQUIRE(f != NULL);
    event_base_dump_events(base, f);
    fflush(f);
    pos = ftell(f);
    CHECK(pos > 0);
    fclose(f);

    /* After deleting, fewer events. */
    CHECK_INT(event_del(t2), 0);
    CHECK_INT(event_del(act), 0);
    memset(&s, 0, sizeof(s));
    s.base = base;
    CHECK_INT(event_base_foreach_event(base, visit, &s), 0);
    CHECK_INT(s.n, 4);
    CHECK(!contains(&s, t2) && !contains(&s, act));

    event_free(r1); event_free(r2); event_free(w1);
    event_free(t1); event_free(t2); event_free(act); event_free(idle);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
