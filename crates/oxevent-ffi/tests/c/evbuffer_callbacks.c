/*
 * evbuffer_callbacks.c: callbacks see each change (length before, bytes
 * added, bytes removed), run newest first, stop after evbuffer_remove_cb_entry
 * or evbuffer_remove_cb, and are not called when nothing changed.
 */
#include "evbuffer_util.h"

static char order[64];
static size_t norder;
static struct evbuffer_cb_info last;
static int ncalls;

static void cb_a(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
    (void)b;
    last = *i;
    ncalls++;
    order[norder++] = *(const char *)arg;
}

static void cb_b(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
    (void)b;
    (void)i;
    order[norder++] = *(const char *)arg;
}

#define INFO(o, a, d) \
    CHECK(last.orig_size == (o) && last.n_added == (a) && last.n_deleted == (d))

int main(void)
{
    struct evbuffer *b, *c;
    struct evbuffer_cb_entry *e1, *e2, *e3;
    char out[16];
    static const char A = 'A', B = 'B', C = 'C';

    test_begin("evbuffer_callbacks");
    b = evbuffer_new();
    c = evbuffer_new();
    REQUIRE(b && c);

    e1 = evbuffer_add_cb(b, cb_a, (void *)&A);
    CHECK(e1 != NULL);
    CHECK_INT(evbuffer_add(b, "hello", 5), 0);
    CHECK_INT(ncalls, 1);
    INFO(0, 5, 0);
    CHECK_INT(evbuffer_drain(b, 2), 0);
    INFO(5, 0, 2);
    CHECK_INT(evbuffer_remove(b, out, 1), 1);
    INFO(3, 0, 1);
    CHECK_INT(evbuffer_prepend(b, "xy", 2), 0);
    INFO(2, 2, 0);
    evbuffer_add_printf(b, "%d", 123);
    INFO(4, 3, 0);
    CHECK_INT(ncalls, 5);

    /* No change, no call. */
    CHECK_INT(evbuffer_add(b, "", 0), 0);
    CHECK_INT(evbuffer_drain(b, 0), 0);
    CHECK_INT(evbuffer_copyout(b, out, 3), 3);
    CHECK(evbuffer_pullup(b, -1) != NULL);
    CHECK_INT(ncalls, 5);

    /* Newest first. */
    e2 = evbuffer_add_cb(b, cb_b, (void *)&B);
    e3 = evbuffer_add_cb(b, cb_b, (void *)&C);
    CHECK(e2 && e3 && e2 != e3);
    norder = 0;
    CHECK_INT(evbuffer_add(b, "!", 1), 0);
    CHECK_INT(norder, 3);
    CHECK(memcmp(order, "CBA", 3) == 0);

    /* Removing by entry and by (function, argument). */
    CHECK_INT(evbuffer_remove_cb_entry(b, e2), 0);
    norder = 0;
    CHECK_INT(evbuffer_add(b, "!", 1), 0);
    CHECK(norder == 2 && memcmp(order, "CA", 2) == 0);
    CHECK_INT(evbuffer_remove_cb(b, cb_b, (void *)&C), 0);
    CHECK_INT(evbuffer_remove_cb(b, cb_b, (void *)&C), -1);
    CHECK_INT(evbuffer_remove_cb(b, cb_a, (void *)&B), -1);
    norder = 0;
    CHECK_INT(evbuffer_drain(b, 1), 0);
    CHECK(norder == 1 && order[0] == 'A');

    /* A move reports both sides. */
    CHECK(evbuffer_add_cb(c, cb_b, (void *)&C) != NULL);
    norder = 0;
    CHECK_INT(evbuffer_add_buffer(c, b), 0);
    CHECK(norder == 2 && memcmp(order, "AC", 2) == 0);
    INFO(8, 0, 8);

    CHECK_INT(evbuffer_remove_cb(b, cb_a, (void *)&A), 0);
    norder = 0;
    CHECK_INT(evbuffer_add(b, "z", 1), 0);
    CHECK_INT(norder, 0);

    evbuffer_free(b);
    evbuffer_free(c);
    return test_end();
}
