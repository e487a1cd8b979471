/*
 * evbuffer_printf.c: evbuffer_add_printf and evbuffer_add_vprintf append
 * formatted text and return its length, short and long (past any stack
 * buffer), empty formats, a frozen end (-1).
 */
#include "evbuffer_util.h"
#include <stdarg.h>

static int vp(struct evbuffer *b, const char *fmt, ...)
{
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = evbuffer_add_vprintf(b, fmt, ap);
    va_end(ap);
    return r;
}

int main(void)
{
    struct evbuffer *b;
    char longs[5000];
    char *line;
    size_t n;

    test_begin("evbuffer_printf");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK_INT(evbuffer_add_printf(b, "%d-%s-%c", 42, "x", 'y'), 6);
    CHECK_BUF(b, "42-x-y");
    CHECK_INT(evbuffer_add_printf(b, "%s", ""), 0);
    CHECK_INT(vp(b, "[%05d]", 7), 7);
    CHECK_BUF(b, "42-x-y[00007]");
    CHECK_INT(evbuffer_drain(b, 13), 0);

    memset(longs, 'L', sizeof(longs) - 1);
    longs[sizeof(longs) - 1] = '\0';
    CHECK_INT(evbuffer_add_printf(b, "<%s>\n", longs), (int)sizeof(longs) + 2);
    CHECK_INT(vp(b, "%s%s", longs, longs), 2 * ((int)sizeof(longs) - 1));
    line = evbuffer_readln(b, &n, EVBUFFER_EOL_LF);
    CHECK(line != NULL);
    CHECK_INT(n, sizeof(longs) + 1);
    if (line) {
        CHECK(line[0] == '<' && line[n - 1] == '>' && line[1] == 'L');
        free(line);
    }
    CHECK_INT(evbuffer_get_length(b), 2 * (sizeof(longs) - 1));

    CHECK_INT(evbuffer_freeze(b, 0), 0);
    CHECK_INT(evbuffer_add_printf(b, "%d", 1), -1);
    CHECK_INT(vp(b, "%d", 1), -1);
    CHECK_INT(evbuffer_unfreeze(b, 0), 0);
    CHECK_INT(evbuffer_add_printf(b, "%d", 1), 1);

    evbuffer_free(b);
    return test_end();
}
