/*
 * evbuffer_remove_buffer.c: moving up to N bytes from the start of one
 * buffer to the end of another: partial moves (whole chunks and a split
 * one), more than buffered, zero bytes, a buffer onto itself.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *src, *dst;
    unsigned char big[30000];
    static const char r1[] = "0123456789", r2[] = "abcdefghij";
    size_t moved = 0;

    test_begin("evbuffer_remove_buffer");
    src = evbuffer_new();
    dst = evbuffer_new();
    REQUIRE(src && dst);

    CHECK_INT(evbuffer_add_reference(src, r1, 10, NULL, NULL), 0);
    CHECK_INT(evbuffer_add_reference(src, r2, 10, NULL, NULL), 0);
    CHECK_INT(evbuffer_add(src, "XYZ", 3), 0);

    CHECK_INT(evbuffer_remove_buffer(src, dst, 0), 0);
    CHECK_INT(evbuffer_remove_buffer(src, src, 5), 0);
    CHECK_INT(evbuffer_get_length(src), 23);

    /* A split inside the first chunk. */
    CHECK_INT(evbuffer_remove_buffer(src, dst, 4), 4);
    CHECK_BUF(dst, "0123");
    /* The rest of the first chunk plus part of the second. */
    CHECK_INT(evbuffer_remove_buffer(src, dst, 9), 9);
    CHECK_BUF(dst, "0123456789abc");
    CHECK_BUF(src, "defghijXYZ");
    /* More than buffered: everything. */
    CHECK_INT(evbuffer_remove_buffer(src, dst, 1000), 10);
    CHECK_BUF(dst, "0123456789abcdefghijXYZ");
    CHECK_INT(evbuffer_get_length(src), 0);
    CHECK_INT(evbuffer_remove_buffer(src, dst, 10), 0);

    /* Moving a big buffer through in odd-sized pieces keeps every byte. */
    fill_pattern(big, sizeof(big), 13);
    CHECK_INT(evbuffer_drain(dst, 23), 0);
    CHECK_INT(evbuffer_add(src, big, sizeof(big)), 0);
    while (evbuffer_get_length(src) > 0) {
        int n = evbuffer_remove_buffer(src, dst, 777);
        CHECK(n > 0);
        if (n <= 0)
            break;
        moved += (size_t)n;
    }
    CHECK_INT(moved, sizeof(big));
    CHECK(buf_is(dst, big, sizeof(big)));

    evbuffer_free(src);
    evbuffer_free(dst);
    return test_end();
}
