/*
 * evbuffer_readline_compat.c: buffer_compat.h's evbuffer_readline (any run
 * of CR and LF ends a line), EVBUFFER_LENGTH and EVBUFFER_DATA.
 */
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    char *l;

    test_begin("evbuffer_readline_compat");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK(evbuffer_readline(b) == NULL);
    CHECK(EVBUFFER_DATA(b) == NULL);
    evbuffer_add_printf(b, "GET / HTTP/1.0\r\n\r\nHost: x\npartial");
    CHECK_INT(EVBUFFER_LENGTH(b), 33);
    CHECK(memcmp(EVBUFFER_DATA(b), "GET /", 5) == 0);
    l = evbuffer_readline(b);
    CHECK(l && strcmp(l, "GET / HTTP/1.0") == 0);
    free(l);
    l = evbuffer_readline(b);
    CHECK(l && strcmp(l, "Host: x") == 0);
    free(l);
    CHECK(evbuffer_readline(b) == NULL);
    CHECK_INT(EVBUFFER_LENGTH(b), 7);
    CHECK(memcmp(EVBUFFER_DATA(b), "partial", 7) == 0);

    evbuffer_free(b);
    return test_end();
}
