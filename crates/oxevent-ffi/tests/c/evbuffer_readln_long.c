/*
 * evbuffer_readln_long.c: a 100 MB line, arriving in 1 MB pieces with a
 * failed evbuffer_readln after each: the line comes out whole, once.
 */
#include "evbuffer_util.h"

#define PIECE (1u << 20)
#define PIECES 100

int main(void)
{
    struct evbuffer *b;
    unsigned char *piece;
    char *l;
    size_t n = 1;
    int i;

    test_begin("evbuffer_readln_long");
    b = evbuffer_new();
    piece = malloc(PIECE);
    REQUIRE(b && piece);
    memset(piece, 'x', PIECE);
    piece[0] = 'A';
    for (i = 0; i < PIECES; i++) {
        CHECK_INT(evbuffer_add(b, piece, PIECE), 0);
        l = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF);
        CHECK(l == NULL && n == 0);
        free(l);
    }
    CHECK_INT(evbuffer_add(b, "\r\nnext", 6), 0);
    l = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF);
    CHECK(l != NULL);
    CHECK_INT(n, (size_t)PIECE * PIECES);
    if (l) {
        CHECK(l[0] == 'A' && l[PIECE] == 'A' && l[n - 1] == 'x' && l[n] == '\0');
        free(l);
    }
    CHECK_BUF(b, "next");
    free(piece);
    evbuffer_free(b);
    return test_end();
}
