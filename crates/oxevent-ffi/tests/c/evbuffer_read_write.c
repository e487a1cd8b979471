/*
 * evbuffer_read / evbuffer_write / evbuffer_write_atmost on a socketpair:
 * reads append what is there (at most howmuch), writes drain what they
 * sent, write_atmost sends no more than asked; an empty buffer or a limit
 * of 0 writes nothing and gives -1; end of file reads 0; a bad descriptor
 * gives -1.
 */
#include "evbuffer_util.h"
#include <sys/socket.h>

int main(void)
{
    struct evbuffer *in, *out;
    unsigned char data[100000], got[100000];
    int fds[2], n;
    size_t total;

    test_begin("evbuffer_read_write");
    fill_pattern(data, sizeof(data), 5);
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    in = evbuffer_new();
    out = evbuffer_new();
    REQUIRE(in && out);

    CHECK_INT(evbuffer_write(out, fds[0]), -1);
    CHECK_INT(evbuffer_add(out, data, 1000), 0);
    CHECK_INT(evbuffer_write_atmost(out, fds[0], 0), -1);
    CHECK_INT(evbuffer_get_length(out), 1000);
    CHECK_INT(evbuffer_write_atmost(out, fds[0], 100), 100);
    CHECK_INT(evbuffer_get_length(out), 900);
    CHECK_INT(evbuffer_write(out, fds[0]), 900);
    CHECK_INT(evbuffer_get_length(out), 0);

    /* howmuch limits the read; -1 reads what is there. */
    CHECK_INT(evbuffer_read(in, fds[1], 10), 10);
    CHECK_INT(evbuffer_get_length(in), 10);
    n = evbuffer_read(in, fds[1], -1);
    CHECK(n > 0 && n <= 990);
    while (evbuffer_get_length(in) < 1000) {
        n = evbuffer_read(in, fds[1], 4096);
        CHECK(n > 0);
        if (n <= 0)
            break;
    }
    CHECK(buf_is(in, data, 1000));

    /* A larger transfer in whatever pieces the socket takes. */
    CHECK_INT(evbuffer_drain(in, 1000), 0);
    CHECK_INT(evbuffer_add(out, data, sizeof(data)), 0);
    total = 0;
    while (total < sizeof(data)) {
        if (evbuffer_get_length(out) > 0) {
            n = evbuffer_write_atmost(out, fds[0], 30000);
            CHECK(n > 0 && n <= 30000);
        }
        n = evbuffer_read(in, fds[1], -1);
        CHECK(n > 0);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    CHECK_INT(evbuffer_remove(in, got, sizeof(got)), sizeof(data));
    CHECK(memcmp(got, data, sizeof(data)) == 0);

    /* End of file. */
    close(fds[0]);
    CHECK_INT(evbuffer_read(in, fds[1], -1), 0);
    CHECK_INT(evbuffer_get_length(in), 0);

    /* Bad descriptors. */
    CHECK_INT(evbuffer_read(in, -1, 10), -1);
    CHECK_INT(evbuffer_add(out, "x", 1), 0);
    CHECK_INT(evbuffer_write(out, -1), -1);
    CHECK_INT(evbuffer_get_length(out), 1);

    close(fds[1]);
    evbuffer_free(in);
    evbuffer_free(out);
    return test_end();
}
