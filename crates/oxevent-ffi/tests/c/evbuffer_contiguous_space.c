/*
 * evbuffer_contiguous_space.c: evbuffer_get_contiguous_space is the first
 * chunk's length: 0 when empty, a reference's own length, everything after
 * a full pullup.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    static const char ref[] = "0123456789";

    test_begin("evbuffer_contiguous_space");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK_INT(evbuffer_get_contiguous_space(b), 0);
    CHECK_INT(evbuffer_add(b, "abc", 3), 0);
    CHECK_INT(evbuffer_get_contiguous_space(b), 3);
    CHECK_INT(evbuffer_drain(b, 3), 0);
    CHECK_INT(evbuffer_get_contiguous_space(b), 0);

    CHECK_INT(evbuffer_add_reference(b, ref, 10, NULL, NULL), 0);
    CHECK_INT(evbuffer_add(b, "tail", 4), 0);
    CHECK_INT(evbuffer_get_contiguous_space(b), 10);
    CHECK_INT(evbuffer_drain(b, 4), 0);
    CHECK_INT(evbuffer_get_contiguous_space(b), 6);
    CHECK(evbuffer_pullup(b, -1) != NULL);
    CHECK_INT(evbuffer_get_contiguous_space(b), 10);
    CHECK_INT(evbuffer_get_length(b), 10);

    evbuffer_free(b);
    return test_end();
}
