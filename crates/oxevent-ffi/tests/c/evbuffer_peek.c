/*
 * evbuffer_peek.c: extents pointing into the buffer without copying:
 * counting (n_vec 0), filling fewer extents than needed, len < 0, a start
 * position (its extent is the rest of its chunk), a start at the end.
 * References make one chunk each in both libraries, so counts are fixed.
 */
#include "evbuffer_util.h"

static const char r1[] = "abc", r2[] = "defg", r3[] = "hi";

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_iovec v[4];
    struct evbuffer_ptr p;

    test_begin("evbuffer_peek");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK_INT(evbuffer_peek(b, -1, NULL, NULL, 0), 0);
    CHECK_INT(evbuffer_peek(b, 10, NULL, v, 4), 0);

    evbuffer_add_reference(b, r1, 3, NULL, NULL);
    evbuffer_add_reference(b, r2, 4, NULL, NULL);
    evbuffer_add_reference(b, r3, 2, NULL, NULL);

    CHECK_INT(evbuffer_peek(b, -1, NULL, NULL, 0), 3);
    CHECK_INT(evbuffer_peek(b, 3, NULL, NULL, 0), 1);
    CHECK_INT(evbuffer_peek(b, 4, NULL, NULL, 0), 2);
    CHECK_INT(evbuffer_peek(b, 0, NULL, v, 4), 0);

    /* Five bytes need two extents; only one is filled. */
    memset(v, 0, sizeof(v));
    CHECK_INT(evbuffer_peek(b, 5, NULL, v, 1), 2);
    CHECK(v[0].iov_base == (void *)r1 && v[0].iov_len == 3);
    CHECK(v[1].iov_base == NULL);

    /* len < 0: as many extents as fit. */
    memset(v, 0, sizeof(v));
    CHECK_INT(evbuffer_peek(b, -1, NULL, v, 2), 2);
    CHECK(v[0].iov_base == (void *)r1 && v[1].iov_base == (void *)r2);
    CHECK_INT(evbuffer_peek(b, -1, NULL, v, 4), 3);
    CHECK(v[2].iov_base == (void *)r3 && v[2].iov_len == 2);

    /* From position 1: "bc", then "defg". */
    CHECK_INT(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_SET), 0);
    memset(v, 0, sizeof(v));
    CHECK_INT(evbuffer_peek(b, 2, &p, v, 4), 1);
    CHECK(v[0].iov_base == (void *)(r1 + 1) && v[0].iov_len == 2);
    CHECK_INT(evbuffer_peek(b, 3, &p, v, 4), 2);
    CHECK(v[1].iov_base == (void *)r2 && v[1].iov_len == 4);
    CHECK_INT(evbuffer_peek(b, -1, &p, NULL, 0), 3);
    /* From inside the second chunk. */
    CHECK_INT(evbuffer_ptr_set(b, &p, 5, EVBUFFER_PTR_SET), 0);
    CHECK_INT(evbuffer_peek(b, -1, &p, v, 4), 2);
    CHECK(v[0].iov_base == (void *)(r2 + 2) && v[0].iov_len == 2);
    /* From the end: nothing. */
    CHECK_INT(evbuffer_ptr_set(b, &p, 9, EVBUFFER_PTR_SET), 0);
    CHECK_INT(evbuffer_peek(b, -1, &p, v, 4), 0);
    CHECK_INT(evbuffer_peek(b, 5, &p, NULL, 0), 0);

    CHECK_INT(evbuffer_get_length(b), 9);
    evbuffer_free(b);
    return test_end();
}
