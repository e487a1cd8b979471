/*
 * evbuffer_copyout.c: evbuffer_copyout leaves the bytes in place, copies at
 * most what is buffered, and reads across chunk boundaries.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    char out[32];
    static const char r1[] = "abc", r2[] = "defgh";

    test_begin("evbuffer_copyout");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK_INT(evbuffer_copyout(b, out, sizeof(out)), 0);
    /* Two references make two chunks in both libraries. */
    CHECK_INT(evbuffer_add_reference(b, r1, 3, NULL, NULL), 0);
    CHECK_INT(evbuffer_add_reference(b, r2, 5, NULL, NULL), 0);
    CHECK_INT(evbuffer_add(b, "ij", 2), 0);

    memset(out, 0, sizeof(out));
    CHECK_INT(evbuffer_copyout(b, out, 5), 5);
    CHECK_STR(out, "abcde");
    CHECK_INT(evbuffer_get_length(b), 10);

    memset(out, 0, sizeof(out));
    CHECK_INT(evbuffer_copyout(b, out, sizeof(out)), 10);
    CHECK_STR(out, "abcdefghij");
    CHECK_INT(evbuffer_copyout(b, out, 0), 0);

    CHECK_INT(evbuffer_drain(b, 4), 0);
    memset(out, 0, sizeof(out));
    CHECK_INT(evbuffer_copyout(b, out, 3), 3);
    CHECK_STR(out, "efg");
    CHECK_BUF(b, "efghij");

    evbuffer_free(b);
    return test_end();
}
