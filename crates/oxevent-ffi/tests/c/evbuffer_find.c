/*
 * evbuffer_find (buffer_compat.h): a pointer to the first match in the
 * buffer's (now contiguous) bytes, across chunk boundaries; NULL when the
 * bytes are not there, on an empty buffer, or for a needle longer than the
 * buffer.
 */
#include "evbuffer_util.h"
#include <event2/buffer_compat.h>

int main(void)
{
    struct evbuffer *b;
    unsigned char *p, *start;
    unsigned char big[20000];
    int i;

    test_begin("evbuffer_find");
    b = evbuffer_new();
    REQUIRE(b != NULL);
    CHECK(evbuffer_find(b, (const unsigned char *)"x", 1) == NULL);

    CHECK_INT(evbuffer_add(b, "hello ", 6), 0);
    CHECK_INT(evbuffer_add(b, "wor", 3), 0);
    CHECK_INT(evbuffer_add(b, "ld, world", 9), 0);
    /* evbuffer_find makes the bytes up to the match contiguous; pulling
     * the whole buffer up first keeps the pointers comparable. */
    start = evbuffer_pullup(b, -1);
    p = evbuffer_find(b, (const unsigned char *)"world", 5);
    CHECK(p != NULL && start != NULL && p == start + 6);
    p = evbuffer_find(b, (const unsigned char *)"hello", 5);
    CHECK(p != NULL && p == evbuffer_pullup(b, -1));
    CHECK(evbuffer_find(b, (const unsigned char *)"worlds", 6) == NULL);
    CHECK(evbuffer_find(b, (const unsigned char *)"hello world, world!", 19) == NULL);
    CHECK_BUF(b, "hello world, world");

    /* A needle straddling two large pieces. */
    evbuffer_drain(b, evbuffer_get_length(b));
    memset(big, 'a', sizeof(big));
    for (i = 0; i < 3; i++)
        CHECK_INT(evbuffer_add(b, big, sizeof(big)), 0);
    CHECK_INT(evbuffer_add(b, "NEEDLE", 6), 0);
    CHECK_INT(evbuffer_add(b, big, sizeof(big)), 0);
    p = evbuffer_find(b, (const unsigned char *)"aNEED", 5);
    CHECK(p != NULL && memcmp(p, "aNEED", 5) == 0);
    start = evbuffer_pullup(b, -1);
    p = evbuffer_find(b, (const unsigned char *)"aNEED", 5);
    CHECK(p != NULL && p == start + 3 * sizeof(big) - 1);
    CHECK_INT(evbuffer_get_length(b), 4 * sizeof(big) + 6);

    evbuffer_free(b);
    return test_end();
}
