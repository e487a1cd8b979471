/*
 * event_set_fatal_callback: the callback is settable, and a fatal misuse
 * (event_enable_debug_mode() after a base exists) first logs at
 * EVENT_LOG_ERR through the log callback and then calls the fatal callback
 * with err = 1. Done in a forked child (the fatal path must not return); the
 * parent checks the child's exit code (42 = both callbacks seen as
 * expected). A fatal callback set to NULL again is accepted.
 */
#include <event2/event.h>
#include <sys/wait.h>
#include "check.h"

static int saw_err_log;

static void log_cb(int severity, const char *msg)
{
    UNUSED(msg);
    if (severity == EVENT_LOG_ERR)
        saw_err_log = 1;
}

static void fatal_cb(int err)
{
    _exit(err == 1 && saw_err_log ? 42 : 43);
}

int main(void)
{
    pid_t pid;
    int status = 0;

    test_begin("fatal_callback");
    event_set_fatal_callback(fatal_cb);
    event_set_fatal_callback(NULL);

    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        struct event_base *base;
        alarm(10);
        event_set_log_callback(log_cb);
        event_set_fatal_callback(fatal_cb);
        base = event_base_new();
        if (!base)
            _exit(44);
        event_enable_debug_mode();
        _exit(45);
    }
    CHECK_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), 42);
    return test_end();
}
