/*
 * evbuffer_reserve_space / evbuffer_commit_space: writing into reserved
 * room and committing some or all of it, with one or two extents;
 * reserving twice gives the same room; committing nothing.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_iovec v[2], w[2];
    int n, i;
    size_t total;
    unsigned char big[6000];

    test_begin("evbuffer_reserve_commit");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    n = evbuffer_reserve_space(b, 10, v, 1);
    CHECK_INT(n, 1);
    CHECK(v[0].iov_len >= 10);
    memcpy(v[0].iov_base, "0123456789", 10);
    v[0].iov_len = 4;
    CHECK_INT(evbuffer_commit_space(b, v, 1), 0);
    CHECK_BUF(b, "0123");

    /* The same room twice, then commit it all. */
    n = evbuffer_reserve_space(b, 8, v, 1);
    CHECK_INT(n, 1);
    CHECK_INT(evbuffer_reserve_space(b, 8, w, 1), 1);
    CHECK(w[0].iov_base == v[0].iov_base);
    memcpy(v[0].iov_base, "abcdefgh", 8);
    v[0].iov_len = 8;
    CHECK_INT(evbuffer_commit_space(b, v, 1), 0);
    CHECK_BUF(b, "0123abcdefgh");

    /* Committing zero extents: fine, nothing added. */
    CHECK_INT(evbuffer_commit_space(b, v, 0), 0);
    CHECK_INT(evbuffer_get_length(b), 12);

    /* Up to two extents for a large reservation. */
    n = evbuffer_reserve_space(b, (ev_ssize_t)sizeof(big), v, 2);
    CHECK(n == 1 || n == 2);
    total = 0;
    for (i = 0; i < n; i++)
        total += v[i].iov_len;
    CHECK(total >= sizeof(big));
    fill_pattern(big, sizeof(big), 19);
    {
        size_t left = sizeof(big), off = 0;
        for (i = 0; i < n; i++) {
            size_t k = v[i].iov_len < left ? v[i].iov_len : left;
            memcpy(v[i].iov_base, big + off, k);
            v[i].iov_len = k;
            off += k;
            left -= k;
        }
    }
    CHECK_INT(evbuffer_commit_space(b, v, n), 0);
    CHECK_INT(evbuffer_get_length(b), 12 + sizeof(big));
    CHECK_INT(evbuffer_drain(b, 12), 0);
    CHECK(buf_is(b, big, sizeof(big)));

    /* A zero-byte reservation with one extent. */
    CHECK_INT(evbuffer_reserve_space(b, 0, v, 1), 1);
    v[0].iov_len = 0;
    CHECK_INT(evbuffer_commit_space(b, v, 1), 0);
    CHECK_INT(evbuffer_get_length(b), sizeof(big));

    evbuffer_free(b);
    return test_end();
}
