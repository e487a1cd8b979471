/*
 * evbuffer_ptr_end: positions at and past the end. A position just past
 * the last byte is valid for searching (nothing found) and peeking
 * (nothing); re-setting a position beyond the buffer after a drain gives
 * -1 and pos -1; searches never report a match beyond the end.
 * copyout_from at the end, or from a position of -1, crashes libevent
 * 2.1.12: improved_evbuffer_bad_input_logs.c checks those on ours.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_ptr p, end, r;
    struct evbuffer_iovec v[2];

    test_begin("evbuffer_ptr_end");
    b = evbuffer_new();
    REQUIRE(b != NULL);
    CHECK_INT(evbuffer_add(b, "abcdef", 6), 0);
    CHECK_INT(evbuffer_add(b, "ghij", 4), 0);

    CHECK_INT(evbuffer_ptr_set(b, &end, 10, EVBUFFER_PTR_SET), 0);
    CHECK_INT(end.pos, 10);
    r = evbuffer_search(b, "a", 1, &end);
    CHECK_INT(r.pos, -1);
    r = evbuffer_search_range(b, "j", 1, &end, NULL);
    CHECK_INT(r.pos, -1);
    CHECK_INT(evbuffer_peek(b, -1, &end, v, 2), 0);
    CHECK_INT(evbuffer_ptr_set(b, &end, 1, EVBUFFER_PTR_ADD), -1);

    /* A range end beyond the buffer: clipped, matches inside still found. */
    CHECK_INT(evbuffer_ptr_set(b, &p, 8, EVBUFFER_PTR_SET), 0);
    r = evbuffer_search_range(b, "ij", 2, &p, NULL);
    CHECK_INT(r.pos, 8);
    r = evbuffer_search(b, "jk", 2, NULL);
    CHECK_INT(r.pos, -1);

    /* A position that outlived a drain. */
    CHECK_INT(evbuffer_ptr_set(b, &p, 9, EVBUFFER_PTR_SET), 0);
    CHECK_INT(evbuffer_drain(b, 6), 0);
    CHECK_INT(evbuffer_ptr_set(b, &p, 9, EVBUFFER_PTR_SET), -1);
    CHECK_INT(p.pos, -1);
    r = evbuffer_search(b, "g", 1, NULL);
    CHECK_INT(r.pos, 0);
    CHECK_BUF(b, "ghij");
    evbuffer_free(b);
    return test_end();
}
