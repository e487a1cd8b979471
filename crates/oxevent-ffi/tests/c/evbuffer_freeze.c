/*
 * evbuffer_freeze.c: a frozen start refuses draining, removing, prepending,
 * copying out, line reading and moving bytes out; a frozen end refuses
 * every way of appending. Refusals change nothing; unfreezing restores.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b, *o;
    char out[16];
    struct evbuffer_iovec v[2];
    size_t n;

    test_begin("evbuffer_freeze");
    b = evbuffer_new();
    o = evbuffer_new();
    REQUIRE(b && o);
    CHECK_INT(evbuffer_add(b, "line\nrest", 9), 0);
    CHECK_INT(evbuffer_add(o, "other", 5), 0);

    CHECK_INT(evbuffer_freeze(b, 1), 0);
    CHECK_INT(evbuffer_drain(b, 1), -1);
    CHECK_INT(evbuffer_drain(b, 0), -1); /* even 0 bytes, on a non-empty buffer */
    CHECK_INT(evbuffer_remove(b, out, 4), -1);
    CHECK_INT(evbuffer_copyout(b, out, 4), -1);
    CHECK_INT(evbuffer_prepend(b, "x", 1), -1);
    CHECK(evbuffer_readln(b, &n, EVBUFFER_EOL_LF) == NULL);
    CHECK_INT(n, 0);
    CHECK_INT(evbuffer_remove_buffer(b, o, 2), -1);
    CHECK_INT(evbuffer_add_buffer(o, b), -1);
    CHECK_INT(evbuffer_prepend_buffer(b, o), -1);
    CHECK_INT(evbuffer_prepend_buffer(o, b), -1);
    /* The end still takes bytes. */
    CHECK_INT(evbuffer_add(b, "!", 1), 0);
    CHECK_INT(evbuffer_unfreeze(b, 1), 0);
    CHECK_BUF(b, "line\nrest!");
    CHECK_BUF(o, "other");

    CHECK_INT(evbuffer_freeze(b, 0), 0);
    CHECK_INT(evbuffer_add(b, "x", 1), -1);
    CHECK_INT(evbuffer_add(b, "", 0), -1);
    CHECK_INT(evbuffer_add_printf(b, "%d", 42), -1);
    CHECK_INT(evbuffer_add_reference(b, "ref", 3, NULL, NULL), -1);
    CHECK_INT(evbuffer_reserve_space(b, 10, v, 2), -1);
    CHECK_INT(evbuffer_add_buffer(b, o), -1);
    CHECK_INT(evbuffer_remove_buffer(o, b, 2), -1);
    {
        struct evbuffer_iovec iv;
        iv.iov_base = (void *)"iov";
        iv.iov_len = 3;
        CHECK_INT(evbuffer_add_iovec(b, &iv, 1), 0);
    }
    /* The start still gives bytes, the front takes a prepend. */
    CHECK_INT(evbuffer_drain(b, 5), 0);
    CHECK_INT(evbuffer_prepend(b, ">", 1), 0);
    CHECK_INT(evbuffer_unfreeze(b, 0), 0);
    CHECK_BUF(b, ">rest!");
    CHECK_BUF(o, "other");
    CHECK_INT(evbuffer_add(b, "x", 1), 0);
    CHECK_BUF(b, ">rest!x");

    evbuffer_free(b);
    evbuffer_free(o);
    return test_end();
}
