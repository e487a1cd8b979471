/*
 * evbuffer_new_free.c: a new buffer is empty; freeing buffers that hold
 * bytes, references and callbacks releases everything (valgrind-clean).
 */
#include "evbuffer_util.h"

static void cb(struct evbuffer *b, const struct evbuffer_cb_info *i, void *a)
{
    (void)b;
    (void)i;
    ++*(int *)a;
}

int main(void)
{
    struct evbuffer *a, *b;
    int cleaned = 0, calls = 0;
    static const char ref[] = "referenced";

    test_begin("evbuffer_new_free");
    a = evbuffer_new();
    REQUIRE(a != NULL);
    CHECK_INT(evbuffer_get_length(a), 0);
    CHECK_INT(evbuffer_get_contiguous_space(a), 0);
    CHECK(evbuffer_pullup(a, -1) == NULL);
    evbuffer_free(a);

    b = evbuffer_new();
    REQUIRE(b != NULL);
    CHECK(evbuffer_add_cb(b, cb, &calls) != NULL);
    CHECK_INT(evbuffer_add(b, "hello", 5), 0);
    CHECK_INT(calls, 1);
    CHECK_INT(evbuffer_add_reference(b, ref, sizeof(ref) - 1, count_cleanup,
                  &cleaned), 0);
    CHECK_INT(evbuffer_get_length(b), 5 + sizeof(ref) - 1);
    CHECK_INT(cleaned, 0);
    evbuffer_free(b);
    /* Freeing releases the reference once, and runs no callback. */
    CHECK_INT(cleaned, 1);
    CHECK_INT(calls, 2);

    /* Many buffers at once. */
    {
        struct evbuffer *many[100];
        int i;
        for (i = 0; i < 100; i++) {
            many[i] = evbuffer_new();
            REQUIRE(many[i] != NULL);
            evbuffer_add_printf(many[i], "buffer %d", i);
        }
        for (i = 0; i < 100; i++)
            evbuffer_free(many[i]);
    }
    return test_end();
}
