/*
 * evbuffer_add_remove.c: evbuffer_add, evbuffer_remove and
 * evbuffer_get_length: bytes come out in order, partial removes, removing
 * more than is buffered, zero-length adds.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    char out[64];
    unsigned char big[70000], back[70000];
    int i;

    test_begin("evbuffer_add_remove");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK_INT(evbuffer_add(b, "hello, ", 7), 0);
    CHECK_INT(evbuffer_add(b, "world", 5), 0);
    CHECK_INT(evbuffer_add(b, "", 0), 0);
    CHECK_INT(evbuffer_get_length(b), 12);

    memset(out, 0, sizeof(out));
    CHECK_INT(evbuffer_remove(b, out, 5), 5);
    CHECK_STR(out, "hello");
    CHECK_INT(evbuffer_get_length(b), 7);
    CHECK_BUF(b, ", world");

    /* More than buffered: what there is. */
    memset(out, 0, sizeof(out));
    CHECK_INT(evbuffer_remove(b, out, sizeof(out)), 7);
    CHECK_STR(out, ", world");
    CHECK_INT(evbuffer_get_length(b), 0);
    CHECK_INT(evbuffer_remove(b, out, sizeof(out)), 0);
    CHECK_INT(evbuffer_remove(b, out, 0), 0);

    /* A large add and a remove in pieces that cut across chunks. */
    fill_pattern(big, sizeof(big), 1);
    CHECK_INT(evbuffer_add(b, big, sizeof(big)), 0);
    for (i = 0; i < (int)sizeof(back);) {
        int want = 1 + (i % 4093);
        int got = evbuffer_remove(b, back + i, (size_t)want);
        CHECK(got > 0);
        if (got <= 0)
            break;
        i += got;
    }
    CHECK(memcmp(big, back, sizeof(big)) == 0);
    CHECK_INT(evbuffer_get_length(b), 0);

    /* Many small adds, then one remove of everything. */
    for (i = 0; i < 1000; i++)
        CHECK_INT(evbuffer_add(b, big + i * 16, 16), 0);
    CHECK_INT(evbuffer_get_length(b), 16000);
    CHECK_INT(evbuffer_remove(b, back, sizeof(back)), 16000);
    CHECK(memcmp(big, back, 16000) == 0);

    evbuffer_free(b);
    return test_end();
}
