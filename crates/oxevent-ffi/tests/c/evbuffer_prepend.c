/*
 * evbuffer_prepend.c: bytes inserted before the first byte, into an empty
 * buffer, a buffer with room at its front (after a drain), and a buffer
 * without; large prepends.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    unsigned char big[20000], back[20010];

    test_begin("evbuffer_prepend");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK_INT(evbuffer_prepend(b, "world", 5), 0);
    CHECK_BUF(b, "world");
    CHECK_INT(evbuffer_prepend(b, ", ", 2), 0);
    CHECK_INT(evbuffer_prepend(b, "hello", 5), 0);
    CHECK_BUF(b, "hello, world");
    CHECK_INT(evbuffer_prepend(b, "", 0), 0);
    CHECK_BUF(b, "hello, world");

    /* Room made at the front by a drain. */
    CHECK_INT(evbuffer_drain(b, 7), 0);
    CHECK_INT(evbuffer_prepend(b, "WORLD? ", 7), 0);
    CHECK_BUF(b, "WORLD? world");

    /* A prepend larger than any chunk. */
    fill_pattern(big, sizeof(big), 5);
    CHECK_INT(evbuffer_prepend(b, big, sizeof(big)), 0);
    CHECK_INT(evbuffer_get_length(b), sizeof(big) + 12);
    CHECK_INT(evbuffer_remove(b, back, sizeof(back)), (int)sizeof(big) + 10);
    CHECK(memcmp(back, big, sizeof(big)) == 0);
    CHECK(memcmp(back + sizeof(big), "WORLD? wor", 10) == 0);
    CHECK_BUF(b, "ld");

    evbuffer_free(b);
    return test_end();
}
