/* flowsim — minimal test framework: checks that report file:line and keep
 * going, one list of tests, one runner printing "N passed, N failed".      */
#ifndef FS_TF_H
#define FS_TF_H
#include <stdio.h>
#include <math.h>
#include <inttypes.h>

extern int tf_failed_checks;   /* checks failed in the current test */

#define CHECK(cond) do { if (!(cond)) { tf_failed_checks++; \
    fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ_I(a, b) do { long long tf_a = (long long)(a), tf_b = (long long)(b); \
    if (tf_a != tf_b) { tf_failed_checks++; fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", \
    __FILE__, __LINE__, #a, #b, tf_a, tf_b); } } while (0)
#define CHECK_EQ_U(a, b) do { unsigned long long tf_a = (unsigned long long)(a), tf_b = (unsigned long long)(b); \
    if (tf_a != tf_b) { tf_failed_checks++; fprintf(stderr, "  %s:%d: %s == %s failed: %llu != %llu\n", \
    __FILE__, __LINE__, #a, #b, tf_a, tf_b); } } while (0)
#define CHECK_NEAR(a, b, tol) do { double tf_a = (double)(a), tf_b = (double)(b), tf_t = (double)(tol); \
    if (!(fabs(tf_a - tf_b) <= tf_t)) { tf_failed_checks++; fprintf(stderr, \
    "  %s:%d: |%s - %s| <= %s failed: |%.10g - %.10g| = %.3g > %.3g\n", __FILE__, __LINE__, \
    #a, #b, #tol, tf_a, tf_b, fabs(tf_a - tf_b), tf_t); } } while (0)
#define CHECK_STR(a, b) do { const char *tf_a = (a), *tf_b = (b); \
    if (!tf_a || !tf_b || strcmp(tf_a, tf_b) != 0) { tf_failed_checks++; fprintf(stderr, \
    "  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b, \
    tf_a ? tf_a : "(null)", tf_b ? tf_b : "(null)"); } } while (0)

/* Every test file declares its tests in tests/test_list.h with TEST_ENTRY. */
typedef void (*tf_fn)(void);
#define TEST(name) void test_##name(void); void test_##name(void)

#endif
