/*
 * event_get_supported_methods lists epoll, poll and select (NULL-ended);
 * event_base_get_method follows EVENT_NOEPOLL / EVENT_NOPOLL (epoll, poll,
 * select); event_base_get_features: epoll has O1 and ET, poll and select
 * have FDS.
 */
#include <event2/event.h>
#include <stdlib.h>
#include "check.h"

static int has(const char **list, const char *name)
{
    int i;
    for (i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

int main(void)
{
    const char **methods;
    struct event_base *base;
    const char *m, *expect;
    int features, n;

    test_begin("methods");
    methods = event_get_supported_methods();
    REQUIRE(methods != NULL);
    for (n = 0; methods[n]; n++)
        CHECK(n < 16);
    CHECK(n >= 3);
    CHECK(has(methods, "epoll"));
    CHECK(has(methods, "poll"));
    CHECK(has(methods, "select"));

    base = event_base_new();
    REQUIRE(base != NULL);
    m = event_base_get_method(base);
    if (getenv("EVENT_NOEPOLL") && getenv("EVENT_NOPOLL"))
        expect = "select";
    else if (getenv("EVENT_NOEPOLL"))
        expect = "poll";
    else
        expect = "epoll";
    CHECK_STR(m, expect);

    features = event_base_get_features(base);
    if (strcmp(expect, "epoll") == 0) {
        CHECK(features & EV_FEATURE_O1);
        CHECK(features & EV_FEATURE_ET);
        CHECK(!(features & EV_FEATURE_FDS));
    } else {
        CHECK(features & EV_FEATURE_FDS);
        CHECK(!(features & EV_FEATURE_O1));
        CHECK(!(features & EV_FEATURE_ET));
    }
    event_base_free(base);
    return test_end();
}
