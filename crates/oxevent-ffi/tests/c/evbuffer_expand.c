/*
 * evbuffer_expand.c: evbuffer_expand makes room without adding bytes; the
 * bytes added afterwards are intact; a size beyond memory is refused (-1)
 * and changes nothing.
 */
#include "evbuffer_util.h"
#include <stdint.h>

int main(void)
{
    struct evbuffer *b;
    unsigned char big[50000];

    test_begin("evbuffer_expand");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK_INT(evbuffer_expand(b, 0), 0);
    CHECK_INT(evbuffer_expand(b, 1000), 0);
    CHECK_INT(evbuffer_get_length(b), 0);
    CHECK_INT(evbuffer_add(b, "abc", 3), 0);
    CHECK_INT(evbuffer_expand(b, 40000), 0);
    CHECK_INT(evbuffer_get_length(b), 3);
    fill_pattern(big, sizeof(big), 7);
    CHECK_INT(evbuffer_add(b, big, 40000), 0);
    CHECK_INT(evbuffer_drain(b, 3), 0);
    CHECK(buf_is(b, big, 40000));

    /* Beyond what memory (or a buffer) can hold. */
    CHECK_INT(evbuffer_expand(b, SIZE_MAX), -1);
    CHECK_INT(evbuffer_expand(b, SIZE_MAX / 2), -1);
    CHECK_INT(evbuffer_get_length(b), 40000);
    CHECK(buf_is(b, big, 40000));
    CHECK_INT(evbuffer_add(b, "z", 1), 0);
    CHECK_INT(evbuffer_get_length(b), 40001);

    evbuffer_free(b);
    return test_end();
}
