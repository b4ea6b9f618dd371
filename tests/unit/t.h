/* Tiny unit-test harness. Each TEST(name) is one test; main() from
 * T_MAIN(...) runs them and prints "PASS name" / "FAIL name: why" lines,
 * which tests/run.sh counts. A test fails on its first failed CHECK. */
#ifndef S46_T_H
#define S46_T_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <inttypes.h>

struct t_case { const char *name; void (*fn)(int *failed); };

#define TEST(name) static void name(int *t_failed_)
#define CHECK(cond) do { if (!(cond)) { \
    printf("FAIL %s: %s:%d: %s\n", t_name_, __FILE__, __LINE__, #cond); \
    *t_failed_ = 1; return; } } while (0)
#define CHECK_STR(a, b) do { const char *t_a_ = (a), *t_b_ = (b); \
    if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) { \
    printf("FAIL %s: %s:%d: \"%s\" != \"%s\"\n", t_name_, __FILE__, __LINE__, \
           t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)"); \
    *t_failed_ = 1; return; } } while (0)
#define CHECK_INT(a, b) do { long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
    if (t_a_ != t_b_) { \
    printf("FAIL %s: %s:%d: %s = %lld, expected %lld\n", t_name_, __FILE__, __LINE__, \
           #a, t_a_, t_b_); *t_failed_ = 1; return; } } while (0)

/* The running test's name, for messages. */
static const char *t_name_ = "";

#define T_CASE(fn) { #fn, fn }
#define T_MAIN(...) \
    int main(void) { \
        static const struct t_case cases[] = { __VA_ARGS__ }; \
        int bad = 0; \
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) { \
            int f = 0; t_name_ = cases[i].name; cases[i].fn(&f); \
            if (f) bad++; else printf("PASS %s\n", cases[i].name); \
            fflush(stdout); \
        } \
        return bad ? 1 : 0; \
    }
#endif
