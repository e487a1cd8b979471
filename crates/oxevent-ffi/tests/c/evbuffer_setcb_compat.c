/*
 * evbuffer_setcb_compat.c: buffer_compat.h's evbuffer_setcb: the 1.x
 * callback gets the length before and after; setting replaces every
 * callback (2.x ones too); NULL removes them all; evbuffer_remove_cb finds
 * a 1.x callback by its function and argument.
 */
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include "evbuffer_util.h"

static size_t last_old, last_new;
static int old_calls, new_calls;

static void old_cb(struct evbuffer *b, size_t o, size_t n, void *arg)
{
    (void)b;
    (void)arg;
    last_old = o;
    last_new = n;
    old_calls++;
}

static void new_cb(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
    (void)b;
    (void)i;
    (void)arg;
    new_calls++;
}

int main(void)
{
    struct evbuffer *b;
    int tag = 0;

    test_begin("evbuffer_setcb_compat");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK(evbuffer_add_cb(b, new_cb, NULL) != NULL);
    CHECK_INT(evbuffer_setcb(b, old_cb, &tag), 0);
    CHECK_INT(evbuffer_add(b, "hello", 5), 0);
    CHECK_INT(old_calls, 1);
    CHECK_INT(new_calls, 0);
    CHECK(last_old == 0 && last_new == 5);
    CHECK_INT(evbuffer_drain(b, 2), 0);
    CHECK(last_old == 5 && last_new == 3);

    /* Replacing: only the new one runs. */
    CHECK_INT(evbuffer_setcb(b, old_cb, NULL), 0);
    CHECK_INT(evbuffer_add(b, "!", 1), 0);
    CHECK_INT(old_calls, 3);
    CHECK(last_old == 3 && last_new == 4);

    /* Found by evbuffer_remove_cb like a 2.x callback. */
    CHECK_INT(evbuffer_remove_cb(b, (evbuffer_cb_func)(void *)old_cb, NULL), 0);
    CHECK_INT(evbuffer_add(b, "!", 1), 0);
    CHECK_INT(old_calls, 3);

    /* NULL removes everything. */
    CHECK_INT(evbuffer_setcb(b, old_cb, NULL), 0);
    CHECK(evbuffer_add_cb(b, new_cb, NULL) != NULL);
    CHECK_INT(evbuffer_setcb(b, NULL, NULL), 0);
    CHECK_INT(evbuffer_add(b, "?", 1), 0);
    CHECK_INT(old_calls, 3);
    CHECK_INT(new_calls, 0);

    evbuffer_free(b);
    return test_end();
}
