/*
 * evbuffer_pullup.c: making the first N bytes contiguous: across chunks
 * (references make separate chunks in both libraries), -1 for all, 0 and
 * more than buffered give NULL; the bytes and length are unchanged.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    unsigned char *p;
    static const char r1[] = "hel", r2[] = "lo, ", r3[] = "world";
    unsigned char big[9000];

    test_begin("evbuffer_pullup");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK(evbuffer_pullup(b, -1) == NULL);
    CHECK(evbuffer_pullup(b, 0) == NULL);
    CHECK(evbuffer_pullup(b, 1) == NULL);

    CHECK_INT(evbuffer_add_reference(b, r1, 3, NULL, NULL), 0);
    CHECK_INT(evbuffer_add_reference(b, r2, 4, NULL, NULL), 0);
    CHECK_INT(evbuffer_add_reference(b, r3, 5, NULL, NULL), 0);
    CHECK_INT(evbuffer_get_contiguous_space(b), 3);

    p = evbuffer_pullup(b, 3);
    CHECK(p != NULL && memcmp(p, "hel", 3) == 0);
    p = evbuffer_pullup(b, 5);
    CHECK(p != NULL && memcmp(p, "hello", 5) == 0);
    CHECK(evbuffer_get_contiguous_space(b) >= 5);
    CHECK_INT(evbuffer_get_length(b), 12);
    CHECK(evbuffer_pullup(b, 13) == NULL);
    CHECK(evbuffer_pullup(b, 0) == NULL);
    p = evbuffer_pullup(b, -1);
    CHECK(p != NULL && memcmp(p, "hello, world", 12) == 0);
    CHECK_INT(evbuffer_get_contiguous_space(b), 12);
    CHECK_BUF(b, "hello, world");

    /* Many chunks of added bytes. */
    CHECK_INT(evbuffer_drain(b, 12), 0);
    fill_pattern(big, sizeof(big), 17);
    {
        int i;
        for (i = 0; i < 9; i++)
            CHECK_INT(evbuffer_add(b, big + i * 1000, 1000), 0);
    }
    p = evbuffer_pullup(b, 8500);
    CHECK(p != NULL && memcmp(p, big, 8500) == 0);
    p = evbuffer_pullup(b, -1);
    CHECK(p != NULL && memcmp(p, big, sizeof(big)) == 0);
    CHECK_INT(evbuffer_get_length(b), sizeof(big));

    evbuffer_free(b);
    return test_end();
}
