/*
 * event_get_version() is "2.1.12-stable" and event_get_version_number() is
 * 0x02010c00, matching the header's LIBEVENT_VERSION /
 * LIBEVENT_VERSION_NUMBER; the number's layout (major.minor.patch in the top
 * three bytes) agrees with the string.
 */
#include <event2/event.h>
#include <stdio.h>
#include "check.h"

int main(void)
{
    unsigned n;
    char expect[32];

    test_begin("version");
    CHECK_STR(event_get_version(), "2.1.12-stable");
    CHECK_INT(event_get_version_number(), 0x02010c00);
    CHECK_STR(event_get_version(), LIBEVENT_VERSION);
    CHECK_INT(event_get_version_number(), LIBEVENT_VERSION_NUMBER);
    n = (unsigned)event_get_version_number();
    snprintf(expect, sizeof(expect), "%u.%u.%u-stable", n >> 24,
        (n >> 16) & 0xff, (n >> 8) & 0xff);
    CHECK_STR(event_get_version(), expect);
    /* Same pointer contents on every call. */
    CHECK_STR(event_get_version(), event_get_version());
    return test_end();
}
