/*
 * evbuffer_search_eol.c: where the next end of line starts and how long it
 * is, for each style, from the start and from positions; none found: -1
 * and length 0; a CRLF whose LF is at the start position is an LF alone.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_ptr p, s;
    size_t n;

    test_begin("evbuffer_search_eol");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    n = 99;
    p = evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_LF);
    CHECK_INT(p.pos, -1);
    CHECK_INT(n, 0);

    evbuffer_add_printf(b, "one\r\ntwo\n\r\nthree\r\r\nend");
    p = evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_CRLF);
    CHECK_INT(p.pos, 3);
    CHECK_INT(n, 2);
    p = evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_LF);
    CHECK_INT(p.pos, 4);
    CHECK_INT(n, 1);
    p = evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_ANY);
    CHECK_INT(p.pos, 3);
    CHECK_INT(n, 2);
    p = evbuffer_search_eol(b, NULL, NULL, EVBUFFER_EOL_CRLF_STRICT);
    CHECK_INT(p.pos, 3);

    /* From position 4 (the LF of the first CRLF): an LF of length 1. */
    CHECK_INT(evbuffer_ptr_set(b, &s, 4, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_eol(b, &s, &n, EVBUFFER_EOL_CRLF);
    CHECK_INT(p.pos, 4);
    CHECK_INT(n, 1);
    p = evbuffer_search_eol(b, &s, &n, EVBUFFER_EOL_CRLF_STRICT);
    CHECK_INT(p.pos, 9);
    CHECK_INT(n, 2);

    /* ANY from "two": the run "\n\r\n" is one end of line. */
    CHECK_INT(evbuffer_ptr_set(b, &s, 5, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_eol(b, &s, &n, EVBUFFER_EOL_ANY);
    CHECK_INT(p.pos, 8);
    CHECK_INT(n, 3);

    /* "three\r\r\n": CRLF finds the CR right before the LF. */
    CHECK_INT(evbuffer_ptr_set(b, &s, 11, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_eol(b, &s, &n, EVBUFFER_EOL_CRLF);
    CHECK_INT(p.pos, 17);
    CHECK_INT(n, 2);
    p = evbuffer_search_eol(b, &s, &n, EVBUFFER_EOL_ANY);
    CHECK_INT(p.pos, 16);
    CHECK_INT(n, 3);

    /* Past the last end of line, and NUL which is absent. */
    CHECK_INT(evbuffer_ptr_set(b, &s, 19, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_eol(b, &s, &n, EVBUFFER_EOL_ANY);
    CHECK_INT(p.pos, -1);
    CHECK_INT(n, 0);
    p = evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_NUL);
    CHECK_INT(p.pos, -1);
    CHECK_INT(n, 0);

    /* The buffer is untouched. */
    CHECK_INT(evbuffer_get_length(b), 22);

    evbuffer_free(b);
    return test_end();
}
