/*
 * evbuffer_reference_shared.c: a reference whose cleanup frees the memory,
 * while a second buffer still refers to it (evbuffer_add_buffer_reference):
 * the cleanup runs only when the last buffer lets go, so no buffer reads
 * freed memory (valgrind checks the reads).
 */
#include "evbuffer_util.h"

static int freed;

static void free_it(const void *data, size_t len, void *extra)
{
    (void)len;
    (void)extra;
    free((void *)data);
    freed++;
}

int main(void)
{
    struct evbuffer *a, *b, *c;
    char *mem;
    char out[64];

    test_begin("evbuffer_reference_shared");
    a = evbuffer_new();
    b = evbuffer_new();
    c = evbuffer_new();
    REQUIRE(a && b && c);

    mem = malloc(32);
    REQUIRE(mem != NULL);
    memcpy(mem, "heap bytes shared by buffers", 28);
    CHECK_INT(evbuffer_add_reference(a, mem, 28, free_it, NULL), 0);
    CHECK_INT(evbuffer_add_buffer_reference(b, a), 0);
    CHECK_INT(evbuffer_add_buffer_reference(c, a), 0);

    /* The first holder lets go: the memory must stay. */
    CHECK_INT(evbuffer_drain(a, 28), 0);
    CHECK_INT(freed, 0);
    memset(out, 0, sizeof(out));
    CHECK_INT(evbuffer_remove(b, out, 10), 10);
    CHECK_STR(out, "heap bytes");
    CHECK_INT(freed, 0);

    evbuffer_free(b);
    CHECK_INT(freed, 0);
    CHECK_BUF(c, "heap bytes shared by buffers");

    /* The last holder: released once. */
    evbuffer_free(c);
    CHECK_INT(freed, 1);
    evbuffer_free(a);
    CHECK_INT(freed, 1);
    return test_end();
}
