/*
 * evbuffer_readln_chunks.c: lines and ends of line that cross chunk
 * boundaries (references make separate chunks in both libraries), lines
 * completed by later adds, and many short lines.
 */
#include "evbuffer_util.h"

static char *rl(struct evbuffer *b, enum evbuffer_eol_style st, size_t *n)
{
    return evbuffer_readln(b, n, st);
}

int main(void)
{
    struct evbuffer *b;
    char *l;
    size_t n;
    int i;

    test_begin("evbuffer_readln_chunks");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    /* CR at the end of one chunk, LF at the start of the next. */
    evbuffer_add_reference(b, "first\r", 6, NULL, NULL);
    evbuffer_add_reference(b, "\nsecond", 7, NULL, NULL);
    l = rl(b, EVBUFFER_EOL_CRLF, &n);
    CHECK(l && n == 5 && strcmp(l, "first") == 0);
    free(l);
    l = rl(b, EVBUFFER_EOL_CRLF, &n);
    CHECK(l == NULL && n == 0);
    evbuffer_add_reference(b, "\r", 1, NULL, NULL);
    evbuffer_add_reference(b, "\n", 1, NULL, NULL);
    l = rl(b, EVBUFFER_EOL_CRLF_STRICT, &n);
    CHECK(l && n == 6 && strcmp(l, "second") == 0);
    free(l);
    CHECK_INT(evbuffer_get_length(b), 0);

    /* A CR LF run across chunks with ANY. */
    evbuffer_add_reference(b, "x\r", 2, NULL, NULL);
    evbuffer_add_reference(b, "\r\n", 2, NULL, NULL);
    evbuffer_add_reference(b, "\ny", 2, NULL, NULL);
    l = rl(b, EVBUFFER_EOL_ANY, &n);
    CHECK(l && strcmp(l, "x") == 0);
    free(l);
    CHECK_BUF(b, "y");

    /* A line built by many small adds. */
    for (i = 0; i < 500; i++) {
        evbuffer_add(b, "abcdefgh", 8);
        l = rl(b, EVBUFFER_EOL_LF, &n);
        CHECK(l == NULL);
        free(l);
    }
    evbuffer_add(b, "\n", 1);
    l = rl(b, EVBUFFER_EOL_LF, &n);
    CHECK(l && n == 4001 && l[0] == 'y' && l[4000] == 'h');
    free(l);

    /* Many short lines. */
    for (i = 0; i < 10000; i++)
        evbuffer_add_printf(b, "line %d\r\n", i);
    for (i = 0; i < 10000; i++) {
        char want[32];
        snprintf(want, sizeof(want), "line %d", i);
        l = rl(b, EVBUFFER_EOL_CRLF, &n);
        CHECK(l && strcmp(l, want) == 0 && n == strlen(want));
        free(l);
    }
    CHECK_INT(evbuffer_get_length(b), 0);

    evbuffer_free(b);
    return test_end();
}
