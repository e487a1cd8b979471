/*
 * evbuffer_search_range.c: a match must end at or before the end position;
 * start and end in different chunks; a start past the end.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_ptr s, e, p;

    test_begin("evbuffer_search_range");
    b = evbuffer_new();
    REQUIRE(b != NULL);
    evbuffer_add_reference(b, "xxab", 4, NULL, NULL);
    evbuffer_add_reference(b, "xxabxx", 6, NULL, NULL);
    evbuffer_add(b, "ab", 2);

    CHECK_INT(evbuffer_ptr_set(b, &e, 3, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_range(b, "ab", 2, NULL, &e);
    CHECK_INT(p.pos, -1);
    CHECK_INT(evbuffer_ptr_set(b, &e, 4, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_range(b, "ab", 2, NULL, &e);
    CHECK_INT(p.pos, 2);

    CHECK_INT(evbuffer_ptr_set(b, &s, 3, EVBUFFER_PTR_SET), 0);
    CHECK_INT(evbuffer_ptr_set(b, &e, 8, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_range(b, "ab", 2, &s, &e);
    CHECK_INT(p.pos, 6);
    CHECK_INT(evbuffer_ptr_set(b, &e, 7, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_range(b, "ab", 2, &s, &e);
    CHECK_INT(p.pos, -1);

    /* NULL end: to the end of the buffer. */
    CHECK_INT(evbuffer_ptr_set(b, &s, 7, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_range(b, "ab", 2, &s, NULL);
    CHECK_INT(p.pos, 10);
    CHECK_INT(evbuffer_ptr_set(b, &e, 12, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_range(b, "ab", 2, &s, &e);
    CHECK_INT(p.pos, 10);
    /* The end position before the start. */
    CHECK_INT(evbuffer_ptr_set(b, &e, 2, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_range(b, "ab", 2, &s, &e);
    CHECK_INT(p.pos, -1);

    evbuffer_free(b);
    return test_end();
}
