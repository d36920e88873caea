/* Both programs answer --help and --version, and refuse unknown commands. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "ladder/version.h"

/* Runs `bin args` with stdout and stderr captured; returns the exit code. */
static int run(const char *bin, const char *args, char *out, size_t cap)
{
    char cmd[1024];
    size_t n = 0;
    FILE *p;
    int status;

    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1 </dev/null", bin, args);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (n + 1 < cap) {
        size_t got = fread(out + n, 1, cap - n - 1, p);
        if (got == 0)
            break;
        n += got;
    }
    out[n] = '\0';
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const struct {
    const char *bin;
    const char *name;
} programs[] = {{LADDER_BIN, "ladder"}, {HUB_BIN, "ladder-hub"}};

static void test_cli__version_prints_name_and_version(void **state)
{
    char out[4096], expect[64];

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        snprintf(expect, sizeof expect, "%s %s\n", programs[i].name,
                 ldr_version());
        assert_int_equal(run(programs[i].bin, "--version", out, sizeof out), 0);
        assert_string_equal(out, expect);
    }
}

static void test_cli__help_lists_commands(void **state)
{
    static const char *const forms[] = {"--help", "-h", "help"};
    char out[4096];

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        for (size_t f = 0; f < 3; f++) {
            assert_int_equal(run(programs[i].bin, forms[f], out, sizeof out),
                             0);
            assert_non_null(strstr(out, "usage: "));
            assert_non_null(strstr(out, programs[i].name));
            assert_non_null(strstr(out, "commands:"));
        }
        assert_int_equal(run(programs[i].bin, "help version", out, sizeof out),
                         0);
        assert_non_null(strstr(out, "print the version"));
    }
}

/* Unknown commands and no command at all: usage on stderr, exit 2. */
static void test_cli__unknown_command_is_a_usage_error(void **state)
{
    static const char *const args[] = {"frobnicate", "", "help frobnicate",
                                       "--frob"};
    char out[4096];

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        for (size_t a = 0; a < sizeof args / sizeof args[0]; a++) {
            int code = run(programs[i].bin, args[a], out, sizeof out);
            if (code != 2)
                fail_msg("%s %s: exit %d", programs[i].name, args[a], code);
            assert_non_null(strstr(out, programs[i].name));
        }
        run(programs[i].bin, "frobnicate", out, sizeof out);
        assert_non_null(strstr(out, "unknown command 'frobnicate'"));
        assert_non_null(strstr(out, "usage: "));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli__version_prints_name_and_version),
        cmocka_unit_test(test_cli__help_lists_commands),
        cmocka_unit_test(test_cli__unknown_command_is_a_usage_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
