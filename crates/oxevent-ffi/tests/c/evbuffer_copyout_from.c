/*
 * evbuffer_copyout_from.c: copying from a position without draining: at
 * most what follows the position, across chunks, from the end (0), a NULL
 * position (the start).
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_ptr p;
    char out[32];

    test_begin("evbuffer_copyout_from");
    b = evbuffer_new();
    REQUIRE(b != NULL);
    evbuffer_add_reference(b, "key=", 4, NULL, NULL);
    evbuffer_add(b, "value;rest", 10);

    p = evbuffer_search(b, "=", 1, NULL);
    CHECK_INT(p.pos, 3);
    CHECK_INT(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), 0);
    memset(out, 0, sizeof(out));
    CHECK_INT(evbuffer_copyout_from(b, &p, out, 5), 5);
    CHECK_STR(out, "value");
    memset(out, 0, sizeof(out));
    CHECK_INT(evbuffer_copyout_from(b, &p, out, sizeof(out)), 10);
    CHECK_STR(out, "value;rest");
    CHECK_INT(evbuffer_copyout_from(b, &p, out, 0), 0);

    CHECK_INT(evbuffer_ptr_set(b, &p, 2, EVBUFFER_PTR_SET), 0);
    memset(out, 0, sizeof(out));
    CHECK_INT(evbuffer_copyout_from(b, &p, out, 4), 4);
    CHECK_STR(out, "y=va");

    memset(out, 0, sizeof(out));
    CHECK_INT(evbuffer_copyout_from(b, NULL, out, 3), 3);
    CHECK_STR(out, "key");

    CHECK_INT(evbuffer_ptr_set(b, &p, 14, EVBUFFER_PTR_SET), 0);
    CHECK_INT(evbuffer_copyout_from(b, &p, out, 4), 0);

    CHECK_INT(evbuffer_get_length(b), 14);
    evbuffer_free(b);
    return test_end();
}
