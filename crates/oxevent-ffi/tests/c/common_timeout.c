/*
 * event_base_init_common_timeout: the returned timeval works with
 * event_add; twenty events on a 200 ms common timeout, added one after
 * another, fire in the order they were added; all events on a 50 ms common
 * timeout added at the same moment fire before any of the 200 ms ones; a
 * deleted one never fires; event_pending reports a plain wall-clock expiry
 * (tv_usec < 1000000, about now + 200 ms); a persistent event on a common
 * timeout is re-armed with that period.
 */
#include <event2/event.h>
#include <sys/time.h>
#include "check.h"

#define N 20

static char order[64];
static int norder;
static int persist_calls;
static struct event *pev;

static void rec_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    CHECK_INT(what, EV_TIMEOUT);
    if (norder < (int)sizeof(order) - 1)
        order[norder++] = *(const char *)arg;
}

static void persist_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_TIMEOUT);
    if (++persist_calls == 3)
        event_del(pev);
}

int main(void)
{
    struct event_base *base;
    const struct timeval *ct200, *ct50, *ct20;
    struct timeval d200 = {0, 200 * 1000}, d50 = {0, 50 * 1000};
    struct timeval d20 = {0, 20 * 1000};
    struct event *slow[N], *fast[5];
    static const char tags[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static const char ftags[] = "abcde";
    struct timeval tv, now;
    long long left;
    int i;

    test_begin("common_timeout");
    base = event_base_new();
    REQUIRE(base != NULL);
    ct200 = event_base_init_common_timeout(base, &d200);
    ct50 = event_base_init_common_timeout(base, &d50);
    REQUIRE(ct200 && ct50);

    for (i = 0; i < N; i++) {
        slow[i] = evtimer_new(base, rec_cb, (void *)&tags[i]);
        REQUIRE(slow[i] != NULL);
        CHECK_INT(evtimer_add(slow[i], ct200), 0);
    }
    for (i = 0; i < 5; i++) {
        fast[i] = evtimer_new(base, rec_cb, (void *)&ftags[i]);
        REQUIRE(fast[i] != NULL);
        CHECK_INT(evtimer_add(fast[i], ct50), 0);
    }
    CHECK_INT(evtimer_del(slow[7]), 0);

    memset(&tv, 0, sizeof(tv));
    CHECK_INT(evtimer_pending(slow[0], &tv), EV_TIMEOUT);
    gettimeofday(&now, NULL);
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    left = tv_ms(&tv) - tv_ms(&now);
    CHECK(left > 100 && left <= 250);

    CHECK_INT(event_base_dispatch(base), 1);
    order[norder] = 0;
    /* slow[7] ('H') was deleted. */
    CHECK_STR(order, "abcdeABCDEFGIJKLMNOPQRST");
    if (check_failures_)
        fprintf(stderr, "order: %s\n", order);

    /* Persistent on a common timeout. */
    ct20 = event_base_init_common_timeout(base, &d20);
    REQUIRE(ct20 != NULL);
    pev = event_new(base, -1, EV_PERSIST, persist_cb, NULL);
    REQUIRE(pev != NULL);
    CHECK_INT(event_add(pev, ct20), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(persist_calls, 3);

    for (i = 0; i < N; i++)
        event_free(slow[i]);
    for (i = 0; i < 5; i++)
        event_free(fast[i]);
    event_free(pev);
    event_base_free(base);
    return test_end();
}
