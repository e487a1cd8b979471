/*
 * evbuffer_add_buffer.c: moving every byte of one buffer to the end of
 * another: into an empty and a non-empty buffer, from an empty buffer, a
 * buffer onto itself (0, nothing happens), large contents.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *a, *b;
    unsigned char big[100000];
    int i;

    test_begin("evbuffer_add_buffer");
    a = evbuffer_new();
    b = evbuffer_new();
    REQUIRE(a && b);

    CHECK_INT(evbuffer_add(b, "body", 4), 0);
    CHECK_INT(evbuffer_add_buffer(a, b), 0);
    CHECK_BUF(a, "body");
    CHECK_INT(evbuffer_get_length(b), 0);

    CHECK_INT(evbuffer_add(b, "-tail", 5), 0);
    CHECK_INT(evbuffer_add_buffer(a, b), 0);
    CHECK_BUF(a, "body-tail");
    CHECK_INT(evbuffer_get_length(b), 0);

    /* From an empty buffer, onto itself. */
    CHECK_INT(evbuffer_add_buffer(a, b), 0);
    CHECK_INT(evbuffer_add_buffer(a, a), 0);
    CHECK_BUF(a, "body-tail");

    /* The source is usable afterwards. */
    CHECK_INT(evbuffer_add(b, "again", 5), 0);
    CHECK_BUF(b, "again");

    /* Big contents built from many adds move whole. */
    fill_pattern(big, sizeof(big), 11);
    CHECK_INT(evbuffer_drain(a, 9), 0);
    CHECK_INT(evbuffer_drain(b, 5), 0);
    for (i = 0; i < 100; i++)
        CHECK_INT(evbuffer_add(b, big + i * 1000, 1000), 0);
    CHECK_INT(evbuffer_add(a, "x", 1), 0);
    CHECK_INT(evbuffer_add_buffer(a, b), 0);
    CHECK_INT(evbuffer_get_length(a), sizeof(big) + 1);
    CHECK_INT(evbuffer_drain(a, 1), 0);
    CHECK(buf_is(a, big, sizeof(big)));

    /* Ping-pong: the bytes survive many moves. */
    for (i = 0; i < 50; i++) {
        CHECK_INT(evbuffer_add_buffer(b, a), 0);
        CHECK_INT(evbuffer_add_buffer(a, b), 0);
    }
    CHECK(buf_is(a, big, sizeof(big)));

    evbuffer_free(a);
    evbuffer_free(b);
    return test_end();
}
