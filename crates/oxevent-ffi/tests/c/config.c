/*
 * event_config: avoid_method("epoll") gives a non-epoll base; avoiding every
 * method gives NULL; require_features(EV_FEATURE_FDS) gives a base whose
 * features include FDS (never epoll); requiring O1 gives a base with O1 or,
 * when epoll is disabled through EVENT_NOEPOLL, NULL; O1|FDS together is
 * impossible (NULL); EVENT_BASE_FLAG_IGNORE_ENV brings epoll back despite
 * EVENT_NOEPOLL; the other flags and set_num_cpus_hint are accepted;
 * event_base_new_with_config(NULL) works like event_base_new.
 */
#include <event2/event.h>
#include <stdlib.h>
#include "check.h"

static void quiet_log(int severity, const char *msg)
{
    UNUSED(severity);
    UNUSED(msg);
}

int main(void)
{
    struct event_config *cfg;
    struct event_base *base;
    const char *m;

    test_begin("config");
    event_set_log_callback(quiet_log);

    base = event_base_new_with_config(NULL);
    CHECK(base != NULL);
    if (base)
        event_base_free(base);

    /* avoid epoll */
    cfg = event_config_new();
    REQUIRE(cfg != NULL);
    CHECK_INT(event_config_avoid_method(cfg, "epoll"), 0);
    CHECK_INT(event_config_avoid_method(cfg, "no-such-method"), 0);
    base = event_base_new_with_config(cfg);
    CHECK(base != NULL);
    if (base) {
        m = event_base_get_method(base);
        CHECK(m != NULL && strcmp(m, "epoll") != 0);
        event_base_free(base);
    }
    /* avoid everything */
    CHECK_INT(event_config_avoid_method(cfg, "poll"), 0);
    CHECK_INT(event_config_avoid_method(cfg, "select"), 0);
    base = event_base_new_with_config(cfg);
    CHECK(base == NULL);
    if (base)
        event_base_free(base);
    event_config_free(cfg);

    /* require FDS */
    cfg = event_config_new();
    REQUIRE(cfg != NULL);
    CHECK_INT(event_config_require_features(cfg, EV_FEATURE_FDS), 0);
    base = event_base_new_with_config(cfg);
    CHECK(base != NULL);
    if (base) {
        CHECK(event_base_get_features(base) & EV_FEATURE_FDS);
        CHECK(strcmp(event_base_get_method(base), "epoll") != 0);
        event_base_free(base);
    }
    event_config_free(cfg);

    /* require O1 */
    cfg = event_config_new();
    REQUIRE(cfg != NULL);
    CHECK_INT(event_config_require_features(cfg, EV_FEATURE_O1), 0);
    base = event_base_new_with_config(cfg);
    if (getenv("EVENT_NOEPOLL")) {
        CHECK(base == NULL);
    } else {
        CHECK(base != NULL);
    }
    if (base) {
        CHECK(event_base_get_features(base) & EV_FEATURE_O1);
        event_base_free(base);
    }
    /* O1 and FDS at once: nobody offers both. */
    CHECK_INT(event_config_require_features(cfg, EV_FEATURE_O1 | EV_FEATURE_FDS), 0);
    base = event_base_new_with_config(cfg);
    CHECK(base == NULL);
    if (base)
        event_base_free(base);
    event_config_free(cfg);

    /* IGNORE_ENV: the environment's EVENT_NO* are ignored. */
    cfg = event_config_new();
    REQUIRE(cfg != NULL);
    CHECK_INT(event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV), 0);
    base = event_base_new_with_config(cfg);
    CHECK(base != NULL);
    if (base) {
        CHECK_STR(event_base_get_method(base), "epoll");
        event_base_free(base);
    }
    event_config_free(cfg);

    /* Other flags and the CPU hint are accepted. */
    cfg = event_config_new();
    REQUIRE(cfg != NULL);
    CHECK_INT(event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK), 0);
    CHECK_INT(event_config_set_flag(cfg, EVENT_BASE_FLAG_NO_CACHE_TIME), 0);
    CHECK_INT(event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER), 0);
    CHECK_INT(event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST), 0);
    CHECK_INT(event_config_set_num_cpus_hint(cfg, 4), 0);
    base = event_base_new_with_config(cfg);
    CHECK(base != NULL);
    if (base) {
        CHECK_INT(event_base_dispatch(base), 1);
        event_base_free(base);
    }
    event_config_free(cfg);

    event_set_log_callback(NULL);
    return test_end();
}
