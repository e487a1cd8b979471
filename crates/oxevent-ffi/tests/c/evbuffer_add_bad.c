/*
 * evbuffer_add_bad: adds that cannot fit are refused and change nothing:
 * SIZE_MAX bytes, and any length that would overflow the buffer's total;
 * a NULL pointer with 0 bytes adds nothing and succeeds. Draining more
 * than is there empties the buffer (0); removing into 0 bytes gives 0.
 */
#include "evbuffer_util.h"
#include <stdint.h>

int main(void)
{
    struct evbuffer *b;
    char out[4];

    test_begin("evbuffer_add_bad");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK_INT(evbuffer_add(b, "abc", SIZE_MAX), -1);
    CHECK_INT(evbuffer_get_length(b), 0);
    CHECK_INT(evbuffer_add(b, "abc", 3), 0);
    CHECK_INT(evbuffer_add(b, "abc", SIZE_MAX), -1);
    CHECK_INT(evbuffer_add(b, "abc", SIZE_MAX - 2), -1);
    CHECK_BUF(b, "abc");
    CHECK_INT(evbuffer_add(b, NULL, 0), 0);
    CHECK_BUF(b, "abc");

    CHECK_INT(evbuffer_remove(b, out, 0), 0);
    CHECK_INT(evbuffer_drain(b, SIZE_MAX), 0);
    CHECK_INT(evbuffer_get_length(b), 0);
    CHECK_INT(evbuffer_remove(b, out, sizeof(out)), 0);
    CHECK_INT(evbuffer_drain(b, 1), 0);

    /* Still usable. */
    CHECK_INT(evbuffer_add(b, "ok", 2), 0);
    CHECK_BUF(b, "ok");
    evbuffer_free(b);
    return test_end();
}
