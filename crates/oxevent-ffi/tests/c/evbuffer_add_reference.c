/*
 * evbuffer_add_reference.c: referenced memory is read in place and released
 * exactly once, with the arguments given, when its last byte leaves the
 * buffer (drain, remove, move to another buffer then drain, free); a
 * refused reference (frozen end) is never released.
 */
#include "evbuffer_util.h"

struct rec {
    const void *data;
    size_t len;
    int calls;
};

static void record(const void *data, size_t len, void *extra)
{
    struct rec *r = extra;
    r->data = data;
    r->len = len;
    r->calls++;
}

int main(void)
{
    struct evbuffer *a, *b;
    static const char text[] = "referenced memory";
    struct rec r1 = {0}, r2 = {0}, r3 = {0};
    char out[64];

    test_begin("evbuffer_add_reference");
    a = evbuffer_new();
    b = evbuffer_new();
    REQUIRE(a && b);

    CHECK_INT(evbuffer_add(a, "<", 1), 0);
    CHECK_INT(evbuffer_add_reference(a, text, 17, record, &r1), 0);
    CHECK_INT(evbuffer_add(a, ">", 1), 0);
    CHECK_BUF(a, "<referenced memory>");

    /* The memory is the buffer's content: no copy is made. */
    {
        struct evbuffer_ptr p;
        struct evbuffer_iovec v[1];
        CHECK_INT(evbuffer_ptr_set(a, &p, 1, EVBUFFER_PTR_SET), 0);
        CHECK_INT(evbuffer_peek(a, 1, &p, v, 1), 1);
        CHECK(v[0].iov_base == (void *)text);
    }

    /* Partial removal keeps it; the last byte releases it. */
    CHECK_INT(evbuffer_remove(a, out, 11), 11);
    CHECK_INT(r1.calls, 0);
    CHECK_INT(evbuffer_drain(a, 7), 0);
    CHECK_INT(r1.calls, 1);
    CHECK(r1.data == (const void *)text);
    CHECK_INT(r1.len, 17);
    CHECK_BUF(a, ">");

    /* Moved to another buffer: released when that one drains it. */
    CHECK_INT(evbuffer_add_reference(a, text, 10, record, &r2), 0);
    CHECK_INT(evbuffer_add_buffer(b, a), 0);
    CHECK_INT(r2.calls, 0);
    CHECK_BUF(b, ">referenced");
    CHECK_INT(evbuffer_drain(b, 100), 0);
    CHECK_INT(r2.calls, 1);
    CHECK_INT(r2.len, 10);

    /* A refused reference is never released. */
    CHECK_INT(evbuffer_freeze(a, 0), 0);
    CHECK_INT(evbuffer_add_reference(a, text, 5, record, &r3), -1);
    CHECK_INT(evbuffer_unfreeze(a, 0), 0);
    CHECK_INT(r3.calls, 0);

    /* Released by evbuffer_free; NULL cleanup is allowed. */
    CHECK_INT(evbuffer_add_reference(a, text, 3, record, &r3), 0);
    CHECK_INT(evbuffer_add_reference(a, text, 3, NULL, NULL), 0);
    evbuffer_free(a);
    CHECK_INT(r3.calls, 1);

    evbuffer_free(b);
    return test_end();
}
