/*
 * evbuffer_add_iovec.c: appending several extents at once; the return value
 * is the number of bytes added; empty extents and n_vec 0.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_iovec v[4];
    unsigned char big[20000];

    test_begin("evbuffer_add_iovec");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    v[0].iov_base = (void *)"head:";
    v[0].iov_len = 5;
    v[1].iov_base = (void *)"";
    v[1].iov_len = 0;
    v[2].iov_base = (void *)"body";
    v[2].iov_len = 4;
    CHECK_INT(evbuffer_add_iovec(b, v, 3), 9);
    CHECK_BUF(b, "head:body");
    CHECK_INT(evbuffer_add_iovec(b, v, 0), 0);
    CHECK_BUF(b, "head:body");

    fill_pattern(big, sizeof(big), 23);
    v[0].iov_base = big;
    v[0].iov_len = 10000;
    v[1].iov_base = big + 10000;
    v[1].iov_len = 1;
    v[2].iov_base = big + 10001;
    v[2].iov_len = 9999;
    CHECK_INT(evbuffer_add_iovec(b, v, 3), 20000);
    CHECK_INT(evbuffer_drain(b, 9), 0);
    CHECK(buf_is(b, big, sizeof(big)));

    evbuffer_free(b);
    return test_end();
}
