/*
 * evbuffer_commit_bad.c: commits that do not match the reservation are
 * refused and add nothing: more than an extent holds, an extent that was
 * not reserved, after bytes were added, with nothing reserved; a commit
 * after a drain of the front is accepted (the room is untouched), as in
 * libevent. Bad reservations: n_vec < 1, negative size.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_iovec v[2], bad;
    char local[8];

    test_begin("evbuffer_commit_bad");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK_INT(evbuffer_reserve_space(b, 16, v, 0), -1);
    CHECK_INT(evbuffer_reserve_space(b, 16, v, -3), -1);
    CHECK_INT(evbuffer_reserve_space(b, -1, v, 1), -1);
    CHECK_INT(evbuffer_reserve_space(b, -1, v, 2), -1);

    /* More than the extent holds. */
    CHECK_INT(evbuffer_reserve_space(b, 16, v, 1), 1);
    memset(v[0].iov_base, 'a', 16);
    v[0].iov_len += 1;
    CHECK_INT(evbuffer_commit_space(b, v, 1), -1);
    CHECK_INT(evbuffer_get_length(b), 0);

    /* An extent that is not the reserved one. */
    bad.iov_base = local;
    bad.iov_len = 4;
    CHECK_INT(evbuffer_commit_space(b, &bad, 1), -1);
    CHECK_INT(evbuffer_get_length(b), 0);

    /* After bytes were added: the room moved. */
    CHECK_INT(evbuffer_reserve_space(b, 16, v, 1), 1);
    memset(v[0].iov_base, 'b', 16);
    v[0].iov_len = 16;
    CHECK_INT(evbuffer_add(b, "x", 1), 0);
    CHECK_INT(evbuffer_commit_space(b, v, 1), -1);
    CHECK_BUF(b, "x");

    /* After a drain of the front only: accepted. */
    CHECK_INT(evbuffer_add(b, "yz", 2), 0);
    CHECK_INT(evbuffer_reserve_space(b, 6, v, 1), 1);
    memcpy(v[0].iov_base, "123456", 6);
    v[0].iov_len = 6;
    CHECK_INT(evbuffer_drain(b, 1), 0);
    CHECK_INT(evbuffer_commit_space(b, v, 1), 0);
    CHECK_BUF(b, "yz123456");

    /* A commit of zero extents is fine even with nothing reserved. */
    CHECK_INT(evbuffer_commit_space(b, v, 0), 0);
    CHECK_BUF(b, "yz123456");

    /* Frozen end: refused. */
    CHECK_INT(evbuffer_reserve_space(b, 4, v, 1), 1);
    memcpy(v[0].iov_base, "tail", 4);
    v[0].iov_len = 4;
    CHECK_INT(evbuffer_freeze(b, 0), 0);
    CHECK_INT(evbuffer_commit_space(b, v, 1), -1);
    CHECK_INT(evbuffer_unfreeze(b, 0), 0);
    CHECK_INT(evbuffer_commit_space(b, v, 1), 0);
    CHECK_BUF(b, "yz123456tail");

    evbuffer_free(b);
    return test_end();
}
