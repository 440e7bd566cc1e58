/* test-journal.c: the journal's round trip, recovery of torn and zeroed
 * tails at every byte, refusal of damage in the middle, the lock, and
 * compaction. */
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

#include "journal-internal.h"
#include "journal.h"
#include "util.h"

#define MAX_RECS 64

/* A visited record with its own copies of the strings. */
struct copy {
        struct journal_record r;
        char *s[5];
};

struct collected {
        struct copy c[MAX_RECS];
        size_t n;
};

static void collected_done(struct collected *col)
{
        for (size_t i = 0; i < col->n; i++)
                for (size_t k = 0; k < 5; k++)
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
        if (r->type == JOURNAL_INTENT) {
                c->r.intent.order_id = keep(c, 0, r->intent.order_id);
                c->r.intent.rule = keep(c, 1, r->intent.rule);
                c->r.intent.reason = keep(c, 2, r->intent.reason);
                c->r.intent.customer_id = keep(c, 3, r->intent.customer_id);
                c->r.intent.currency = keep(c, 4, r->intent.currency);
        } else {
                c->r.outcome.order_id = keep(c, 0, r->outcome.order_id);
                c->r.outcome.final_status = keep(c, 1, r->outcome.final_status);
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

static int append(struct journal *j, const struct journal_record *r)
{
        if (r->type == JOURNAL_INTENT)
                return journal_append_intent(j, &r->intent);
        return journal_append_outcome(j, &r->outcome);
}

static void assert_same(const struct journal_record *a, const struct journal_record *b)
{
        assert_int_equal(a->type, b->type);
        if (a->type == JOURNAL_INTENT) {
                assert_string_equal(a->intent.order_id, b->intent.order_id);
                assert_int_equal(a->intent.decision, b->intent.decision);
                assert_true(streq_ptr(a->intent.rule, b->intent.rule));
                assert_string_equal(a->intent.reason, b->intent.reason);
                assert_string_equal(a->intent.customer_id, b->intent.customer_id);
                assert_int_equal(a->intent.total, b->intent.total);
                assert_string_equal(a->intent.currency, b->intent.currency);
                assert_int_equal(a->intent.time, b->intent.time);
        } else {
                assert_string_equal(a->outcome.order_id, b->outcome.order_id);
                assert_int_equal(a->outcome.http_status, b->outcome.http_status);
                assert_string_equal(a->outcome.final_status, b->outcome.final_status);
                assert_int_equal(a->outcome.time, b->outcome.time);
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
                cmocka_unit_test(test_compact_hysteresis),
                cmocka_unit_test(test_compact_failure_keeps_file),
                cmocka_unit_test(test_scan_buffer),
        };

        samples_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
