/* test-holds.c: since when holds wait (STATUS=), read against the state. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "holds.h"
#include "state.h"

static int note(struct holds *h, const char *id, int64_t t)
{
        return holds_note(h, &(struct journal_hold){ .order_id = id, .time = t, .reason = "r" });
}

static void test_waiting(void **unused)
{
        struct holds *h;
        struct state *s;
        int64_t oldest = -1;

        assert_int_equal(holds_new(&h), 0);
        assert_int_equal(state_new(&s, 1), 0);
        assert_int_equal(holds_waiting(h, s, &oldest), 0);
        assert_int_equal(oldest, 0);

        /* the first hold's time stays; a later one does not move it */
        assert_int_equal(note(h, "A", 500), 0);
        assert_int_equal(note(h, "A", 900), 0);
        assert_int_equal(note(h, "B", 700), 0);
        assert_int_equal(note(h, "C", 100), 0);
        assert_int_equal(state_set(s, "A", (struct entry){ .kind = ENTRY_HOLD }), 0);
        assert_int_equal(state_set(s, "B", (struct entry){ .kind = ENTRY_HOLD }), 0);
        /* C: decided in the portal; D: never held */
        assert_int_equal(state_set(s, "C",
                                   (struct entry){ .kind = ENTRY_EXTERNAL,
                                                   .status = ENTRY_STATUS_APPROVED }),
                         0);
        assert_int_equal(holds_waiting(h, s, &oldest), 2);
        assert_int_equal(oldest, 500);

        /* A decided by a person: B is the oldest left; C was forgotten */
        assert_int_equal(state_set(s, "A", (struct entry){ .kind = ENTRY_APPROVE }), 0);
        assert_int_equal(holds_waiting(h, s, &oldest), 1);
        assert_int_equal(oldest, 700);
        assert_int_equal(note(h, "C", 50), 0);
        assert_int_equal(holds_waiting(h, s, NULL), 1); /* C still does not wait */

        state_free(s);
        holds_free(h);
        holds_free(NULL);
}

static void test_visit(void **unused)
{
        struct journal_record rec = { .type = JOURNAL_HOLD,
                                      .hold = { .order_id = "X", .time = 42 } };
        struct journal_record other = { .type = JOURNAL_MARK, .mark = { .what = "bootstrap" } };
        struct holds *h;
        struct state *s;
        int64_t oldest;

        assert_int_equal(holds_new(&h), 0);
        assert_int_equal(state_new(&s, 1), 0);
        assert_int_equal(holds_visit(&rec, h), 0);
        assert_int_equal(holds_visit(&other, h), 0);
        assert_int_equal(state_set(s, "X", (struct entry){ .kind = ENTRY_HOLD }), 0);
        assert_int_equal(holds_waiting(h, s, &oldest), 1);
        assert_int_equal(oldest, 42);
        state_free(s);
        holds_free(h);
}

/* The rule and reason are the latest record's; the reminder, once sent,
 * stays sent whatever record comes after (a rules change holding the
 * order again must not remind twice). */
static void test_info(void **unused)
{
        struct journal_hold first = {
                .order_id = "X", .rule = "big", .reason = "Look", .time = 10
        };
        struct journal_hold reminded = first;
        struct journal_hold again = {
                .order_id = "X", .rule = NULL, .reason = "Default", .time = 99
        };
        struct hold_info *i;
        struct holds *h;

        assert_int_equal(holds_new(&h), 0);
        assert_null(holds_get(h, "X"));
        assert_int_equal(holds_note(h, &first), 0);
        i = holds_get(h, "X");
        assert_non_null(i);
        assert_false(i->reminded);
        assert_string_equal(i->rule, "big");
        assert_string_equal(i->reason, "Look");
        reminded.reminded = true;
        reminded.rule = i->rule; /* the daemon writes the reminder from the info itself */
        reminded.reason = i->reason;
        assert_int_equal(holds_note(h, &reminded), 0);
        assert_string_equal(reminded.rule, "big"); /* still valid */
        assert_true(holds_get(h, "X")->reminded);
        assert_int_equal(holds_note(h, &again), 0);
        i = holds_get(h, "X");
        assert_true(i->reminded);
        assert_null(i->rule);
        assert_string_equal(i->reason, "Default");
        assert_int_equal(i->since, 10);
        holds_free(h);
}

static void test_age(void **unused)
{
        static const struct {
                int64_t s;
                const char *want;
        } cases[] = {
                { -5, "0s" },
                { 0, "0s" },
                { 59, "59s" },
                { 60, "1m" },
                { 3599, "59m" },
                { 3600, "1h" },
                { 5 * 3600 + 59, "5h" },
                { 47 * 3600, "47h" },
                { 48 * 3600, "2d" },
                { 400 * 86400, "400d" },
        };
        char buf[HOLDS_AGE_BUF_SIZE];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_string_equal(holds_age_format(cases[i].s, buf), cases[i].want);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_waiting),
                cmocka_unit_test(test_visit),
                cmocka_unit_test(test_info),
                cmocka_unit_test(test_age),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
