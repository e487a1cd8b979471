/*
 * evbuffer_cb_flags.c: a callback without EVBUFFER_CB_ENABLED does not run
 * and the changes meanwhile are not reported to it later; setting the flag
 * again turns it back on; unknown flag bits are harmless.
 */
#include "evbuffer_util.h"

static int calls;
static struct evbuffer_cb_info last;

static void cb(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
    (void)b;
    (void)arg;
    last = *i;
    calls++;
}

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_cb_entry *e;

    test_begin("evbuffer_cb_flags");
    b = evbuffer_new();
    REQUIRE(b != NULL);
    e = evbuffer_add_cb(b, cb, NULL);
    REQUIRE(e != NULL);

    CHECK_INT(evbuffer_cb_clear_flags(b, e, EVBUFFER_CB_ENABLED), 0);
    CHECK_INT(evbuffer_add(b, "abc", 3), 0);
    CHECK_INT(evbuffer_drain(b, 1), 0);
    CHECK_INT(calls, 0);

    CHECK_INT(evbuffer_cb_set_flags(b, e, EVBUFFER_CB_ENABLED), 0);
    CHECK_INT(evbuffer_add(b, "d", 1), 0);
    CHECK_INT(calls, 1);
    CHECK(last.orig_size == 2 && last.n_added == 1 && last.n_deleted == 0);

    /* Setting it twice, clearing other bits: still enabled. */
    CHECK_INT(evbuffer_cb_set_flags(b, e, EVBUFFER_CB_ENABLED), 0);
    CHECK_INT(evbuffer_cb_clear_flags(b, e, 0x100), 0);
    CHECK_INT(evbuffer_cb_set_flags(b, e, 0x100), 0);
    CHECK_INT(evbuffer_drain(b, 3), 0);
    CHECK_INT(calls, 2);
    CHECK(last.orig_size == 3 && last.n_deleted == 3);

    CHECK_INT(evbuffer_cb_clear_flags(b, e, EVBUFFER_CB_ENABLED), 0);
    CHECK_INT(evbuffer_add(b, "e", 1), 0);
    CHECK_INT(calls, 2);

    evbuffer_free(b);
    return test_end();
}
