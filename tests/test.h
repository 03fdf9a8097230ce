/* test.h - a minimal test harness: each test is a named behaviour.
 *
 *     TEST(loads_lidc_with_declared_geometry) { ... CHECK(cond, "fmt", ...); }
 *     int main(void) { RUN(loads_lidc_with_declared_geometry); return test_done(); }
 *
 * Each test prints "PASS name" or "FAIL name: reason" (the first failed
 * CHECK ends the test); tests/run.sh counts the lines. Test data is read from
 * PM_DATA (default ../shared/data, relative to the project root, where
 * `make test` runs); temporary files go under test_tmpdir().
 */
#ifndef PULMO_TEST_H
#define PULMO_TEST_H

#include <setjmp.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static jmp_buf test__jb;
static char test__why[1024];
static int test__passed, test__failed;

#define TEST(name) static void name(void)

#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        if (!(cond)) {                                                            \
            int n_ = snprintf(test__why, sizeof test__why, "%s:%d: ", __FILE__, __LINE__); \
            snprintf(test__why + n_, sizeof test__why - (size_t)n_, __VA_ARGS__); \
            longjmp(test__jb, 1);                                                 \
        }                                                                         \
    } while (0)

#define RUN(name)                                                                 \
    do {                                                                          \
        if (setjmp(test__jb) == 0) {                                              \
            name();                                                               \
            printf("PASS %s\n", #name);                                           \
            test__passed++;                                                       \
        } else {                                                                  \
            printf("FAIL %s: %s\n", #name, test__why);                            \
            test__failed++;                                                       \
        }                                                                         \
        fflush(stdout);                                                           \
    } while (0)

static inline int test_done(void)
{
    return test__failed ? 1 : 0;
}

/* Path of a file in the shared test data. */
static inline const char *test_data(const char *rel)
{
    static char buf[8][4096];
    static int k;
    const char *root = getenv("PM_DATA");
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", root && *root ? root : "../shared/data", rel);
    return b;
}

/* A fresh temporary folder for this test program (removed by run.sh). */
static inline const char *test_tmpdir(void)
{
    static char dir[256];
    if (!dir[0]) {
        const char *base = getenv("PM_TEST_TMP");
        snprintf(dir, sizeof dir, "%s/pulmo-test-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return dir;
}

/* Runs a shell command, returns its exit status (or -1). */
static inline int test_sh(const char *cmd)
{
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

#endif
