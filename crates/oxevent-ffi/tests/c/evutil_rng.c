/*
 * The secure RNG: evutil_secure_rng_init returns 0; get_bytes fills 64
 * bytes that are not all zero, and two draws differ; add_bytes accepts
 * caller entropy; set_urandom_device_file returns 0 or -1 (Debian's build
 * uses the C library's arc4random and always returns -1) and the RNG keeps
 * working either way; odd sizes (0, 1, 4097) work.
 */
#include <event2/util.h>
#include "check.h"

static int all_zero(const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

int main(void)
{
    unsigned char a[64], b[64], big[4097], one[1];
    char dev[] = "/dev/urandom";
    int rc;

    test_begin("evutil_rng");
    rc = evutil_secure_rng_set_urandom_device_file(dev);
    CHECK(rc == 0 || rc == -1);
    CHECK_INT(evutil_secure_rng_init(), 0);
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    evutil_secure_rng_get_bytes(a, sizeof(a));
    evutil_secure_rng_get_bytes(b, sizeof(b));
    CHECK(!all_zero(a, sizeof(a)));
    CHECK(!all_zero(b, sizeof(b)));
    CHECK(memcmp(a, b, sizeof(a)) != 0);

    evutil_secure_rng_add_bytes("some caller entropy", 19);
    memset(big, 0, sizeof(big));
    evutil_secure_rng_get_bytes(big, sizeof(big));
    CHECK(!all_zero(big, sizeof(big)));
    CHECK(!all_zero(big + 4000, 97));
    evutil_secure_rng_get_bytes(one, 1);
    evutil_secure_rng_get_bytes(one, 0);
    CHECK_INT(evutil_secure_rng_init(), 0);
    evutil_secure_rng_get_bytes(a, sizeof(a));
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    return test_end();
}
