/*
 * evbuffer_prepend_buffer.c: moving every byte of src before the first byte
 * of dst: into an empty and a non-empty buffer, from an empty buffer, onto
 * itself.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *dst, *src;

    test_begin("evbuffer_prepend_buffer");
    dst = evbuffer_new();
    src = evbuffer_new();
    REQUIRE(dst && src);

    CHECK_INT(evbuffer_add(src, "payload", 7), 0);
    CHECK_INT(evbuffer_prepend_buffer(dst, src), 0);
    CHECK_BUF(dst, "payload");
    CHECK_INT(evbuffer_get_length(src), 0);

    CHECK_INT(evbuffer_add(src, "7:", 2), 0);
    CHECK_INT(evbuffer_prepend_buffer(dst, src), 0);
    CHECK_BUF(dst, "7:payload");
    CHECK_INT(evbuffer_get_length(src), 0);

    CHECK_INT(evbuffer_prepend_buffer(dst, src), 0);
    CHECK_INT(evbuffer_prepend_buffer(dst, dst), 0);
    CHECK_BUF(dst, "7:payload");

    /* Drained front, then a prepend of a multi-chunk buffer. */
    CHECK_INT(evbuffer_drain(dst, 2), 0);
    CHECK_INT(evbuffer_add_reference(src, "ref-", 4, NULL, NULL), 0);
    CHECK_INT(evbuffer_add(src, "copy-", 5), 0);
    CHECK_INT(evbuffer_prepend_buffer(dst, src), 0);
    CHECK_BUF(dst, "ref-copy-payload");
    CHECK_INT(evbuffer_add(dst, "!", 1), 0);
    CHECK_BUF(dst, "ref-copy-payload!");

    evbuffer_free(dst);
    evbuffer_free(src);
    return test_end();
}
