/*
 * event_free after event_base_free (issue 14, R2; repro
 * r2_free_after_base.c). libevent 2.1.12 survives it: event_base_free
 * deletes every event still pending, and event_free of a non-pending event
 * of an unthreaded base only reads the freed base (valgrind reports that,
 * which is why Debian's runs are not under valgrind); it calls nothing
 * through it. Between the two frees the test allocates and scribbles
 * (0xab) 4096 blocks of 32 B..2 KB, so memory the base used has been
 * handed out again.
 *
 * Events: a timer deleted before the base is freed, a timer still pending
 * (10 s), a read event still pending on a pipe, a persistent user event
 * made active, and an event_assign'd heap struct still pending; each is
 * freed (the assigned one with free()) after the base. On ours, the
 * valgrind run of the suite checks that no freed memory is touched.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

#define NSCRIBBLE 4096

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

int main(void)
{
    struct event_base *base;
    struct event *deleted, *timer, *reader, *active;
    struct event *assigned;
    struct timeval t10s = {10, 0};
    static void *scribble[NSCRIBBLE];
    int p[2];
    int i;

    test_begin("r2_free_after_base");
    REQUIRE(pipe(p) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    deleted = evtimer_new(base, cb, NULL);
    timer = evtimer_new(base, cb, NULL);
    reader = event_new(base, p[0], EV_READ | EV_PERSIST, cb, NULL);
    active = event_new(base, -1, EV_PERSIST, cb, NULL);
    assigned = malloc(event_get_struct_event_size());
    REQUIRE(deleted && timer && reader && active && assigned);
    CHECK_INT(event_assign(assigned, base, -1, 0, cb, NULL), 0);

    CHECK_INT(evtimer_add(deleted, &t10s), 0);
    CHECK_INT(event_del(deleted), 0);
    CHECK_INT(evtimer_add(timer, &t10s), 0);
    CHECK_INT(event_add(reader, NULL), 0);
    event_active(active, EV_READ, 1);
    CHECK_INT(evtimer_add(assigned, &t10s), 0);

    event_base_free(base);

    for (i = 0; i < NSCRIBBLE; i++) {
        size_t n = (size_t)32 << (i % 7);
        scribble[i] = malloc(n);
        REQUIRE(scribble[i] != NULL);
        memset(scribble[i], 0xab, n);
    }

    event_free(deleted);
    event_free(timer);
    event_free(reader);
    event_free(active);
    free(assigned);

    for (i = 0; i < NSCRIBBLE; i++)
        free(scribble[i]);
    close(p[0]);
    close(p[1]);
    return test_end();
}
