/*
 * evbuffer_cb_reentrant.c: a callback that changes its own buffer is called
 * again, nested, for that change (as libevent does); a callback may remove
 * itself; a callback added by a callback waits for the next change.
 */
#include "evbuffer_util.h"

static int depth, maxdepth, trims;
static struct evbuffer_cb_entry *self_entry;
static int self_calls, late_calls;

/* Keeps at most 4 bytes: each trim is reported to this callback again. */
static void trim(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
    size_t len = evbuffer_get_length(b);
    (void)i;
    (void)arg;
    depth++;
    if (depth > maxdepth)
        maxdepth = depth;
    trims++;
    if (len > 4)
        evbuffer_drain(b, len - 4);
    depth--;
}

static void late(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
    (void)b;
    (void)i;
    (void)arg;
    late_calls++;
}

static void once(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
    (void)i;
    (void)arg;
    self_calls++;
    evbuffer_remove_cb_entry(b, self_entry);
    evbuffer_add_cb(b, late, NULL);
}

int main(void)
{
    struct evbuffer *b;

    test_begin("evbuffer_cb_reentrant");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK(evbuffer_add_cb(b, trim, NULL) != NULL);
    CHECK_INT(evbuffer_add(b, "0123456789", 10), 0);
    CHECK_BUF(b, "6789");
    CHECK_INT(trims, 2);
    CHECK_INT(maxdepth, 2);
    CHECK_INT(evbuffer_remove_cb(b, trim, NULL), 0);

    self_entry = evbuffer_add_cb(b, once, NULL);
    CHECK(self_entry != NULL);
    CHECK_INT(evbuffer_add(b, "x", 1), 0);
    CHECK_INT(self_calls, 1);
    CHECK_INT(late_calls, 0);
    CHECK_INT(evbuffer_add(b, "y", 1), 0);
    CHECK_INT(self_calls, 1);
    CHECK_INT(late_calls, 1);
    CHECK_BUF(b, "6789xy");

    evbuffer_free(b);
    return test_end();
}
