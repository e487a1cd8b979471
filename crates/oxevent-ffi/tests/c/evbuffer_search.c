/*
 * evbuffer_search.c: the first occurrence at or after a start position,
 * matches that straddle chunk boundaries, not found (-1), an empty needle
 * (the start), walking all matches with evbuffer_ptr_set.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_ptr p, q;
    int count = 0;

    test_begin("evbuffer_search");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    p = evbuffer_search(b, "x", 1, NULL);
    CHECK_INT(p.pos, -1);

    evbuffer_add_reference(b, "abcab", 5, NULL, NULL);
    evbuffer_add_reference(b, "cabc", 4, NULL, NULL);
    evbuffer_add(b, "--needle--", 10);

    p = evbuffer_search(b, "abc", 3, NULL);
    CHECK_INT(p.pos, 0);
    CHECK_INT(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), 0);
    q = evbuffer_search(b, "abc", 3, &p);
    CHECK_INT(q.pos, 3); /* straddles "ab|c" */
    CHECK_INT(evbuffer_ptr_set(b, &q, 1, EVBUFFER_PTR_ADD), 0);
    p = evbuffer_search(b, "abc", 3, &q);
    CHECK_INT(p.pos, 6);
    CHECK_INT(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), 0);
    q = evbuffer_search(b, "abc", 3, &p);
    CHECK_INT(q.pos, -1);

    p = evbuffer_search(b, "needle", 6, NULL);
    CHECK_INT(p.pos, 11);
    p = evbuffer_search(b, "c--n", 4, NULL);
    CHECK_INT(p.pos, 8);
    p = evbuffer_search(b, "needles", 7, NULL);
    CHECK_INT(p.pos, -1);
    p = evbuffer_search(b, "--needle--!", 11, NULL);
    CHECK_INT(p.pos, -1);

    /* An empty needle matches at the start. */
    p = evbuffer_search(b, "", 0, NULL);
    CHECK_INT(p.pos, 0);
    CHECK_INT(evbuffer_ptr_set(b, &q, 4, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search(b, "", 0, &q);
    CHECK_INT(p.pos, 4);

    /* Every "a", walking forward. */
    p = evbuffer_search(b, "a", 1, NULL);
    while (p.pos != -1) {
        count++;
        if (evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD) < 0)
            break;
        p = evbuffer_search(b, "a", 1, &p);
    }
    CHECK_INT(count, 3);

    /* A long buffer, a needle near its end. */
    evbuffer_drain(b, evbuffer_get_length(b));
    {
        int i;
        for (i = 0; i < 20000; i++)
            evbuffer_add(b, "abcabcabcabcabcabcab", 20);
        evbuffer_add(b, "abcd", 4);
        p = evbuffer_search(b, "abcd", 4, NULL);
        CHECK_INT(p.pos, 400000);
    }

    evbuffer_free(b);
    return test_end();
}
