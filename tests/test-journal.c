/* test-journal.c: the journal's round trip (every record type), the
 * checks that refuse what it cannot store, file versions, recovery of torn
 * and zeroed tails at every byte, refusal of damage in the middle, the
 * lock, and compaction. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crc32c.h"
#include "journal-internal.h"
#include "journal.h"
#include "util.h"

#define MAX_RECS 64

/* A visited record with its own copies of the strings. */
struct copy {
        struct journal_record r;
        char *s[6];
};

struct collected {
        struct copy c[MAX_RECS];
        size_t n;
};

static void collected_done(struct collected *col)
{
        for (size_t i = 0; i < col->n; i++)
                for (size_t k = 0; k < ELEMENTSOF(col->c[i].s); k++)
                        free(col->c[i].s[k]);
        col->n = 0;
}

static const char *keep(struct copy *c, size_t k, const char *s)
{
        c->s[k] = strdup_null(s);
        return c->s[k];
}

static int collect(const struct journal_record *r, void *userdata)
{
        struct collected *col = userdata;
        struct copy *c;

        assert_true(col->n < MAX_RECS);
        c = &col->c[col->n++];
        *c = (struct copy){ .r = *r };
        switch (r->type) {
        case JOURNAL_INTENT:
                c->r.intent.order_id = keep(c, 0, r->intent.order_id);
                c->r.intent.rule = keep(c, 1, r->intent.rule);
                c->r.intent.reason = keep(c, 2, r->intent.reason);
                c->r.intent.customer_id = keep(c, 3, r->intent.customer_id);
                c->r.intent.currency = keep(c, 4, r->intent.currency);
                break;
        case JOURNAL_OUTCOME:
                c->r.outcome.order_id = keep(c, 0, r->outcome.order_id);
                c->r.outcome.final_status = keep(c, 1, r->outcome.final_status);
                break;
        case JOURNAL_HOLD:
                c->r.hold.order_id = keep(c, 0, r->hold.order_id);
                c->r.hold.rule = keep(c, 1, r->hold.rule);
                c->r.hold.reason = keep(c, 2, r->hold.reason);
                c->r.hold.customer_id = keep(c, 3, r->hold.customer_id);
                c->r.hold.customer_name = keep(c, 4, r->hold.customer_name);
                c->r.hold.currency = keep(c, 5, r->hold.currency);
                break;
        case JOURNAL_EXTERNAL:
                c->r.external.order_id = keep(c, 0, r->external.order_id);
                c->r.external.status = keep(c, 1, r->external.status);
                c->r.external.source = keep(c, 2, r->external.source);
                c->r.external.customer_id = keep(c, 3, r->external.customer_id);
                c->r.external.currency = keep(c, 4, r->external.currency);
                break;
        case JOURNAL_MARK:
                c->r.mark.what = keep(c, 0, r->mark.what);
                break;
        }
        return 0;
}

/* ---- a temporary state folder ---- */

static char *state_new(void)
{
        char *d = strdup("/tmp/test-journal-XXXXXX");

        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

static void state_free(char *d)
{
        static const char *const names[] = { JOURNAL_FILE_NAME, JOURNAL_TMP_NAME,
                                             JOURNAL_LOCK_NAME };
        char p[256];

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(p, sizeof(p), "%s/%s", d, names[i]);
                unlink(p);
                rmdir(p);
        }
        assert_int_equal(rmdir(d), 0);
        free(d);
}

static char *path_of(const char *d, char *buf, size_t size)
{
        snprintf(buf, size, "%s/%s", d, JOURNAL_FILE_NAME);
        return buf;
}

static uint8_t *file_get(const char *d, size_t *ret_size)
{
        char p[256], *buf = NULL;

        assert_int_equal(read_file_capped(path_of(d, p, sizeof(p)), 1 << 24, &buf, ret_size), 0);
        return (uint8_t *)buf;
}

static void file_put(const char *d, const uint8_t *data, size_t size)
{
        char p[256];
        int fd = open(path_of(d, p, sizeof(p)), O_WRONLY | O_TRUNC | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, size), (ssize_t)size);
        close(fd);
}

/* ---- sample records ---- */

static char long_str[JOURNAL_STRING_MAX + 2];
static char max_str[JOURNAL_STRING_MAX + 1];
static char binary_str[256];

static void samples_init(void)
{
        memset(long_str, 'L', JOURNAL_STRING_MAX + 1);
        memset(max_str, 'M', JOURNAL_STRING_MAX);
        for (int i = 1; i < 256; i++)
                binary_str[i - 1] = (char)i; /* every byte but NUL */
}

static struct journal_record intent(const char *id, int64_t time, const char *rule)
{
        return (struct journal_record){
                .type = JOURNAL_INTENT,
                .intent = { .order_id = id,
                            .decision = ACTION_APPROVE,
                            .rule = rule,
                            .reason = "auto",
                            .customer_id = "C1",
                            .total = 1999,
                            .currency = "EUR",
                            .time = time },
        };
}

static struct journal_record outcome(const char *id, int64_t time)
{
        return (struct journal_record){
                .type = JOURNAL_OUTCOME,
                .outcome = { .order_id = id,
                             .http_status = 204,
                             .final_status = "Approved",
                             .time = time },
        };
}

static struct journal_record hold(const char *id, int64_t time, uint64_t digest)
{
        return (struct journal_record){
                .type = JOURNAL_HOLD,
                .hold = { .order_id = id,
                          .rule = "big orders",
                          .reason = "Held for a person to decide",
                          .customer_id = "C1",
                          .customer_name = "ACME Ltd",
                          .currency = "EUR",
                          .total = 80000,
                          .has_total = true,
                          .created_at = time / 2, /* any value, no overflow at the edges */
                          .rules_digest = digest,
                          .time = time },
        };
}

static struct journal_record external(const char *id, int64_t time, const char *status,
                                      int64_t count_from)
{
        return (struct journal_record){
                .type = JOURNAL_EXTERNAL,
                .external = { .order_id = id,
                              .status = status,
                              .source = "portal",
                              .customer_id = "C1",
                              .currency = "EUR",
                              .total = 80000,
                              .count_from = count_from,
                              .time = time },
        };
}

static struct journal_record mark(const char *what, int64_t time)
{
        return (struct journal_record){ .type = JOURNAL_MARK,
                                        .mark = { .what = what, .time = time } };
}

static int append(struct journal *j, const struct journal_record *r)
{
        switch (r->type) {
        case JOURNAL_INTENT:
                return journal_append_intent(j, &r->intent);
        case JOURNAL_OUTCOME:
                return journal_append_outcome(j, &r->outcome);
        case JOURNAL_HOLD:
                return journal_append_hold(j, &r->hold);
        case JOURNAL_EXTERNAL:
                return journal_append_external(j, &r->external);
        case JOURNAL_MARK:
                return journal_append_mark(j, &r->mark);
        }
        fail_msg("record type %d", (int)r->type);
        return -EINVAL;
}

static void assert_same_hold(const struct journal_hold *a, const struct journal_hold *b)
{
        assert_string_equal(a->order_id, b->order_id);
        assert_true(streq_ptr(a->rule, b->rule));
        assert_string_equal(a->reason, b->reason);
        assert_string_equal(a->customer_id, b->customer_id);
        assert_string_equal(a->customer_name, b->customer_name);
        assert_string_equal(a->currency, b->currency);
        assert_int_equal(a->total, b->total);
        assert_int_equal(a->has_total, b->has_total);
        assert_int_equal(a->created_at, b->created_at);
        assert_int_equal(a->rules_digest, b->rules_digest);
        assert_int_equal(a->time, b->time);
}

static void assert_same_external(const struct journal_external *a, const struct journal_external *b)
{
        assert_string_equal(a->order_id, b->order_id);
        assert_string_equal(a->status, b->status);
        assert_string_equal(a->source, b->source);
        assert_string_equal(a->customer_id, b->customer_id);
        assert_string_equal(a->currency, b->currency);
        assert_int_equal(a->total, b->total);
        assert_int_equal(a->count_from, b->count_from);
        assert_int_equal(a->time, b->time);
}

static void assert_same(const struct journal_record *a, const struct journal_record *b)
{
        assert_int_equal(a->type, b->type);
        switch (a->type) {
        case JOURNAL_INTENT:
                assert_string_equal(a->intent.order_id, b->intent.order_id);
                assert_int_equal(a->intent.decision, b->intent.decision);
                assert_true(streq_ptr(a->intent.rule, b->intent.rule));
                assert_string_equal(a->intent.reason, b->intent.reason);
                assert_string_equal(a->intent.customer_id, b->intent.customer_id);
                assert_int_equal(a->intent.total, b->intent.total);
                assert_string_equal(a->intent.currency, b->intent.currency);
                assert_int_equal(a->intent.time, b->intent.time);
                break;
        case JOURNAL_OUTCOME:
                assert_string_equal(a->outcome.order_id, b->outcome.order_id);
                assert_int_equal(a->outcome.http_status, b->outcome.http_status);
                assert_string_equal(a->outcome.final_status, b->outcome.final_status);
                assert_int_equal(a->outcome.time, b->outcome.time);
                break;
        case JOURNAL_HOLD:
                assert_same_hold(&a->hold, &b->hold);
                break;
        case JOURNAL_EXTERNAL:
                assert_same_external(&a->external, &b->external);
                break;
        case JOURNAL_MARK:
                assert_string_equal(a->mark.what, b->mark.what);
                assert_int_equal(a->mark.time, b->mark.time);
                break;
        }
}

/* Writes n records (intent/outcome pairs for orders O0, O1, ...) to a new
 * journal in d. */
static void write_pairs(const char *d, size_t n)
{
        struct journal *j = NULL;
        char id[32];

        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        for (size_t i = 0; i < n; i++) {
                struct journal_record r;

                snprintf(id, sizeof(id), "O%zu", i / 2);
                r = i % 2 ? outcome(id, 1000 + (int64_t)i) : intent(id, 1000 + (int64_t)i, "r");
                assert_int_equal(append(j, &r), 0);
        }
        assert_int_equal(journal_sync(j), 0);
        journal_close(j);
}

/* Opens d, collecting records; returns journal_open's result. */
static int reopen(const char *d, struct collected *col, uint64_t *trunc, uint64_t *bad)
{
        struct journal *j = NULL;
        int r = journal_open(&j, d, collect, col, trunc, bad);

        journal_close(j);
        return r;
}

/* ---- tests ---- */

static void test_round_trip(void **state)
{
        const struct journal_record recs[] = {
                intent("ORD-1", 1700000000, "small"),
                outcome("ORD-1", 1700000001),
                intent("ORD-2", -5, NULL),
                { .type = JOURNAL_INTENT,
                  .intent = { .order_id = max_str,
                              .decision = ACTION_REJECT,
                              .rule = "",
                              .reason = max_str,
                              .customer_id = "",
                              .total = INT64_MIN,
                              .currency = "",
                              .time = INT64_MAX } },
                { .type = JOURNAL_INTENT,
                  .intent = { .order_id = binary_str,
                              .decision = ACTION_HOLD,
                              .rule = binary_str,
                              .reason = "line\nbreak \"quoted\" \\ tab\t",
                              .customer_id = "\xc3\xa9t\xc3\xa9",
                              .total = INT64_MAX,
                              .currency = "\xff\xfe",
                              .time = 0 } },
                { .type = JOURNAL_OUTCOME,
                  .outcome = { .order_id = binary_str,
                               .http_status = 0,
                               .final_status = "",
                               .time = INT64_MIN } },
                { .type = JOURNAL_OUTCOME,
                  .outcome = { .order_id = "x",
                               .http_status = 999,
                               .final_status = max_str,
                               .time = 1 } },
        };
        struct collected col = { .n = 0 };
        struct journal *j = NULL;
        uint64_t trunc = 99, last_end = JOURNAL_FILE_HEADER_SIZE;
        char *d = state_new();

        assert_int_equal(journal_open(&j, d, NULL, NULL, &trunc, NULL), 0);
        assert_int_equal(trunc, 0);
        assert_int_equal(journal_size(j), JOURNAL_FILE_HEADER_SIZE);
        for (size_t i = 0; i < ELEMENTSOF(recs); i++)
                assert_int_equal(append(j, &recs[i]), 0);
        assert_int_equal(journal_sync(j), 0);
        journal_close(j);

        assert_int_equal(reopen(d, &col, &trunc, NULL), 0);
        assert_int_equal(trunc, 0);
        assert_int_equal(col.n, ELEMENTSOF(recs));
        for (size_t i = 0; i < col.n; i++) {
                assert_same(&col.c[i].r, &recs[i]);
                assert_int_equal(col.c[i].r.seq, i + 1);
                assert_true(col.c[i].r.offset >= last_end);
                last_end = col.c[i].r.offset;
        }
        assert_int_equal(col.c[0].r.offset, JOURNAL_FILE_HEADER_SIZE);
        collected_done(&col);

        /* journal_read sees the same. */
        assert_int_equal(journal_read(d, collect, &col, NULL), 0);
        assert_int_equal(col.n, ELEMENTSOF(recs));
        collected_done(&col);
        state_free(d);
}

static void test_bad_appends(void **state)
{
        struct journal_record base = intent("ORD", 1, NULL);
        struct journal_record bad[] = {
                base,           base, base, base, base, base, outcome("O", 1), outcome("O", 1),
                outcome("O", 1)
        };
        const int want[] = { -EINVAL, -EINVAL, -E2BIG,  -EINVAL, -EINVAL,
                             -E2BIG,  -EINVAL, -EINVAL, -EINVAL };
        struct journal *j = NULL;
        char *d = state_new();

        bad[0].intent.order_id = NULL;
        bad[1].intent.order_id = "";
        bad[2].intent.reason = long_str;
        bad[3].intent.decision = _ACTION_MAX;
        bad[4].intent.currency = NULL;
        bad[5].intent.rule = long_str;
        bad[6].outcome.http_status = 1000;
        bad[7].outcome.http_status = -1;
        bad[8].outcome.final_status = NULL;
        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(append(j, &bad[i]), want[i]);
                assert_int_equal(journal_size(j), JOURNAL_FILE_HEADER_SIZE);
        }
        assert_int_equal(append(j, &base), 0);
        journal_close(j);
        state_free(d);
}

/* journal_intent_check() names the field an append would refuse, and the
 * append refuses the same intents with the same codes. */
static void test_intent_check(void **state)
{
        static const struct {
                int field; /* which field to spoil */
                int r;
                const char *name;
        } cases[] = {
                { 0, -EINVAL, "order_id" },    { 1, -EINVAL, "order_id" },
                { 2, -E2BIG, "order_id" },     { 3, -E2BIG, "rule" },
                { 4, -EINVAL, "reason" },      { 5, -E2BIG, "reason" },
                { 6, -EINVAL, "customer_id" }, { 7, -E2BIG, "customer_id" },
                { 8, -EINVAL, "currency" },    { 9, -E2BIG, "currency" },
                { 10, -EINVAL, "decision" },   { 11, -EINVAL, "decision" },
        };
        struct journal *j = NULL;
        char *d = state_new();
        const char *field = "untouched";
        struct journal_intent ok = intent("ORD", 1, NULL).intent;

        assert_int_equal(journal_intent_check(&ok, &field), 0);
        assert_string_equal(field, "untouched");
        ok.rule = max_str;
        ok.reason = max_str;
        ok.customer_id = "";
        ok.currency = "";
        assert_int_equal(journal_intent_check(&ok, NULL), 0);
        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct journal_intent in = intent("ORD", 1, "r").intent;
                const char *spoilt[] = { NULL, "", long_str };

                switch (cases[i].field) {
                case 0 ... 2:
                        in.order_id = spoilt[cases[i].field];
                        break;
                case 3:
                        in.rule = long_str;
                        break;
                case 4 ... 5:
                        in.reason = spoilt[cases[i].field - 4 ? 2 : 0];
                        break;
                case 6 ... 7:
                        in.customer_id = spoilt[cases[i].field - 6 ? 2 : 0];
                        break;
                case 8 ... 9:
                        in.currency = spoilt[cases[i].field - 8 ? 2 : 0];
                        break;
                case 10:
                        in.decision = _ACTION_MAX;
                        break;
                default:
                        in.decision = (enum action) - 1;
                }
                field = NULL;
                assert_int_equal(journal_intent_check(&in, &field), cases[i].r);
                assert_non_null(field);
                assert_string_equal(field, cases[i].name);
                assert_int_equal(journal_append_intent(j, &in), cases[i].r);
                assert_int_equal(journal_size(j), JOURNAL_FILE_HEADER_SIZE);
        }
        journal_close(j);
        state_free(d);
}

/* The same for outcomes. */
static void test_outcome_check(void **state)
{
        struct journal_outcome out = outcome("ORD", 1).outcome;
        const char *field = NULL;

        assert_int_equal(journal_outcome_check(&out, &field), 0);
        assert_null(field);
        out.final_status = long_str;
        assert_int_equal(journal_outcome_check(&out, &field), -E2BIG);
        assert_string_equal(field, "final_status");
        out = outcome("", 1).outcome;
        assert_int_equal(journal_outcome_check(&out, &field), -EINVAL);
        assert_string_equal(field, "order_id");
        out = outcome("ORD", 1).outcome;
        out.http_status = 1000;
        assert_int_equal(journal_outcome_check(&out, &field), -EINVAL);
        assert_string_equal(field, "http_status");
}

/* Holds, external records and marks: edge values and strings at the cap
 * come back as written, beside intents and outcomes; the largest record of
 * each type is exactly its documented maximum. */
static void test_round_trip_new_types(void **state)
{
        struct journal_record recs[] = {
                hold("H-1", 1700000000, UINT64_C(0x0123456789abcdef)),
                intent("ORD-1", 1700000001, NULL),
                hold("H-2", INT64_MIN, UINT64_MAX),
                hold(max_str, INT64_MAX, 0),
                external("X-1", 1700000002, "Approved", 1699990000),
                external(binary_str, 0, "NotFound", INT64_MIN),
                external(max_str, INT64_MAX, max_str, INT64_MAX),
                outcome("ORD-1", 1700000003),
                mark("bootstrap", 1700000004),
                mark(max_str, -1),
        };
        const struct {
                size_t index;
                uint64_t len;
        } maxima[] = { { 3, JOURNAL_HOLD_MAX },
                       { 6, JOURNAL_EXTERNAL_MAX },
                       { 9, JOURNAL_MARK_MAX } };
        struct collected col = { .n = 0 };
        struct journal *j = NULL;
        size_t size;
        char *d = state_new();

        recs[2].hold.rule = NULL;
        recs[2].hold.has_total = false;
        recs[2].hold.total = 0;
        recs[2].hold.customer_id = recs[2].hold.customer_name = recs[2].hold.currency = "";
        recs[2].hold.created_at = 0;
        recs[3].hold.rule = recs[3].hold.reason = recs[3].hold.customer_id = max_str;
        recs[3].hold.customer_name = recs[3].hold.currency = max_str;
        recs[3].hold.has_total = false; /* a total is stored as given even so */
        recs[3].hold.total = INT64_MIN;
        recs[5].external.source = "bootstrap";
        recs[5].external.customer_id = binary_str;
        recs[5].external.currency = "\xff\xfe";
        recs[5].external.total = INT64_MAX;
        recs[6].external.source = recs[6].external.customer_id = max_str;
        recs[6].external.currency = max_str;

        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(recs); i++)
                assert_int_equal(append(j, &recs[i]), 0);
        assert_int_equal(journal_sync(j), 0);
        size = journal_size(j);
        journal_close(j);

        assert_int_equal(reopen(d, &col, NULL, NULL), 0);
        assert_int_equal(col.n, ELEMENTSOF(recs));
        for (size_t i = 0; i < col.n; i++) {
                assert_same(&col.c[i].r, &recs[i]);
                assert_int_equal(col.c[i].r.seq, i + 1);
        }
        for (size_t i = 0; i < ELEMENTSOF(maxima); i++) {
                size_t k = maxima[i].index;
                uint64_t end = k + 1 < col.n ? col.c[k + 1].r.offset : size;

                assert_int_equal(end - col.c[k].r.offset, maxima[i].len);
        }
        collected_done(&col);
        assert_int_equal(journal_read(d, collect, &col, NULL), 0);
        assert_int_equal(col.n, ELEMENTSOF(recs));
        collected_done(&col);
        state_free(d);
}

/* Each check names the field an append would refuse, and the append
 * refuses it with the same code, writing nothing. */
static void test_new_type_checks(void **state)
{
        enum spoil { SPOIL_NULL, SPOIL_EMPTY, SPOIL_LONG };
        static const struct {
                enum journal_type type;
                const char *field;
                enum spoil spoil;
                int r;
        } cases[] = {
                { JOURNAL_HOLD, "order_id", SPOIL_NULL, -EINVAL },
                { JOURNAL_HOLD, "order_id", SPOIL_EMPTY, -EINVAL },
                { JOURNAL_HOLD, "order_id", SPOIL_LONG, -E2BIG },
                { JOURNAL_HOLD, "rule", SPOIL_LONG, -E2BIG },
                { JOURNAL_HOLD, "reason", SPOIL_NULL, -EINVAL },
                { JOURNAL_HOLD, "reason", SPOIL_LONG, -E2BIG },
                { JOURNAL_HOLD, "customer_id", SPOIL_NULL, -EINVAL },
                { JOURNAL_HOLD, "customer_id", SPOIL_LONG, -E2BIG },
                { JOURNAL_HOLD, "customer_name", SPOIL_NULL, -EINVAL },
                { JOURNAL_HOLD, "customer_name", SPOIL_LONG, -E2BIG },
                { JOURNAL_HOLD, "currency", SPOIL_NULL, -EINVAL },
                { JOURNAL_HOLD, "currency", SPOIL_LONG, -E2BIG },
                { JOURNAL_EXTERNAL, "order_id", SPOIL_NULL, -EINVAL },
                { JOURNAL_EXTERNAL, "order_id", SPOIL_EMPTY, -EINVAL },
                { JOURNAL_EXTERNAL, "order_id", SPOIL_LONG, -E2BIG },
                { JOURNAL_EXTERNAL, "status", SPOIL_NULL, -EINVAL },
                { JOURNAL_EXTERNAL, "status", SPOIL_LONG, -E2BIG },
                { JOURNAL_EXTERNAL, "source", SPOIL_NULL, -EINVAL },
                { JOURNAL_EXTERNAL, "source", SPOIL_LONG, -E2BIG },
                { JOURNAL_EXTERNAL, "customer_id", SPOIL_NULL, -EINVAL },
                { JOURNAL_EXTERNAL, "customer_id", SPOIL_LONG, -E2BIG },
                { JOURNAL_EXTERNAL, "currency", SPOIL_NULL, -EINVAL },
                { JOURNAL_EXTERNAL, "currency", SPOIL_LONG, -E2BIG },
                { JOURNAL_MARK, "what", SPOIL_NULL, -EINVAL },
                { JOURNAL_MARK, "what", SPOIL_EMPTY, -EINVAL },
                { JOURNAL_MARK, "what", SPOIL_LONG, -E2BIG },
        };
        const char *spoilt[] = { [SPOIL_NULL] = NULL, [SPOIL_EMPTY] = "", [SPOIL_LONG] = long_str };
        struct journal_record ok[] = { hold("H", 1, 1), external("X", 1, "Approved", 1),
                                       mark("m", 1) };
        struct journal *j = NULL;
        const char *field = "untouched";
        char *d = state_new();

        /* the good ones pass, leaving *ret_field alone; a NULL rule is fine */
        ok[0].hold.rule = NULL;
        assert_int_equal(journal_hold_check(&ok[0].hold, &field), 0);
        assert_int_equal(journal_external_check(&ok[1].external, &field), 0);
        assert_int_equal(journal_mark_check(&ok[2].mark, &field), 0);
        assert_string_equal(field, "untouched");
        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct journal_record r = cases[i].type == JOURNAL_HOLD       ? ok[0]
                                          : cases[i].type == JOURNAL_EXTERNAL ? ok[1]
                                                                              : ok[2];
                const char *v = spoilt[cases[i].spoil];
                const char **slot = NULL;
                int k;

                if (r.type == JOURNAL_HOLD) {
                        struct journal_hold *h = &r.hold;
                        slot = streq(cases[i].field, "order_id")        ? &h->order_id
                               : streq(cases[i].field, "rule")          ? &h->rule
                               : streq(cases[i].field, "reason")        ? &h->reason
                               : streq(cases[i].field, "customer_id")   ? &h->customer_id
                               : streq(cases[i].field, "customer_name") ? &h->customer_name
                                                                        : &h->currency;
                } else if (r.type == JOURNAL_EXTERNAL) {
                        struct journal_external *x = &r.external;
                        slot = streq(cases[i].field, "order_id")      ? &x->order_id
                               : streq(cases[i].field, "status")      ? &x->status
                               : streq(cases[i].field, "source")      ? &x->source
                               : streq(cases[i].field, "customer_id") ? &x->customer_id
                                                                      : &x->currency;
                } else
                        slot = &r.mark.what;
                *slot = v;
                field = NULL;
                k = r.type == JOURNAL_HOLD       ? journal_hold_check(&r.hold, &field)
                    : r.type == JOURNAL_EXTERNAL ? journal_external_check(&r.external, &field)
                                                 : journal_mark_check(&r.mark, &field);
                assert_int_equal(k, cases[i].r);
                assert_non_null(field);
                assert_string_equal(field, cases[i].field);
                assert_int_equal(append(j, &r), cases[i].r);
                assert_int_equal(journal_size(j), JOURNAL_FILE_HEADER_SIZE);
        }
        for (size_t i = 0; i < ELEMENTSOF(ok); i++)
                assert_int_equal(append(j, &ok[i]), 0);
        journal_close(j);
        state_free(d);
}

/* ---- file versions ---- */

/* A journal file of the given version in memory: its header, then recs
 * numbered from first_seq.  The caller frees it. */
static uint8_t *journal_image(uint32_t version, uint64_t first_seq,
                              const struct journal_record *recs, size_t n, size_t *ret_size)
{
        uint8_t *buf = malloc(JOURNAL_FILE_HEADER_SIZE + n * JOURNAL_RECORD_MAX);
        size_t size = JOURNAL_FILE_HEADER_SIZE;
        uint32_t crc;

        assert_non_null(buf);
        journal_header_encode(first_seq, buf);
        for (int i = 0; i < 4; i++)
                buf[8 + i] = (uint8_t)(version >> (8 * i));
        crc = crc32c(0, buf, 28);
        for (int i = 0; i < 4; i++)
                buf[28 + i] = (uint8_t)(crc >> (8 * i));
        for (size_t i = 0; i < n; i++) {
                int len = journal_record_encode(&recs[i], first_seq + i, buf + size);

                assert_true(len > 0);
                size += (size_t)len;
        }
        *ret_size = size;
        return buf;
}

static uint32_t file_version(const uint8_t *data)
{
        return (uint32_t)data[8] | (uint32_t)data[9] << 8 | (uint32_t)data[10] << 16 |
               (uint32_t)data[11] << 24;
}

/* A new journal is written as the current version. */
static void test_new_file_version(void **state)
{
        size_t size;
        uint8_t *data;
        char *d = state_new();

        write_pairs(d, 2);
        data = file_get(d, &size);
        assert_int_equal(file_version(data), JOURNAL_VERSION);
        assert_int_equal(JOURNAL_VERSION, 3);
        free(data);
        state_free(d);
}

/* A version-1 journal (intents and outcomes only) is read as it is by
 * journal_read(), and rewritten as the current version by journal_open() before
 * anything is appended: same records, byte for byte, same sequence. */
static void test_version_1_upgraded(void **state)
{
        const struct journal_record recs[] = {
                intent("ORD-1", 1000, "r"),
                outcome("ORD-1", 1001),
                intent("ORD-2", 1002, NULL),
        };
        struct journal_record h = hold("ORD-3", 1003, 42);
        struct collected col = { .n = 0 };
        struct journal *j = NULL;
        struct journal_scan sc;
        size_t size, size2;
        uint8_t *image, *after;
        char tmp[256], *d = state_new();
        struct stat st;

        image = journal_image(1, 7, recs, ELEMENTSOF(recs), &size);
        write_pairs(d, 0);
        file_put(d, image, size);
        assert_int_equal(journal_scan_buffer(image, size, NULL, NULL, &sc), 0);
        assert_int_equal(sc.version, 1);
        assert_int_equal(sc.damage, JOURNAL_DAMAGE_NONE);

        assert_int_equal(journal_read(d, collect, &col, NULL), 0);
        assert_int_equal(col.n, 3);
        assert_int_equal(col.c[0].r.seq, 7);
        collected_done(&col);
        after = file_get(d, &size2);
        assert_int_equal(size2, size);
        assert_memory_equal(after, image, size); /* read, never changed */
        free(after);

        assert_int_equal(journal_open(&j, d, collect, &col, NULL, NULL), 0);
        assert_int_equal(col.n, 3);
        for (size_t i = 0; i < col.n; i++)
                assert_same(&col.c[i].r, &recs[i]);
        collected_done(&col);
        after = file_get(d, &size2);
        assert_int_equal(size2, size);
        assert_int_equal(file_version(after), JOURNAL_VERSION);
        assert_memory_equal(after + 16, image + 16, 8); /* first_seq */
        assert_memory_equal(after + JOURNAL_FILE_HEADER_SIZE, image + JOURNAL_FILE_HEADER_SIZE,
                            size - JOURNAL_FILE_HEADER_SIZE);
        free(after);
        snprintf(tmp, sizeof(tmp), "%s/%s", d, JOURNAL_TMP_NAME);
        assert_int_equal(stat(tmp, &st), -1);
        assert_int_equal(append(j, &h), 0);
        journal_close(j);

        assert_int_equal(reopen(d, &col, NULL, NULL), 0);
        assert_int_equal(col.n, 4);
        assert_same(&col.c[3].r, &h);
        assert_int_equal(col.c[3].r.seq, 10);
        collected_done(&col);
        free(image);
        state_free(d);
}

/* If the rewrite cannot be made, journal_open() fails and the version-1
 * file is left as it was. */
static void test_version_1_upgrade_fails(void **state)
{
        const struct journal_record recs[] = { intent("ORD-1", 1000, "r") };
        struct journal *j = NULL;
        size_t size, size2;
        uint8_t *image, *after;
        char tmp[256], *d = state_new();

        image = journal_image(1, 1, recs, ELEMENTSOF(recs), &size);
        write_pairs(d, 0);
        file_put(d, image, size);
        snprintf(tmp, sizeof(tmp), "%s/%s", d, JOURNAL_TMP_NAME);
        assert_int_equal(mkdir(tmp, 0700), 0);
        assert_true(journal_open(&j, d, NULL, NULL, NULL, NULL) < 0);
        assert_null(j);
        after = file_get(d, &size2);
        assert_int_equal(size2, size);
        assert_memory_equal(after, image, size);
        free(after);
        assert_int_equal(rmdir(tmp), 0);
        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        journal_close(j);
        after = file_get(d, &size2);
        assert_int_equal(file_version(after), JOURNAL_VERSION);
        free(after);
        free(image);
        state_free(d);
}

/* A version-1 file cannot hold the new types: one there, with a valid CRC,
 * is damage wherever it is (even last, it is never cut as a torn tail). */
static void test_version_1_refuses_new_types(void **state)
{
        const struct journal_record news[] = { hold("H", 1, 1), external("X", 1, "Approved", 1),
                                               mark("bootstrap", 1) };
        char *d = state_new();

        write_pairs(d, 0);
        for (size_t i = 0; i < ELEMENTSOF(news); i++) {
                const struct journal_record recs[] = { intent("ORD-1", 1000, NULL), news[i] };
                struct collected col = { .n = 0 };
                uint64_t bad = 0, at;
                size_t size, size2;
                uint8_t *image = journal_image(1, 1, recs, ELEMENTSOF(recs), &size), *after;

                free(journal_image(1, 1, recs, 1, &size2));
                at = size2; /* where the new record starts */
                file_put(d, image, size);
                assert_int_equal(journal_read(d, collect, &col, &bad), -EBADMSG);
                assert_int_equal(bad, at);
                assert_int_equal(col.n, 1);
                collected_done(&col);
                bad = 0;
                assert_int_equal(reopen(d, &col, NULL, &bad), -EBADMSG);
                collected_done(&col);
                assert_int_equal(bad, at);
                after = file_get(d, &size2);
                assert_int_equal(size2, size);
                assert_memory_equal(after, image, size);
                free(after);
                free(image);
        }
        state_free(d);
}

/* Headers of versions this approvald does not read are refused as such,
 * and the file is left alone. */
static void test_other_versions(void **state)
{
        const struct journal_record recs[] = { intent("ORD-1", 1000, NULL) };
        const uint32_t versions[] = { 0, JOURNAL_VERSION + 1, UINT32_MAX };
        char *d = state_new();

        write_pairs(d, 0);
        for (size_t i = 0; i < ELEMENTSOF(versions); i++) {
                struct journal *j = NULL;
                struct journal_scan sc;
                size_t size, size2;
                uint8_t *image = journal_image(versions[i], 1, recs, 1, &size), *after;

                file_put(d, image, size);
                assert_int_equal(journal_scan_buffer(image, size, NULL, NULL, &sc),
                                 -EPROTONOSUPPORT);
                assert_int_equal(journal_read(d, NULL, NULL, NULL), -EPROTONOSUPPORT);
                assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), -EPROTONOSUPPORT);
                assert_null(j);
                after = file_get(d, &size2);
                assert_int_equal(size2, size);
                assert_memory_equal(after, image, size);
                free(after);
                free(image);
        }
        state_free(d);
}

/* A torn tail is bounded by the largest record the file's version holds:
 * a non-zero byte that far past a torn record is damage in a version-1
 * file, whose largest record is shorter, and still a tail in version 2. */
static void test_tail_bound_by_version(void **state)
{
        const struct journal_record recs[] = { intent("ORD-1", 1000, NULL) };
        const uint32_t versions[] = { 1, 2 };
        const int want[] = { -EBADMSG, 0 };
        struct collected col = { .n = 0 };
        char *d = state_new();

        assert_true(JOURNAL_V1_RECORD_MAX < JOURNAL_RECORD_MAX);
        write_pairs(d, 0);
        for (size_t i = 0; i < ELEMENTSOF(versions); i++) {
                size_t end, size = 0;
                uint8_t *image = journal_image(versions[i], 1, recs, 1, &end);
                uint8_t *buf = calloc(1, end + 2 * JOURNAL_RECORD_MAX);

                assert_non_null(buf);
                memcpy(buf, image, end);
                memcpy(buf + end, image + JOURNAL_FILE_HEADER_SIZE, 10); /* a torn start */
                buf[end + JOURNAL_V1_RECORD_MAX] = 0x5a;
                size = end + 2 * JOURNAL_RECORD_MAX;
                file_put(d, buf, size);
                assert_int_equal(journal_read(d, NULL, NULL, NULL), -EBADMSG);
                assert_int_equal(reopen(d, &col, NULL, NULL), want[i]);
                assert_int_equal(col.n, 1);
                collected_done(&col);
                free(buf);
                free(image);
        }
        state_free(d);
}

static void test_reopen_continues(void **state)
{
        struct collected col = { .n = 0 };
        struct journal *j = NULL;
        struct journal_record r = intent("late", 5000, NULL);
        char *d = state_new();

        write_pairs(d, 4);
        assert_int_equal(journal_open(&j, d, collect, &col, NULL, NULL), 0);
        assert_int_equal(col.n, 4);
        assert_int_equal(append(j, &r), 0);
        journal_close(j);
        collected_done(&col);
        assert_int_equal(reopen(d, &col, NULL, NULL), 0);
        assert_int_equal(col.n, 5);
        assert_int_equal(col.c[4].r.seq, 5);
        assert_string_equal(col.c[4].r.intent.order_id, "late");
        collected_done(&col);
        state_free(d);
}

/* Cutting the file anywhere inside its last record loses just that record;
 * the next append continues the sequence. */
static void test_torn_tail_every_byte(void **state)
{
        struct collected col = { .n = 0 };
        uint64_t last, trunc, bad = 7;
        size_t size, size2;
        uint8_t *data, *after;
        char *d = state_new();

        write_pairs(d, 3);
        assert_int_equal(reopen(d, &col, NULL, NULL), 0);
        last = col.c[2].r.offset;
        collected_done(&col);
        data = file_get(d, &size);
        for (size_t cut = last + 1; cut < size; cut++) {
                file_put(d, data, cut);
                assert_int_equal(journal_read(d, NULL, NULL, &bad), -EBADMSG);
                assert_int_equal(bad, last);
                assert_int_equal(reopen(d, &col, &trunc, NULL), 0);
                assert_int_equal(trunc, cut - last);
                assert_int_equal(col.n, 2);
                collected_done(&col);
                after = file_get(d, &size2);
                assert_int_equal(size2, last);
                assert_memory_equal(after, data, last);
                free(after);
        }
        write_pairs(d, 1);
        assert_int_equal(reopen(d, &col, NULL, NULL), 0);
        assert_int_equal(col.n, 3);
        assert_int_equal(col.c[2].r.seq, 3);
        collected_done(&col);
        free(data);
        state_free(d);
}

/* Zeros after the last record, over part of it, or over all of it. */
static void test_zeroed_tail(void **state)
{
        static const struct {
                size_t zero_from_last; /* zeros start this far into the last record */
                size_t extra; /* zero bytes added after the end */
                size_t keep; /* records left */
        } cases[] = {
                { SIZE_MAX, 4096, 3 }, { SIZE_MAX, 1, 3 }, { 0, 0, 2 },
                { 5, 0, 2 },           { 25, 100, 2 },     { 0, 8192, 2 },
        };
        struct collected col = { .n = 0 };
        uint64_t last, trunc;
        size_t size, size2;
        uint8_t *data;
        char *d = state_new();

        write_pairs(d, 3);
        assert_int_equal(reopen(d, &col, NULL, NULL), 0);
        last = col.c[2].r.offset;
        collected_done(&col);
        data = file_get(d, &size);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t n = size + cases[i].extra;
                uint8_t *buf = calloc(1, n);

                memcpy(buf, data, size);
                if (cases[i].zero_from_last != SIZE_MAX)
                        memset(buf + last + cases[i].zero_from_last, 0,
                               size - last - cases[i].zero_from_last);
                file_put(d, buf, n);
                assert_int_equal(reopen(d, &col, &trunc, NULL), 0);
                assert_int_equal(col.n, cases[i].keep);
                collected_done(&col);
                free(file_get(d, &size2));
                assert_int_equal(size2, cases[i].keep == 3 ? size : last);
                assert_int_equal(trunc, n - size2);
                free(buf);
        }
        free(data);
        state_free(d);
}

/* A bad record at offset 32, then a pattern that looks like record headers
 * of the largest length at every 8th byte (issue 14, item 7): no crash
 * leaves that many bytes after the last good record, so it is damage,
 * refused without touching the file, not a tail to cut. */
static void test_crafted_tail(void **state)
{
        static const uint8_t pattern[8] = { 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00 };
        size_t size = 256 * 1024;
        uint8_t *data = calloc(1, size), *after;
        struct collected col = { .n = 0 };
        uint64_t bad = 0;
        size_t size2;
        char *d = state_new();

        assert_non_null(data);
        write_pairs(d, 0);
        journal_header_encode(1, data);
        memcpy(data + JOURNAL_FILE_HEADER_SIZE, "not a record at all!", 20);
        for (size_t at = JOURNAL_FILE_HEADER_SIZE + 20; at + 8 <= size; at += 8)
                memcpy(data + at, pattern, 8);
        file_put(d, data, size);
        assert_int_equal(journal_read(d, NULL, NULL, &bad), -EBADMSG);
        assert_int_equal(bad, JOURNAL_FILE_HEADER_SIZE);
        bad = 0;
        assert_int_equal(reopen(d, &col, NULL, &bad), -EBADMSG);
        assert_int_equal(bad, JOURNAL_FILE_HEADER_SIZE);
        assert_int_equal(col.n, 0);
        after = file_get(d, &size2);
        assert_int_equal(size2, size);
        assert_memory_equal(after, data, size);
        free(after);
        free(data);
        state_free(d);
}

/* Where a torn tail ends: the torn record's own bytes and then zeros, however
 * many; a non-zero byte one maximal record or more past the last good
 * record is damage. */
static void test_tail_bound(void **state)
{
        static const struct {
                size_t nonzero_at; /* past the last good record; 0: none */
                size_t size; /* of the part after the last good record */
                int r;
        } cases[] = {
                { 0, 1 << 20, 0 },
                { 7, 1 << 20, 0 },
                { JOURNAL_RECORD_MAX - 1, 1 << 20, 0 },
                { JOURNAL_RECORD_MAX, 1 << 20, -EBADMSG },
                { JOURNAL_RECORD_MAX + 4096, 1 << 20, -EBADMSG },
                { (1 << 20) - 1, 1 << 20, -EBADMSG },
        };
        struct collected col = { .n = 0 };
        uint64_t trunc, bad;
        size_t end, size, size2;
        uint8_t *data;
        char *d = state_new();

        write_pairs(d, 2);
        data = file_get(d, &end);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size = end + cases[i].size;
                uint8_t *buf = calloc(1, size), *after;

                memcpy(buf, data, end);
                memcpy(buf + end, data + JOURNAL_FILE_HEADER_SIZE, 10); /* a torn start */
                if (cases[i].nonzero_at)
                        buf[end + cases[i].nonzero_at] = 0x5a;
                file_put(d, buf, size);
                trunc = bad = 12345;
                assert_int_equal(reopen(d, &col, &trunc, &bad), cases[i].r);
                assert_int_equal(col.n, 2);
                collected_done(&col);
                after = file_get(d, &size2);
                if (cases[i].r == 0) {
                        assert_int_equal(trunc, cases[i].size);
                        assert_int_equal(size2, end);
                } else {
                        assert_int_equal(bad, end);
                        assert_int_equal(size2, size);
                        assert_memory_equal(after, buf, size);
                }
                free(after);
                free(buf);
        }
        free(data);
        state_free(d);
}

/* Every single flipped byte of a record that has another after it is
 * middle damage: refused, with the record's offset, file untouched. */
static void test_flip_in_middle(void **state)
{
        struct collected col = { .n = 0 };
        uint64_t second, third, bad;
        size_t size, size2;
        uint8_t *data, *after;
        char *d = state_new();

        write_pairs(d, 3);
        assert_int_equal(reopen(d, &col, NULL, NULL), 0);
        second = col.c[1].r.offset;
        third = col.c[2].r.offset;
        collected_done(&col);
        data = file_get(d, &size);
        for (uint64_t at = 0; at < third; at++) {
                uint64_t want = at < JOURNAL_FILE_HEADER_SIZE ? 0
                                : at < second                 ? JOURNAL_FILE_HEADER_SIZE
                                                              : second;

                data[at] ^= 0x10;
                file_put(d, data, size);
                bad = 12345;
                assert_int_equal(reopen(d, &col, NULL, &bad), -EBADMSG);
                assert_int_equal(bad, want);
                collected_done(&col);
                after = file_get(d, &size2);
                assert_int_equal(size2, size);
                assert_memory_equal(after, data, size);
                free(after);
                bad = 12345;
                assert_int_equal(journal_read(d, NULL, NULL, &bad), -EBADMSG);
                assert_int_equal(bad, want);
                data[at] ^= 0x10;
        }
        free(data);
        state_free(d);
}

/* Records whose CRC is right but whose content is not are never a torn
 * write, even at the very end. */
static void test_valid_crc_wrong_content(void **state)
{
        struct journal_record r = intent("X", 1, NULL);
        uint8_t rec[JOURNAL_RECORD_MAX];
        size_t size;
        uint8_t *data;
        uint64_t bad = 0;
        int len;
        char *d = state_new();

        write_pairs(d, 2);
        data = file_get(d, &size);
        for (uint64_t seq = 1; seq < 6; seq++) {
                struct collected col = { .n = 0 };
                uint8_t *buf;

                if (seq == 3)
                        continue; /* the right one */
                buf = malloc(size + JOURNAL_RECORD_MAX);
                len = journal_record_encode(&r, seq, rec);
                assert_true(len > 0);
                memcpy(buf, data, size);
                memcpy(buf + size, rec, (size_t)len);
                file_put(d, buf, size + (size_t)len);
                assert_int_equal(reopen(d, &col, NULL, &bad), -EBADMSG);
                assert_int_equal(bad, size);
                collected_done(&col);
                free(buf);
        }
        free(data);
        state_free(d);
}

static void test_headers(void **state)
{
        static const struct {
                const char *content;
                size_t len;
                int r;
                uint64_t trunc_or_bad;
        } cases[] = {
                { "", 0, 0, 0 }, /* empty: a fresh header is written */
                { "APVD", 4, 0, 4 }, /* torn header */
                { "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                  "\0",
                  40, 0, 40 }, /* all zeros */
                { "hello, this is not a journal file at all", 40, -EBADMSG, 0 },
                { "APVX", 4, -EBADMSG, 0 },
        };
        struct collected col = { .n = 0 };
        uint64_t v;
        size_t size;
        char *d = state_new();

        write_pairs(d, 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint8_t *after;

                file_put(d, (const uint8_t *)cases[i].content, cases[i].len);
                v = 777;
                assert_int_equal(
                        reopen(d, &col, cases[i].r < 0 ? NULL : &v, cases[i].r < 0 ? &v : NULL),
                        cases[i].r);
                assert_int_equal(v, cases[i].trunc_or_bad);
                assert_int_equal(col.n, 0);
                after = file_get(d, &size);
                if (cases[i].r < 0) {
                        assert_int_equal(size, cases[i].len);
                } else {
                        assert_int_equal(size, JOURNAL_FILE_HEADER_SIZE);
                        assert_memory_equal(after, JOURNAL_MAGIC, 8);
                }
                free(after);
        }
        state_free(d);
}

static void test_lock(void **state)
{
        struct journal *j = NULL, *j2 = NULL;
        char *d = state_new();
        pid_t pid;
        int status;

        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        assert_int_equal(journal_open(&j2, d, NULL, NULL, NULL, NULL), -EWOULDBLOCK);
        assert_null(j2);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* the child's inherited descriptors share the parent's lock, so
                 * it opens its own as a second daemon would */
                int r = journal_open(&j2, d, NULL, NULL, NULL, NULL);

                journal_close(j);
                free(d); /* leak-free child for valgrind */
                _exit(r == -EWOULDBLOCK ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        journal_close(j);
        assert_int_equal(journal_open(&j2, d, NULL, NULL, NULL, NULL), 0);
        journal_close(j2);
        state_free(d);
}

/* Someone "cleans a stale lock" under a running daemon: a second opener must
 * still be refused, in another process and in this one. */
static void test_lock_file_removed(void **state)
{
        struct journal *j = NULL, *j2 = NULL;
        char p[256], *d = state_new();
        pid_t pid;
        int status;

        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        snprintf(p, sizeof(p), "%s/%s", d, JOURNAL_LOCK_NAME);
        unlink(p); /* may not exist at all */
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int r = journal_open(&j2, d, NULL, NULL, NULL, NULL);

                journal_close(j2);
                journal_close(j);
                free(d);
                _exit(r == -EWOULDBLOCK ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_int_equal(journal_open(&j2, d, NULL, NULL, NULL, NULL), -EWOULDBLOCK);
        assert_null(j2);
        journal_close(j);
        assert_int_equal(journal_open(&j2, d, NULL, NULL, NULL, NULL), 0);
        journal_close(j2);
        state_free(d);
}

/* In a child: a file size limit makes the append write part of the record
 * and then fail; the part must be cut off again. */
static int short_write_child(const char *d)
{
        struct journal_record r = intent("ORD-big", 1, max_str);
        struct journal *j = NULL;
        struct rlimit rl;
        uint64_t size;

        signal(SIGXFSZ, SIG_IGN);
        if (journal_open(&j, d, NULL, NULL, NULL, NULL) < 0)
                return 1;
        size = journal_size(j);
        rl = (struct rlimit){ size + 100, RLIM_INFINITY };
        if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
                return 2;
        if (append(j, &r) != -EFBIG || journal_size(j) != size)
                return 3;
        rl.rlim_cur = RLIM_INFINITY;
        if (setrlimit(RLIMIT_FSIZE, &rl) < 0 || append(j, &r) < 0 || journal_sync(j) < 0)
                return 4;
        journal_close(j);
        return 0;
}

static void test_short_write_undone(void **state)
{
        struct collected col = { .n = 0 };
        char *d = state_new();
        int status;
        pid_t pid;

        write_pairs(d, 2);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int r = short_write_child(d);

                free(d); /* leak-free child for valgrind */
                _exit(r);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_int_equal(journal_read(d, collect, &col, NULL), 0);
        assert_int_equal(col.n, 3);
        assert_string_equal(col.c[2].r.intent.order_id, "ORD-big");
        collected_done(&col);
        state_free(d);
}

/* A journal that is not a regular file is refused at once, naming what it
 * is by its code, never waited on (a FIFO with no writer would block a
 * plain open for reading forever). */
static void test_not_a_file(void **state)
{
        struct journal *j = NULL;
        char p[256], *d = state_new();

        path_of(d, p, sizeof(p));
        assert_int_equal(mkfifo(p, 0600), 0);
        assert_int_equal(journal_read(d, NULL, NULL, NULL), -ENODEV);
        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), -ENODEV);
        assert_null(j);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(mkdir(p, 0700), 0);
        assert_int_equal(journal_read(d, NULL, NULL, NULL), -EISDIR);
        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), -EISDIR);
        assert_int_equal(rmdir(p), 0);
        assert_int_equal(symlink("/dev/null", p), 0);
        assert_int_equal(journal_read(d, NULL, NULL, NULL), -ELOOP);
        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), -ELOOP);
        state_free(d);
}

/* Whatever sits at journal.tmp (here a FIFO, which would take the writes
 * and then be renamed over the journal) is replaced, never written into. */
static void test_tmp_not_a_file(void **state)
{
        struct collected col = { .n = 0 };
        struct journal *j = NULL;
        char tmp[256], *d = state_new();
        struct stat st;

        write_pairs(d, 6);
        snprintf(tmp, sizeof(tmp), "%s/%s", d, JOURNAL_TMP_NAME);
        assert_int_equal(mkfifo(tmp, 0600), 0);
        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        assert_int_equal(journal_compact(j, 1000, 10000, 0), 1);
        journal_close(j);
        assert_int_equal(journal_read(d, collect, &col, NULL), 0);
        assert_int_equal(col.n, 6);
        collected_done(&col);
        assert_int_equal(stat(tmp, &st), -1);
        state_free(d);
}

static void test_missing_dir(void **state)
{
        struct journal *j = NULL;

        assert_int_equal(journal_open(&j, "/nonexistent/approvald-state", NULL, NULL, NULL, NULL),
                         -ENOENT);
        assert_int_equal(journal_read("/nonexistent/approvald-state", NULL, NULL, NULL), -ENOENT);
        journal_close(NULL);
}

/* Old finished orders go; recent orders and pending intents stay, with
 * their records in order and renumbered up to the old last seq. */
static void test_compact(void **state)
{
        const struct journal_record recs[] = {
                intent("old-done", 100, NULL), /* dropped */
                intent("old-pending", 110, NULL), /* kept: no outcome */
                outcome("old-done", 120),
                intent("recent", 900, "r"), /* kept */
                intent("old-late-outcome", 130, NULL), /* kept: outcome is recent */
                outcome("recent", 910),
                intent("old-retried", 140, NULL), /* kept: pending again */
                outcome("old-retried", 150),
                intent("old-retried", 160, NULL),
                outcome("old-late-outcome", 950),
        };
        const size_t kept[] = { 1, 3, 4, 5, 6, 7, 8, 9 };
        struct collected col = { .n = 0 };
        struct journal *j = NULL;
        struct journal_record extra = outcome("old-pending", 1000);
        uint64_t size;
        char *d = state_new();

        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(recs); i++)
                assert_int_equal(append(j, &recs[i]), 0);
        size = journal_size(j);
        assert_int_equal(journal_compact(j, 1000, 500, size), 0);
        assert_int_equal(journal_size(j), size);
        assert_int_equal(journal_compact(j, 1000, 500, size - 1), 1);
        assert_true(journal_size(j) < size);
        assert_int_equal(append(j, &extra), 0); /* the new file takes appends */
        journal_close(j);

        assert_int_equal(reopen(d, &col, NULL, NULL), 0);
        assert_int_equal(col.n, ELEMENTSOF(kept) + 1);
        for (size_t i = 0; i < ELEMENTSOF(kept); i++) {
                assert_same(&col.c[i].r, &recs[kept[i]]);
                assert_int_equal(col.c[i].r.seq, ELEMENTSOF(recs) - ELEMENTSOF(kept) + 1 + i);
        }
        assert_same(&col.c[ELEMENTSOF(kept)].r, &extra);
        assert_int_equal(col.c[ELEMENTSOF(kept)].r.seq, ELEMENTSOF(recs) + 1);
        collected_done(&col);

        /* Compacting with everything old keeps only what is pending. */
        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        assert_int_equal(journal_compact(j, 100000, 1, 0), 1);
        journal_close(j);
        assert_int_equal(reopen(d, &col, NULL, NULL), 0);
        assert_int_equal(col.n, 3); /* all of the pending order's records */
        for (size_t i = 0; i < 3; i++) {
                assert_same(&col.c[i].r, &recs[6 + i]);
                assert_int_equal(col.c[i].r.seq, ELEMENTSOF(recs) - 1 + i);
        }
        collected_done(&col);
        state_free(d);
}

/* One compaction with now = 1000 and keep_s = 500 (cutoff 500) over recs;
 * exactly the records marked kept stay, in their order, renumbered to end
 * at the old last seq. */
struct compact_case {
        struct journal_record r;
        bool kept;
};

static void check_compaction(const struct compact_case *cases, size_t n)
{
        struct collected col = { .n = 0 };
        struct journal *j = NULL;
        size_t n_kept = 0, k = 0;
        char *d = state_new();

        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(append(j, &cases[i].r), 0);
                n_kept += cases[i].kept;
        }
        assert_int_equal(journal_compact(j, 1000, 500, 0), 1);
        journal_close(j);
        assert_int_equal(reopen(d, &col, NULL, NULL), 0);
        assert_int_equal(col.n, n_kept);
        for (size_t i = 0; i < n; i++) {
                if (!cases[i].kept)
                        continue;
                assert_same(&col.c[k].r, &cases[i].r);
                assert_int_equal(col.c[k].r.seq, n - n_kept + 1 + k);
                k++;
        }
        collected_done(&col);
        state_free(d);
}

/* A hold is kept, however old, while nothing came after it for its order
 * (a person may still decide it); once an intent, outcome or external
 * record follows, the order's age decides as for any other. */
static void test_compact_holds(void **state)
{
        const struct compact_case cases[] = {
                { hold("waiting-old", 100, 1), true },
                { hold("decided-old", 100, 1), false },
                { external("decided-old", 120, "Approved", 120), false },
                { hold("approved-by-us-old", 100, 1), false },
                { intent("approved-by-us-old", 110, NULL), false },
                { outcome("approved-by-us-old", 120), false },
                { hold("intent-pending", 100, 1), true },
                { intent("intent-pending", 110, NULL), true },
                { hold("held-twice-old", 100, 1), true },
                { hold("held-twice-old", 130, 2), true },
                { hold("decided-recently", 100, 1), true },
                { external("decided-recently", 950, "Rejected", 950), true },
                { hold("held-recently", 900, 1), true },
                { outcome("held-recently", 910), true }, /* recent, whatever else */
        };

        check_compaction(cases, ELEMENTSOF(cases));
}

/* An external record keeps its order while it was learnt or counts from a
 * time within keep_s; an order's records go or stay together, so an
 * approval never outlives the later rejection that cancels it. */
static void test_compact_externals(void **state)
{
        const struct compact_case cases[] = {
                { external("old", 100, "Approved", 90), false },
                { external("learnt-recently", 950, "Approved", 100), true },
                { external("counts-recently", 100, "Approved", 950), true },
                { intent("ours-rejected-later", 100, NULL), true },
                { outcome("ours-rejected-later", 101), true },
                { external("ours-rejected-later", 950, "Rejected", 950), true },
                { external("approved-then-rejected-old", 100, "Approved", 100), false },
                { external("approved-then-rejected-old", 200, "Rejected", 200), false },
                { external("approved-recent-rejected", 900, "Approved", 900), true },
                { external("approved-recent-rejected", 960, "Rejected", 960), true },
                { external("not-found-old", 300, "NotFound", 300), false },
        };

        check_compaction(cases, ELEMENTSOF(cases));
}

/* The latest mark of each what stays whatever its age; earlier ones go.
 * A mark and an order with the same name do not mix. */
static void test_compact_marks(void **state)
{
        const struct compact_case cases[] = {
                { mark("bootstrap", 100), false },         { mark("other", 110), true },
                { intent("bootstrap", 115, NULL), false }, { outcome("bootstrap", 116), false },
                { mark("bootstrap", 120), false },         { mark("bootstrap", 130), true },
                { intent("recent", 900, NULL), true },     { outcome("recent", 901), true },
        };

        check_compaction(cases, ELEMENTSOF(cases));
}

/* Once more than max_size bytes are inside the window, compaction cannot
 * shrink the file: it must not rewrite it again on every call, only once
 * the file has doubled since its last rewrite (issue 8, item 5). */
static void test_compact_hysteresis(void **state)
{
        struct journal *j = NULL;
        uint64_t after, max = 2000;
        char id[32], *d = state_new();
        int n = 0, rewrites = 0;

        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        while (journal_size(j) <= max) {
                struct journal_record r = intent(id, 1000, "r");

                snprintf(id, sizeof(id), "O%d", n++);
                assert_int_equal(append(j, &r), 0);
        }
        /* every record is recent: a rewrite keeps them all */
        assert_int_equal(journal_compact(j, 1000, 500, max), 1);
        after = journal_size(j);
        assert_true(after > max);
        while (journal_size(j) <= 2 * after) {
                struct journal_record r = outcome(id, 1001);
                int k;

                snprintf(id, sizeof(id), "O%d", n++);
                assert_int_equal(append(j, &r), 0);
                k = journal_compact(j, 1001, 500, max);
                assert_true(k >= 0);
                rewrites += k;
                if (journal_size(j) <= 2 * after)
                        assert_int_equal(k, 0);
        }
        /* the call that saw the file past twice its size rewrote it */
        assert_int_equal(rewrites, 1);
        assert_true(journal_size(j) > 2 * after);
        journal_close(j);
        state_free(d);
}

static void test_compact_failure_keeps_file(void **state)
{
        struct journal *j = NULL;
        uint8_t *before, *after;
        size_t size, size2;
        char tmp[256], *d = state_new();
        struct journal_record r = intent("after", 1, NULL);

        write_pairs(d, 6);
        before = file_get(d, &size);
        snprintf(tmp, sizeof(tmp), "%s/%s", d, JOURNAL_TMP_NAME);
        assert_int_equal(mkdir(tmp, 0700), 0); /* the temp file cannot be made */
        assert_int_equal(journal_open(&j, d, NULL, NULL, NULL, NULL), 0);
        assert_true(journal_compact(j, 1000000, 1, 0) < 0);
        after = file_get(d, &size2);
        assert_int_equal(size2, size);
        assert_memory_equal(after, before, size);
        free(after);
        assert_int_equal(append(j, &r), 0);
        assert_true(journal_size(j) > size);
        journal_close(j);
        assert_int_equal(journal_read(d, NULL, NULL, NULL), 0);
        free(before);
        state_free(d);
}

/* The buffer scanner agrees with the file scanner on a torn journal. */
static void test_scan_buffer(void **state)
{
        struct collected col = { .n = 0 };
        struct journal_scan sc;
        size_t size;
        uint8_t *data;
        char *d = state_new();

        write_pairs(d, 4);
        data = file_get(d, &size);
        assert_int_equal(journal_scan_buffer(data, size, collect, &col, &sc), 0);
        assert_int_equal(sc.damage, JOURNAL_DAMAGE_NONE);
        assert_int_equal(sc.n_records, 4);
        assert_int_equal(sc.next_seq, 5);
        assert_int_equal(sc.end, size);
        collected_done(&col);
        assert_int_equal(journal_scan_buffer(data, size - 1, NULL, NULL, &sc), 0);
        assert_int_equal(sc.damage, JOURNAL_DAMAGE_TAIL);
        assert_int_equal(sc.n_records, 3);
        free(data);
        state_free(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_bad_appends),
                cmocka_unit_test(test_intent_check),
                cmocka_unit_test(test_outcome_check),
                cmocka_unit_test(test_round_trip_new_types),
                cmocka_unit_test(test_new_type_checks),
                cmocka_unit_test(test_new_file_version),
                cmocka_unit_test(test_version_1_upgraded),
                cmocka_unit_test(test_version_1_upgrade_fails),
                cmocka_unit_test(test_version_1_refuses_new_types),
                cmocka_unit_test(test_other_versions),
                cmocka_unit_test(test_tail_bound_by_version),
                cmocka_unit_test(test_reopen_continues),
                cmocka_unit_test(test_torn_tail_every_byte),
                cmocka_unit_test(test_zeroed_tail),
                cmocka_unit_test(test_crafted_tail),
                cmocka_unit_test(test_tail_bound),
                cmocka_unit_test(test_flip_in_middle),
                cmocka_unit_test(test_valid_crc_wrong_content),
                cmocka_unit_test(test_headers),
                cmocka_unit_test(test_lock),
                cmocka_unit_test(test_lock_file_removed),
                cmocka_unit_test(test_short_write_undone),
                cmocka_unit_test(test_missing_dir),
                cmocka_unit_test(test_not_a_file),
                cmocka_unit_test(test_tmp_not_a_file),
                cmocka_unit_test(test_compact),
                cmocka_unit_test(test_compact_holds),
                cmocka_unit_test(test_compact_externals),
                cmocka_unit_test(test_compact_marks),
                cmocka_unit_test(test_compact_hysteresis),
                cmocka_unit_test(test_compact_failure_keeps_file),
                cmocka_unit_test(test_scan_buffer),
        };

        samples_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
