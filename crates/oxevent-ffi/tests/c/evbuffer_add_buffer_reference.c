/*
 * evbuffer_add_buffer_reference.c: appending references to another
 * buffer's bytes: the source keeps its bytes, both read the same, appending
 * to the source afterwards does not reach the copy; referencing a buffer
 * that itself holds such references, or itself, is refused.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *tmpl, *reply, *again;
    int cleaned = 0;
    static const char ref[] = "-static-";

    test_begin("evbuffer_add_buffer_reference");
    tmpl = evbuffer_new();
    reply = evbuffer_new();
    again = evbuffer_new();
    REQUIRE(tmpl && reply && again);

    /* An empty source: nothing to do, even onto itself. */
    CHECK_INT(evbuffer_add_buffer_reference(reply, tmpl), 0);
    CHECK_INT(evbuffer_add_buffer_reference(tmpl, tmpl), 0);

    CHECK_INT(evbuffer_add(tmpl, "HTTP/1.1 200 OK\r\n", 17), 0);
    CHECK_INT(evbuffer_add_reference(tmpl, ref, 8, count_cleanup, &cleaned), 0);
    CHECK_INT(evbuffer_add_buffer_reference(reply, tmpl), 0);
    CHECK_BUF(reply, "HTTP/1.1 200 OK\r\n-static-");
    CHECK_BUF(tmpl, "HTTP/1.1 200 OK\r\n-static-");

    /* Appending to either side afterwards stays on that side. */
    CHECK_INT(evbuffer_add(tmpl, "more", 4), 0);
    CHECK_INT(evbuffer_add(reply, "body", 4), 0);
    CHECK_BUF(tmpl, "HTTP/1.1 200 OK\r\n-static-more");
    CHECK_BUF(reply, "HTTP/1.1 200 OK\r\n-static-body");

    /* A reference of a reference, and a buffer onto itself: refused. */
    CHECK_INT(evbuffer_add_buffer_reference(again, reply), -1);
    CHECK_INT(evbuffer_get_length(again), 0);
    CHECK_INT(evbuffer_add_buffer_reference(tmpl, tmpl), -1);

    /* The referenced memory is released when both buffers let go. */
    CHECK_INT(evbuffer_drain(tmpl, evbuffer_get_length(tmpl)), 0);
    CHECK_INT(cleaned, 0);
    CHECK_BUF(reply, "HTTP/1.1 200 OK\r\n-static-body");
    CHECK_INT(evbuffer_drain(reply, evbuffer_get_length(reply)), 0);
    CHECK_INT(cleaned, 1);

    evbuffer_free(again);
    evbuffer_free(reply);
    evbuffer_free(tmpl);
    return test_end();
}
