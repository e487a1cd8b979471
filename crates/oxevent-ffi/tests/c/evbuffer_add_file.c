/*
 * evbuffer_add_file: a file's range joins the buffer between memory bytes;
 * the buffer owns the descriptor and closes it once the bytes are drained
 * (or the buffer is freed); a range of length -1 from offset 0 is the
 * whole file; an empty range adds nothing.
 */
#include "evbuffer_util.h"

int main(void)
{
    unsigned char file[5000], got[5000];
    struct evbuffer *b;
    int fd, fd2, fd3;

    test_begin("evbuffer_add_file");
    fill_pattern(file, sizeof(file), 9);
    b = evbuffer_new();
    REQUIRE(b != NULL);

    fd = temp_file_with(file, sizeof(file));
    REQUIRE(fd >= 0);
    CHECK_INT(evbuffer_add(b, "head", 4), 0);
    CHECK_INT(evbuffer_add_file(b, fd, 1000, 2500), 0);
    CHECK_INT(evbuffer_add(b, "tail", 4), 0);
    CHECK_INT(evbuffer_get_length(b), 2508);
    CHECK(fd_is_open(fd));
    CHECK_INT(evbuffer_remove(b, got, 4), 4);
    CHECK(memcmp(got, "head", 4) == 0);
    CHECK_INT(evbuffer_remove(b, got, 2500), 2500);
    CHECK(memcmp(got, file + 1000, 2500) == 0);
    CHECK_BUF(b, "tail");
    CHECK(!fd_is_open(fd));
    CHECK_INT(evbuffer_drain(b, 4), 0);

    /* The whole file, read in pieces across the file's bytes. */
    fd2 = temp_file_with(file, sizeof(file));
    REQUIRE(fd2 >= 0);
    CHECK_INT(evbuffer_add_file(b, fd2, 0, -1), 0);
    CHECK_INT(evbuffer_get_length(b), 5000);
    CHECK_INT(evbuffer_remove(b, got, 1234), 1234);
    CHECK_INT(evbuffer_remove(b, got + 1234, 5000), 5000 - 1234);
    CHECK(memcmp(got, file, 5000) == 0);

    /* Freed while the bytes are still there: closed with the buffer. */
    fd3 = temp_file_with(file, sizeof(file));
    REQUIRE(fd3 >= 0);
    CHECK_INT(evbuffer_add_file(b, fd3, 10, 20), 0);
    CHECK_INT(evbuffer_get_length(b), 20);
    CHECK(fd_is_open(fd3));
    evbuffer_free(b);
    CHECK(!fd_is_open(fd3));
    return test_end();
}
