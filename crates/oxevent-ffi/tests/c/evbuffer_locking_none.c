/*
 * evbuffer locking without thread support: evbuffer_enable_locking(buf,
 * NULL) has no lock functions to allocate with and gives -1;
 * evbuffer_lock / evbuffer_unlock on a buffer without a lock do nothing
 * and the buffer keeps working.
 */
#include "evbuffer_util.h"

int main(void)
{
    struct evbuffer *b;

    test_begin("evbuffer_locking_none");
    b = evbuffer_new();
    REQUIRE(b != NULL);
    CHECK_INT(evbuffer_enable_locking(b, NULL), -1);
    evbuffer_lock(b);
    CHECK_INT(evbuffer_add(b, "abc", 3), 0);
    evbuffer_unlock(b);
    evbuffer_lock(b);
    evbuffer_lock(b);
    evbuffer_unlock(b);
    evbuffer_unlock(b);
    CHECK_BUF(b, "abc");
    evbuffer_free(b);
    return test_end();
}
