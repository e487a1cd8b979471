/*
 * evbuffer_ptr_set.c: positions set from the start and moved forward,
 * across chunks, up to just past the last byte; each mode out of range:
 * SET past the end and ADD past the end give -1 and pos -1, ADD from a
 * position of -1 or by an overflowing amount gives -1 and leaves it, an
 * unknown mode moves nothing.
 */
#include "evbuffer_util.h"
#include <stdint.h>

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_ptr p, q;
    char out[8];

    test_begin("evbuffer_ptr_set");
    b = evbuffer_new();
    REQUIRE(b != NULL);

    /* An empty buffer: only 0. */
    CHECK_INT(evbuffer_ptr_set(b, &p, 0, EVBUFFER_PTR_SET), 0);
    CHECK_INT(p.pos, 0);
    CHECK_INT(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_SET), -1);
    CHECK_INT(p.pos, -1);

    evbuffer_add_reference(b, "0123", 4, NULL, NULL);
    evbuffer_add_reference(b, "4567", 4, NULL, NULL);
    evbuffer_add(b, "89", 2);

    CHECK_INT(evbuffer_ptr_set(b, &p, 3, EVBUFFER_PTR_SET), 0);
    CHECK_INT(p.pos, 3);
    CHECK_INT(evbuffer_ptr_set(b, &p, 2, EVBUFFER_PTR_ADD), 0);
    CHECK_INT(p.pos, 5);
    memset(out, 0, sizeof(out));
    CHECK_INT(evbuffer_copyout_from(b, &p, out, 3), 3);
    CHECK_STR(out, "567");
    CHECK_INT(evbuffer_ptr_set(b, &p, 0, EVBUFFER_PTR_ADD), 0);
    CHECK_INT(p.pos, 5);
    CHECK_INT(evbuffer_ptr_set(b, &p, 5, EVBUFFER_PTR_ADD), 0);
    CHECK_INT(p.pos, 10);
    CHECK_INT(evbuffer_ptr_set(b, &q, 10, EVBUFFER_PTR_SET), 0);
    CHECK_INT(q.pos, 10);

    /* SET past the end. */
    CHECK_INT(evbuffer_ptr_set(b, &q, 11, EVBUFFER_PTR_SET), -1);
    CHECK_INT(q.pos, -1);
    CHECK_INT(evbuffer_ptr_set(b, &q, SIZE_MAX, EVBUFFER_PTR_SET), -1);
    CHECK_INT(q.pos, -1);
    /* ADD past the end. */
    CHECK_INT(evbuffer_ptr_set(b, &q, 4, EVBUFFER_PTR_SET), 0);
    CHECK_INT(evbuffer_ptr_set(b, &q, 7, EVBUFFER_PTR_ADD), -1);
    CHECK_INT(q.pos, -1);
    /* ADD from -1: refused, left as it is. */
    CHECK_INT(evbuffer_ptr_set(b, &q, 1, EVBUFFER_PTR_ADD), -1);
    CHECK_INT(q.pos, -1);
    /* ADD by an overflowing amount: refused, left as it is. */
    CHECK_INT(evbuffer_ptr_set(b, &q, 4, EVBUFFER_PTR_SET), 0);
    CHECK_INT(evbuffer_ptr_set(b, &q, SIZE_MAX, EVBUFFER_PTR_ADD), -1);
    CHECK_INT(q.pos, 4);
    /* An unknown mode: 0 for a zero distance, else -1 and pos -1. */
    CHECK_INT(evbuffer_ptr_set(b, &q, 0, (enum evbuffer_ptr_how)7), 0);
    CHECK_INT(q.pos, 4);
    CHECK_INT(evbuffer_ptr_set(b, &q, 2, (enum evbuffer_ptr_how)7), -1);
    CHECK_INT(q.pos, -1);

    evbuffer_free(b);
    return test_end();
}
