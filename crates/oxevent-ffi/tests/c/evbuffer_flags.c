/*
 * evbuffer_set_flags / evbuffer_clear_flags: EVBUFFER_FLAG_DRAINS_TO_FD
 * set and cleared (0 each time, repeatable); the flag changes how file
 * bytes travel, never which bytes a reader sees.
 */
#include "evbuffer_util.h"
#include <sys/socket.h>

/* Writes all of b to wfd (the socket's buffer holds it all), then reads
 * n bytes back from rfd; returns the bytes read or -1. */
static int drain_to_socket(struct evbuffer *b, int wfd, int rfd, unsigned char *out, size_t n)
{
    size_t got = 0;
    int tries = 0;
    while (evbuffer_get_length(b) > 0 && tries++ < 100) {
        if (evbuffer_write(b, wfd) < 0)
            return -1;
    }
    while (got < n) {
        ssize_t r = read(rfd, out + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return (int)got;
}

int main(void)
{
    unsigned char file[6000], got[6010];
    struct evbuffer *b;
    int fds[2], fd, round;

    test_begin("evbuffer_flags");
    fill_pattern(file, sizeof(file), 3);
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    b = evbuffer_new();
    REQUIRE(b != NULL);

    CHECK_INT(evbuffer_set_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
    CHECK_INT(evbuffer_set_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
    CHECK_INT(evbuffer_clear_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
    CHECK_INT(evbuffer_clear_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
    CHECK_INT(evbuffer_set_flags(b, 0), 0);
    CHECK_INT(evbuffer_clear_flags(b, 0), 0);

    for (round = 0; round < 2; round++) {
        if (round == 1)
            CHECK_INT(evbuffer_set_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
        fd = temp_file_with(file, sizeof(file));
        REQUIRE(fd >= 0);
        CHECK_INT(evbuffer_add(b, "[[", 2), 0);
        CHECK_INT(evbuffer_add_file(b, fd, 0, 6000), 0);
        CHECK_INT(evbuffer_add(b, "]]", 2), 0);
        CHECK_INT(evbuffer_get_length(b), 6004);
        CHECK_INT(drain_to_socket(b, fds[0], fds[1], got, 6004), 6004);
        CHECK(memcmp(got, "[[", 2) == 0);
        CHECK(memcmp(got + 2, file, 6000) == 0);
        CHECK(memcmp(got + 6002, "]]", 2) == 0);
        CHECK_INT(evbuffer_get_length(b), 0);
        CHECK(!fd_is_open(fd));
    }

    evbuffer_free(b);
    close(fds[0]);
    close(fds[1]);
    return test_end();
}
