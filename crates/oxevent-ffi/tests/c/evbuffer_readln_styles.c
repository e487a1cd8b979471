/*
 * evbuffer_readln_styles.c: each end-of-line style of evbuffer_readln on
 * the same kinds of input: the line returned, its length, what is left;
 * NULL (and length 0) when no line is complete; an unknown style.
 */
#include "evbuffer_util.h"

static int line_is(struct evbuffer *b, enum evbuffer_eol_style st,
    const char *want)
{
    size_t n = 12345;
    char *line = evbuffer_readln(b, &n, st);
    int ok;
    if (want == NULL) {
        ok = line == NULL && n == 0;
    } else {
        ok = line != NULL && n == strlen(want) && memcmp(line, want, n) == 0 &&
            line[n] == '\0';
    }
    if (!ok)
        fprintf(stderr, "style %d: got %s (n %zu), want %s\n", (int)st,
            line ? line : "NULL", n, want ? want : "NULL");
    free(line);
    return ok;
}

int main(void)
{
    struct evbuffer *b;

    test_begin("evbuffer_readln_styles");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    /* ANY: any run of CR and LF. */
    evbuffer_add_printf(b, "a\r\n\r\nb\n\rc\rd");
    CHECK(line_is(b, EVBUFFER_EOL_ANY, "a"));
    CHECK(line_is(b, EVBUFFER_EOL_ANY, "b"));
    CHECK(line_is(b, EVBUFFER_EOL_ANY, "c"));
    CHECK(line_is(b, EVBUFFER_EOL_ANY, NULL));
    CHECK_BUF(b, "d");
    evbuffer_drain(b, 1);

    /* CRLF: LF with an optional CR before it. */
    evbuffer_add_printf(b, "one\r\ntwo\nthree\r\r\n\nfour\r");
    CHECK(line_is(b, EVBUFFER_EOL_CRLF, "one"));
    CHECK(line_is(b, EVBUFFER_EOL_CRLF, "two"));
    CHECK(line_is(b, EVBUFFER_EOL_CRLF, "three\r"));
    CHECK(line_is(b, EVBUFFER_EOL_CRLF, ""));
    CHECK(line_is(b, EVBUFFER_EOL_CRLF, NULL));
    CHECK_BUF(b, "four\r");
    evbuffer_drain(b, 5);

    /* CRLF_STRICT: exactly CR LF. */
    evbuffer_add_printf(b, "x\ny\r\nz\rw\r\n\r\n");
    CHECK(line_is(b, EVBUFFER_EOL_CRLF_STRICT, "x\ny"));
    CHECK(line_is(b, EVBUFFER_EOL_CRLF_STRICT, "z\rw"));
    CHECK(line_is(b, EVBUFFER_EOL_CRLF_STRICT, ""));
    CHECK(line_is(b, EVBUFFER_EOL_CRLF_STRICT, NULL));
    CHECK_INT(evbuffer_get_length(b), 0);

    /* LF only. */
    evbuffer_add_printf(b, "p\r\nq\n\nr");
    CHECK(line_is(b, EVBUFFER_EOL_LF, "p\r"));
    CHECK(line_is(b, EVBUFFER_EOL_LF, "q"));
    CHECK(line_is(b, EVBUFFER_EOL_LF, ""));
    CHECK(line_is(b, EVBUFFER_EOL_LF, NULL));
    evbuffer_drain(b, 1);

    /* NUL. */
    evbuffer_add(b, "k1\0k2\0\0tail", 11);
    CHECK(line_is(b, EVBUFFER_EOL_NUL, "k1"));
    CHECK(line_is(b, EVBUFFER_EOL_NUL, "k2"));
    CHECK(line_is(b, EVBUFFER_EOL_NUL, ""));
    CHECK(line_is(b, EVBUFFER_EOL_NUL, NULL));
    CHECK_BUF(b, "tail");

    /* An unknown style: NULL, nothing removed. */
    evbuffer_add(b, "\n", 1);
    CHECK(line_is(b, (enum evbuffer_eol_style)9, NULL));
    CHECK_BUF(b, "tail\n");

    /* NULL n_read_out is allowed; a line with an embedded NUL. */
    evbuffer_drain(b, 5);
    evbuffer_add(b, "a\0b\n", 4);
    {
        char *l = evbuffer_readln(b, NULL, EVBUFFER_EOL_LF);
        CHECK(l != NULL && l[0] == 'a' && l[1] == '\0' && l[2] == 'b');
        free(l);
    }
    CHECK_INT(evbuffer_get_length(b), 0);
    CHECK(line_is(b, EVBUFFER_EOL_LF, NULL));

    evbuffer_free(b);
    return test_end();
}
