/*
 * evbuffer_drain.c: draining part of a buffer, all of it, more than all of
 * it (libevent empties the buffer and returns 0), and an empty buffer.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    unsigned char big[10000];
    int cleaned = 0;
    static const char ref[] = "reference";

    test_begin("evbuffer_drain");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK_INT(evbuffer_drain(b, 10), 0);
    CHECK_INT(evbuffer_add(b, "0123456789", 10), 0);
    CHECK_INT(evbuffer_drain(b, 0), 0);
    CHECK_INT(evbuffer_drain(b, 3), 0);
    CHECK_BUF(b, "3456789");
    CHECK_INT(evbuffer_drain(b, 7), 0);
    CHECK_INT(evbuffer_get_length(b), 0);

    /* Past the end: emptied, 0. */
    CHECK_INT(evbuffer_add(b, "abc", 3), 0);
    CHECK_INT(evbuffer_drain(b, 1000), 0);
    CHECK_INT(evbuffer_get_length(b), 0);
    CHECK_INT(evbuffer_add(b, "abc", 3), 0);
    CHECK_INT(evbuffer_drain(b, (size_t)-1), 0);
    CHECK_INT(evbuffer_get_length(b), 0);

    /* Across chunks, a reference released exactly when its last byte goes. */
    fill_pattern(big, sizeof(big), 3);
    CHECK_INT(evbuffer_add(b, big, 100), 0);
    CHECK_INT(evbuffer_add_reference(b, ref, 9, count_cleanup, &cleaned), 0);
    CHECK_INT(evbuffer_add(b, big, sizeof(big)), 0);
    CHECK_INT(evbuffer_drain(b, 105), 0);
    CHECK_INT(cleaned, 0);
    CHECK_INT(evbuffer_drain(b, 4), 0);
    CHECK_INT(cleaned, 1);
    CHECK(buf_is(b, big, sizeof(big)));
    CHECK_INT(evbuffer_drain(b, sizeof(big) - 1), 0);
    CHECK_INT(evbuffer_get_length(b), 1);
    CHECK(buf_is(b, big + sizeof(big) - 1, 1));

    evbuffer_free(b);
    return test_end();
}
