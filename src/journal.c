/* journal.c: approvald's append-only journal of decision intents, call
 * outcomes, holds, external records and marks: encoding, a scanner that
 * tells a torn tail (safe to cut) from damage in the middle (refuse), the
 * upgrade of a version-1 file, appends, and compaction.  The byte layout
 * is specified in docs/journal.md; this file must agree with it. */
#include "journal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "fileio.h"
#include "journal-internal.h"
#include "util.h"

/* Records are read from a file through a window this large (it must hold the
 * largest record), so memory does not grow with the journal. */
#define SOURCE_WINDOW (256 * 1024)
#define OUT_BUFFER (256 * 1024)

struct journal {
        int dir_fd;
        int lock_fd;
        int fd; /* O_APPEND */
        uint64_t size;
        uint64_t first_seq;
        uint64_t next_seq;
        uint64_t compacted_size; /* after the last rewrite; 0 before any */
        uint32_t version; /* of the file as found */
        bool broken; /* a failed append could not be undone: refuse more */
        uint8_t *buf; /* JOURNAL_RECORD_MAX bytes to build records in */
};

/* ---- little-endian encoding ---- */

static void put_le(uint8_t *p, uint64_t v, int n)
{
        for (int i = 0; i < n; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
        uint64_t v = 0;

        for (int i = 0; i < n; i++)
                v |= (uint64_t)p[i] << (8 * i);
        return v;
}

struct wbuf {
        uint8_t *p;
        size_t len;
};

static void w_int(struct wbuf *w, uint64_t v, int n)
{
        put_le(w->p + w->len, v, n);
        w->len += n;
}

/* The caller has checked the length against JOURNAL_STRING_MAX, so a
 * record never exceeds JOURNAL_RECORD_MAX. */
static void w_str(struct wbuf *w, const char *s)
{
        size_t n;

        if (!s) {
                w_int(w, JOURNAL_STRING_NULL, 2);
                return;
        }
        n = strlen(s);
        w_int(w, n, 2);
        memcpy(w->p + w->len, s, n);
        w->len += n;
}

/* 0 when s may be stored (NULL only when nullable), else -EINVAL/-E2BIG. */
static int check_str(const char *s, bool nullable, bool nonempty)
{
        size_t n;

        if (!s)
                return nullable ? 0 : -EINVAL;
        n = strnlen(s, JOURNAL_STRING_MAX + 1);
        if (n > JOURNAL_STRING_MAX)
                return -E2BIG;
        if (nonempty && n == 0)
                return -EINVAL;
        return 0;
}

/* A string field of a record type: where it sits in the struct, whether it
 * may be NULL, whether it may be empty.  Each type's table lists its
 * strings in the order they are stored, after its fixed-size fields, so
 * that the check, the encoder and the decoder cannot disagree. */
struct str_spec {
        const char *name;
        size_t offset;
        bool nullable, nonempty;
};

/* The name and the offset of a field, for the tables below. */
#define FIELD_AT(type, field) #field, offsetof(struct type, field)

static const struct str_spec intent_strs[] = {
        { FIELD_AT(journal_intent, order_id), false, true },
        { FIELD_AT(journal_intent, rule), true, false },
        { FIELD_AT(journal_intent, reason), false, false },
        { FIELD_AT(journal_intent, customer_id), false, false },
        { FIELD_AT(journal_intent, currency), false, false },
};

static const struct str_spec outcome_strs[] = {
        { FIELD_AT(journal_outcome, order_id), false, true },
        { FIELD_AT(journal_outcome, final_status), false, false },
};

static const struct str_spec hold_strs[] = {
        { FIELD_AT(journal_hold, order_id), false, true },
        { FIELD_AT(journal_hold, rule), true, false },
        { FIELD_AT(journal_hold, reason), false, false },
        { FIELD_AT(journal_hold, customer_id), false, false },
        { FIELD_AT(journal_hold, customer_name), false, false },
        { FIELD_AT(journal_hold, currency), false, false },
};

static const struct str_spec external_strs[] = {
        { FIELD_AT(journal_external, order_id), false, true },
        { FIELD_AT(journal_external, status), false, false },
        { FIELD_AT(journal_external, source), false, false },
        { FIELD_AT(journal_external, customer_id), false, false },
        { FIELD_AT(journal_external, currency), false, false },
};

static const struct str_spec mark_strs[] = {
        { FIELD_AT(journal_mark, what), false, true },
};

static const char *str_get(const void *base, const struct str_spec *spec)
{
        const char *p = (const char *)base + spec->offset;
        const char *s;

        memcpy(&s, p, sizeof(s));
        return s;
}

/* 0 when every string of base may be stored, else the first failure's
 * code, with its field's name in *ret_field (when not NULL). */
static int check_strs(const void *base, const struct str_spec *spec, size_t n,
                      const char **ret_field)
{
        for (size_t i = 0; i < n; i++) {
                int r = check_str(str_get(base, &spec[i]), spec[i].nullable, spec[i].nonempty);

                if (r < 0) {
                        if (ret_field)
                                *ret_field = spec[i].name;
                        return r;
                }
        }
        return 0;
}

static void w_strs(struct wbuf *w, const void *base, const struct str_spec *spec, size_t n)
{
        for (size_t i = 0; i < n; i++)
                w_str(w, str_get(base, &spec[i]));
}

int journal_intent_check(const struct journal_intent *in, const char **ret_field)
{
        int r;

        assert(in);

        r = check_strs(in, intent_strs, ELEMENTSOF(intent_strs), ret_field);
        if (r < 0)
                return r;
        if ((unsigned)in->decision >= _ACTION_MAX) {
                if (ret_field)
                        *ret_field = "decision";
                return -EINVAL;
        }
        return 0;
}

int journal_outcome_check(const struct journal_outcome *out, const char **ret_field)
{
        int r;

        assert(out);

        r = check_strs(out, outcome_strs, ELEMENTSOF(outcome_strs), ret_field);
        if (r < 0)
                return r;
        if (out->http_status < 0 || out->http_status > 999) {
                if (ret_field)
                        *ret_field = "http_status";
                return -EINVAL;
        }
        return 0;
}

int journal_hold_check(const struct journal_hold *h, const char **ret_field)
{
        assert(h);

        return check_strs(h, hold_strs, ELEMENTSOF(hold_strs), ret_field);
}

int journal_external_check(const struct journal_external *x, const char **ret_field)
{
        assert(x);

        return check_strs(x, external_strs, ELEMENTSOF(external_strs), ret_field);
}

int journal_mark_check(const struct journal_mark *m, const char **ret_field)
{
        assert(m);

        return check_strs(m, mark_strs, ELEMENTSOF(mark_strs), ret_field);
}

/* Checks the record's fields and encodes its payload into w: the fixed
 * fields, then the strings.  Returns 0, the check's code, or -EINVAL for
 * an unknown type. */
static int encode_payload(struct wbuf *w, const struct journal_record *r)
{
        const struct journal_intent *in = &r->intent;
        const struct journal_outcome *out = &r->outcome;
        const struct journal_hold *h = &r->hold;
        const struct journal_external *x = &r->external;
        const struct journal_mark *m = &r->mark;
        int k;

        switch (r->type) {
        case JOURNAL_INTENT:
                k = journal_intent_check(in, NULL);
                if (k < 0)
                        return k;
                w_int(w, (uint64_t)in->time, 8);
                w_int(w, (uint64_t)in->total, 8);
                w_int(w, (uint64_t)in->decision, 1);
                w_strs(w, in, intent_strs, ELEMENTSOF(intent_strs));
                return 0;
        case JOURNAL_OUTCOME:
                k = journal_outcome_check(out, NULL);
                if (k < 0)
                        return k;
                w_int(w, (uint64_t)out->time, 8);
                w_int(w, (uint64_t)out->http_status, 2);
                w_strs(w, out, outcome_strs, ELEMENTSOF(outcome_strs));
                return 0;
        case JOURNAL_HOLD:
                k = journal_hold_check(h, NULL);
                if (k < 0)
                        return k;
                w_int(w, (uint64_t)h->time, 8);
                w_int(w, (uint64_t)h->total, 8);
                w_int(w, (uint64_t)h->created_at, 8);
                w_int(w, h->rules_digest, 8);
                w_int(w,
                      (h->has_total ? JOURNAL_HOLD_HAS_TOTAL : 0) |
                              (h->reminded ? JOURNAL_HOLD_REMINDED : 0),
                      1);
                w_strs(w, h, hold_strs, ELEMENTSOF(hold_strs));
                return 0;
        case JOURNAL_EXTERNAL:
                k = journal_external_check(x, NULL);
                if (k < 0)
                        return k;
                w_int(w, (uint64_t)x->time, 8);
                w_int(w, (uint64_t)x->total, 8);
                w_int(w, (uint64_t)x->count_from, 8);
                w_strs(w, x, external_strs, ELEMENTSOF(external_strs));
                return 0;
        case JOURNAL_MARK:
                k = journal_mark_check(m, NULL);
                if (k < 0)
                        return k;
                w_int(w, (uint64_t)m->time, 8);
                w_strs(w, m, mark_strs, ELEMENTSOF(mark_strs));
                return 0;
        }
        return -EINVAL;
}

static uint32_t record_crc(const uint8_t *rec, size_t len)
{
        return crc32c(crc32c(0, rec, 16), rec + JOURNAL_RECORD_HEADER_SIZE,
                      len - JOURNAL_RECORD_HEADER_SIZE);
}

int journal_record_encode(const struct journal_record *r, uint64_t seq, uint8_t *buf)
{
        struct wbuf w = { buf, JOURNAL_RECORD_HEADER_SIZE };
        int k;

        assert(r);
        assert(buf);

        k = encode_payload(&w, r);
        if (k < 0)
                return k;
        put_le(buf, w.len, 4);
        put_le(buf + 4, r->type, 2);
        put_le(buf + 6, 0, 2);
        put_le(buf + 8, seq, 8);
        put_le(buf + 16, record_crc(buf, w.len), 4);
        return (int)w.len;
}

void journal_header_encode(uint64_t first_seq, uint8_t buf[JOURNAL_FILE_HEADER_SIZE])
{
        assert(buf);

        memcpy(buf, JOURNAL_MAGIC, 8);
        put_le(buf + 8, JOURNAL_VERSION, 4);
        put_le(buf + 12, 0, 4);
        put_le(buf + 16, first_seq, 8);
        put_le(buf + 24, 0, 4);
        put_le(buf + 28, crc32c(0, buf, 28), 4);
}

/* ---- decoding ---- */

/* Reads a payload; strings are copied NUL-terminated into scratch, which
 * holds JOURNAL_RECORD_MAX + 8 bytes. */
struct rbuf {
        const uint8_t *p;
        size_t len, pos;
        char *scratch;
        size_t used;
};

static int r_int(struct rbuf *b, int n, uint64_t *ret)
{
        if (b->len - b->pos < (size_t)n)
                return -EBADMSG;
        *ret = get_le(b->p + b->pos, n);
        b->pos += n;
        return 0;
}

static int r_str(struct rbuf *b, bool nullable, bool nonempty, const char **ret)
{
        uint64_t n;
        char *s;
        int r;

        r = r_int(b, 2, &n);
        if (r < 0)
                return r;
        if (n == JOURNAL_STRING_NULL && nullable) {
                *ret = NULL;
                return 0;
        }
        if (n > JOURNAL_STRING_MAX || b->len - b->pos < n || (nonempty && n == 0))
                return -EBADMSG;
        if (memchr(b->p + b->pos, 0, n))
                return -EBADMSG; /* could not come back as a C string */
        s = b->scratch + b->used;
        memcpy(s, b->p + b->pos, n);
        s[n] = '\0';
        b->used += n + 1;
        b->pos += n;
        *ret = s;
        return 0;
}

/* Reads the strings of spec into the struct at base. */
static int r_strs(struct rbuf *b, void *base, const struct str_spec *spec, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *s;
                int r = r_str(b, spec[i].nullable, spec[i].nonempty, &s);

                if (r < 0)
                        return r;
                memcpy((char *)base + spec[i].offset, &s, sizeof(s));
        }
        return 0;
}

static int decode_intent(struct rbuf *b, struct journal_intent *in)
{
        uint64_t time, total, decision;
        int r = 0;

        r = r < 0 ? r : r_int(b, 8, &time);
        r = r < 0 ? r : r_int(b, 8, &total);
        r = r < 0 ? r : r_int(b, 1, &decision);
        r = r < 0 ? r : r_strs(b, in, intent_strs, ELEMENTSOF(intent_strs));
        if (r < 0)
                return r;
        if (decision >= _ACTION_MAX)
                return -EBADMSG;
        in->time = (int64_t)time;
        in->total = (int64_t)total;
        in->decision = (enum action)decision;
        return 0;
}

static int decode_outcome(struct rbuf *b, struct journal_outcome *out)
{
        uint64_t time, status;
        int r = 0;

        r = r < 0 ? r : r_int(b, 8, &time);
        r = r < 0 ? r : r_int(b, 2, &status);
        r = r < 0 ? r : r_strs(b, out, outcome_strs, ELEMENTSOF(outcome_strs));
        if (r < 0)
                return r;
        if (status > 999)
                return -EBADMSG;
        out->time = (int64_t)time;
        out->http_status = (int)status;
        return 0;
}

static int decode_hold(struct rbuf *b, struct journal_hold *h)
{
        uint64_t time, total, created_at, digest, flags;
        int r = 0;

        r = r < 0 ? r : r_int(b, 8, &time);
        r = r < 0 ? r : r_int(b, 8, &total);
        r = r < 0 ? r : r_int(b, 8, &created_at);
        r = r < 0 ? r : r_int(b, 8, &digest);
        r = r < 0 ? r : r_int(b, 1, &flags);
        r = r < 0 ? r : r_strs(b, h, hold_strs, ELEMENTSOF(hold_strs));
        if (r < 0)
                return r;
        if (flags & ~(uint64_t)(JOURNAL_HOLD_HAS_TOTAL | JOURNAL_HOLD_REMINDED))
                return -EBADMSG;
        h->time = (int64_t)time;
        h->total = (int64_t)total;
        h->created_at = (int64_t)created_at;
        h->rules_digest = digest;
        h->has_total = flags & JOURNAL_HOLD_HAS_TOTAL;
        h->reminded = flags & JOURNAL_HOLD_REMINDED;
        return 0;
}

static int decode_external(struct rbuf *b, struct journal_external *x)
{
        uint64_t time, total, count_from;
        int r = 0;

        r = r < 0 ? r : r_int(b, 8, &time);
        r = r < 0 ? r : r_int(b, 8, &total);
        r = r < 0 ? r : r_int(b, 8, &count_from);
        r = r < 0 ? r : r_strs(b, x, external_strs, ELEMENTSOF(external_strs));
        if (r < 0)
                return r;
        x->time = (int64_t)time;
        x->total = (int64_t)total;
        x->count_from = (int64_t)count_from;
        return 0;
}

static int decode_mark(struct rbuf *b, struct journal_mark *m)
{
        uint64_t time;
        int r = 0;

        r = r < 0 ? r : r_int(b, 8, &time);
        r = r < 0 ? r : r_strs(b, m, mark_strs, ELEMENTSOF(mark_strs));
        if (r < 0)
                return r;
        m->time = (int64_t)time;
        return 0;
}

/* Decodes a record whose header and CRC were already checked (its type is
 * one record_kind_of() knows).  Trailing bytes after the last field make
 * it invalid: the writer never adds any. */
static int record_decode(const uint8_t *rec, size_t len, char *scratch, struct journal_record *ret)
{
        struct rbuf b = { rec, len, JOURNAL_RECORD_HEADER_SIZE, scratch, 0 };
        struct journal_record rr = { .type = (enum journal_type)get_le(rec + 4, 2),
                                     .seq = get_le(rec + 8, 8) };
        int r;

        switch (rr.type) {
        case JOURNAL_INTENT:
                r = decode_intent(&b, &rr.intent);
                break;
        case JOURNAL_OUTCOME:
                r = decode_outcome(&b, &rr.outcome);
                break;
        case JOURNAL_HOLD:
                r = decode_hold(&b, &rr.hold);
                break;
        case JOURNAL_EXTERNAL:
                r = decode_external(&b, &rr.external);
                break;
        case JOURNAL_MARK:
                r = decode_mark(&b, &rr.mark);
                break;
        default:
                r = -EBADMSG;
        }
        if (r < 0)
                return r;
        if (b.pos != len)
                return -EBADMSG;
        *ret = rr;
        return 0;
}

/* ---- scanning ---- */

/* The size bounds of each record type, and the first file version that
 * may hold it. */
struct record_kind {
        uint64_t min, max; /* whole record, header included */
        uint32_t since;
};

static const struct record_kind record_kinds[] = {
        [JOURNAL_INTENT] = { JOURNAL_RECORD_HEADER_SIZE + JOURNAL_INTENT_PAYLOAD_MIN,
                             JOURNAL_INTENT_MAX, 1 },
        [JOURNAL_OUTCOME] = { JOURNAL_RECORD_HEADER_SIZE + JOURNAL_OUTCOME_PAYLOAD_MIN,
                              JOURNAL_OUTCOME_MAX, 1 },
        [JOURNAL_HOLD] = { JOURNAL_RECORD_HEADER_SIZE + JOURNAL_HOLD_PAYLOAD_MIN, JOURNAL_HOLD_MAX,
                           2 },
        [JOURNAL_EXTERNAL] = { JOURNAL_RECORD_HEADER_SIZE + JOURNAL_EXTERNAL_PAYLOAD_MIN,
                               JOURNAL_EXTERNAL_MAX, 2 },
        [JOURNAL_MARK] = { JOURNAL_RECORD_HEADER_SIZE + JOURNAL_MARK_PAYLOAD_MIN, JOURNAL_MARK_MAX,
                           2 },
};

/* NULL for a type no version knows. */
static const struct record_kind *record_kind_of(uint64_t type)
{
        if (type >= ELEMENTSOF(record_kinds) || record_kinds[type].since == 0)
                return NULL;
        return &record_kinds[type];
}

/* Bytes of the journal, either all in memory or read from fd on demand. */
struct source {
        const uint8_t *mem;
        int fd;
        uint64_t size;
        uint8_t *win;
        uint64_t win_off;
        size_t win_len;
        char *scratch;
        uint32_t version; /* of the file, once its header is read */
        uint64_t record_max; /* the largest record that version holds */
};

/* Points *ret at len bytes at off; off + len <= s->size and
 * len <= JOURNAL_RECORD_MAX. */
static int source_get(struct source *s, uint64_t off, size_t len, const uint8_t **ret)
{
        size_t want, got = 0;

        assert(s->mem || s->win);
        if (s->mem) {
                *ret = s->mem + off;
                return 0;
        }
        if (off >= s->win_off && off + len <= s->win_off + s->win_len) {
                *ret = s->win + (off - s->win_off);
                return 0;
        }
        want = s->size - off < SOURCE_WINDOW ? (size_t)(s->size - off) : SOURCE_WINDOW;
        while (got < want) {
                ssize_t n = pread(s->fd, s->win + got, want - got, (off_t)(off + got));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO; /* the file shrank under us */
                got += (size_t)n;
        }
        s->win_off = off;
        s->win_len = got;
        assert(s->win); /* the window is allocated with the source */
        *ret = s->win;
        return 0;
}

/* 1 when a record with a plausible header and a matching CRC starts at off
 * (its header in *ret_rec, length in *ret_len), 0 when not, or -errno.
 * Any type some version knows is plausible here; whether the file's
 * version may hold it is checked with its content, since a matching CRC
 * over a type the version lacks cannot come from a torn write either. */
static int record_check(struct source *s, uint64_t off, const uint8_t **ret_rec, size_t *ret_len)
{
        const struct record_kind *kind;
        const uint8_t *p = NULL;
        uint64_t len, type;
        int r;

        if (s->size - off < JOURNAL_RECORD_HEADER_SIZE)
                return 0;
        r = source_get(s, off, JOURNAL_RECORD_HEADER_SIZE, &p);
        if (r < 0)
                return r;
        len = get_le(p, 4);
        type = get_le(p + 4, 2);
        kind = record_kind_of(type);
        if (get_le(p + 6, 2) != 0 || !kind || len < kind->min || len > kind->max ||
            len > s->size - off)
                return 0;
        r = source_get(s, off, (size_t)len, &p);
        if (r < 0)
                return r;
        if (record_crc(p, (size_t)len) != (uint32_t)get_le(p + 16, 4))
                return 0;
        *ret_rec = p;
        *ret_len = (size_t)len;
        return 1;
}

/* 1 when bytes [from, size) are all zero, 0 if not, or -errno. */
static int all_zero(struct source *s, uint64_t from)
{
        while (from < s->size) {
                size_t n = s->size - from < 4096 ? (size_t)(s->size - from) : 4096;
                const uint8_t *p = NULL;
                int r = source_get(s, from, n, &p);

                if (r < 0)
                        return r;
                for (size_t i = 0; i < n; i++)
                        if (p[i])
                                return 0;
                from += n;
        }
        return 1;
}

/* Tail or middle.  A crash tears at most the record being appended when it
 * struck, and may leave zeros after it (blocks allocated, never written).
 * So the damage is a torn tail only when no byte from one maximal record
 * past bad to the end is non-zero, and no whole record with a valid CRC
 * starts after bad.  Both checks stay linear in the file size: the far part
 * is read once for non-zero bytes, and records are probed only at the
 * record_max offsets after bad, each at most JOURNAL_RECORD_MAX long.  The
 * bound is the largest record the file's version holds: an older writer
 * could not have torn a longer one. */
static int classify(struct source *s, uint64_t bad, enum journal_damage *ret)
{
        uint64_t near = s->size - bad > s->record_max ? bad + s->record_max : s->size;
        int r = all_zero(s, near);

        if (r < 0)
                return r;
        if (r == 0) {
                *ret = JOURNAL_DAMAGE_MIDDLE;
                return 0;
        }
        for (uint64_t off = bad + 1; off < near; off++) {
                const uint8_t *rec;
                size_t len;

                r = record_check(s, off, &rec, &len);
                if (r < 0)
                        return r;
                if (r > 0) {
                        *ret = JOURNAL_DAMAGE_MIDDLE;
                        return 0;
                }
        }
        *ret = JOURNAL_DAMAGE_TAIL;
        return 0;
}

/* Checks the file header.  A header that is missing, shorter than its size
 * while starting like one, or zero in a file of nothing but zeros, is a torn
 * tail at 0; any other bad header is middle damage (it may not even be our
 * file, so it is never cut).  A torn header is replaced by one of the
 * current version, so the scan goes on as for that version.  Returns 0 or
 * -errno/-EPROTONOSUPPORT. */
static int scan_header(struct source *s, struct journal_scan *sc)
{
        const uint8_t *h = NULL;
        size_t n = s->size < JOURNAL_FILE_HEADER_SIZE ? (size_t)s->size : JOURNAL_FILE_HEADER_SIZE;
        int r;

        sc->first_seq = 1;
        s->version = sc->version = JOURNAL_VERSION;
        s->record_max = JOURNAL_RECORD_MAX;
        r = source_get(s, 0, n, &h);
        if (r < 0)
                return r;
        assert(h); /* source_get() points into the map or the window */
        if (n == JOURNAL_FILE_HEADER_SIZE && memcmp(h, JOURNAL_MAGIC, 8) == 0 &&
            get_le(h + 28, 4) == crc32c(0, h, 28)) {
                uint64_t version = get_le(h + 8, 4);

                if (version < JOURNAL_VERSION_OLDEST || version > JOURNAL_VERSION ||
                    get_le(h + 12, 4) != 0)
                        return -EPROTONOSUPPORT;
                s->version = sc->version = (uint32_t)version;
                s->record_max = version == 1 ? JOURNAL_V1_RECORD_MAX : JOURNAL_RECORD_MAX;
                sc->first_seq = get_le(h + 16, 8);
                if (sc->first_seq == 0 || get_le(h + 24, 4) != 0)
                        sc->damage = JOURNAL_DAMAGE_MIDDLE;
                else
                        sc->end = JOURNAL_FILE_HEADER_SIZE;
                return 0;
        }
        if (n < JOURNAL_FILE_HEADER_SIZE && memcmp(h, JOURNAL_MAGIC, n < 8 ? n : 8) == 0) {
                sc->damage = JOURNAL_DAMAGE_TAIL;
                return 0;
        }
        r = all_zero(s, 0);
        if (r < 0)
                return r;
        sc->damage = r ? JOURNAL_DAMAGE_TAIL : JOURNAL_DAMAGE_MIDDLE;
        return 0;
}

static int scan(struct source *s, journal_visit_t visit, void *userdata, struct journal_scan *ret)
{
        struct journal_scan sc = { .size = s->size };
        uint64_t off;
        int r;

        r = scan_header(s, &sc);
        if (r < 0)
                return r;
        sc.next_seq = sc.first_seq;
        for (off = sc.end; sc.damage == JOURNAL_DAMAGE_NONE && off < s->size;) {
                struct journal_record rec;
                const uint8_t *p = NULL;
                size_t len;

                r = record_check(s, off, &p, &len);
                if (r < 0)
                        return r;
                if (r == 0) {
                        r = classify(s, off, &sc.damage);
                        if (r < 0)
                                return r;
                        break;
                }
                /* A valid CRC over wrong content (a wrong seq, a type this
                 * version does not hold, a bad payload) is never a torn
                 * write. */
                if (get_le(p + 8, 8) != sc.next_seq ||
                    record_kind_of(get_le(p + 4, 2))->since > s->version ||
                    record_decode(p, len, s->scratch, &rec) < 0) {
                        sc.damage = JOURNAL_DAMAGE_MIDDLE;
                        break;
                }
                rec.offset = off;
                if (visit) {
                        r = visit(&rec, userdata);
                        if (r < 0)
                                return r;
                }
                off += len;
                sc.end = off;
                sc.next_seq++;
                sc.n_records++;
        }
        if (sc.damage != JOURNAL_DAMAGE_NONE)
                sc.bad_offset = sc.end;
        *ret = sc;
        return 0;
}

int journal_scan_buffer(const uint8_t *data, size_t size, journal_visit_t visit, void *userdata,
                        struct journal_scan *ret)
{
        _cleanup_free_ char *scratch = malloc(JOURNAL_RECORD_MAX + 8);
        struct source s = { .mem = data ? data : (const uint8_t *)"", .fd = -1, .size = size };

        assert(data || size == 0);
        assert(ret);

        if (!scratch)
                return -ENOMEM;
        s.scratch = scratch;
        return scan(&s, visit, userdata, ret);
}

static int scan_fd(int fd, uint64_t size, journal_visit_t visit, void *userdata,
                   struct journal_scan *ret)
{
        _cleanup_free_ uint8_t *win = malloc(SOURCE_WINDOW);
        _cleanup_free_ char *scratch = malloc(JOURNAL_RECORD_MAX + 8);
        struct source s = { .fd = fd, .size = size, .win = win, .scratch = scratch };

        if (!win || !scratch)
                return -ENOMEM;
        return scan(&s, visit, userdata, ret);
}

/* ---- files ---- */

static int write_all(int fd, const uint8_t *p, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int fsync_fd(int fd)
{
        return fsync(fd) < 0 ? -errno : 0;
}

/* Creates JOURNAL_TMP_NAME holding just a file header; returns its fd
 * (O_RDWR|O_APPEND, so it can become the journal) or -errno. */
static int tmp_create(int dir_fd, uint64_t first_seq)
{
        uint8_t h[JOURNAL_FILE_HEADER_SIZE];
        int fd, r;

        /* Only this code makes the name: whatever is there is a leftover
         * (or was put there: a FIFO would take the writes and then block). */
        if (unlinkat(dir_fd, JOURNAL_TMP_NAME, 0) < 0 && errno != ENOENT)
                return -errno;
        fd = openat(dir_fd, JOURNAL_TMP_NAME,
                    O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        journal_header_encode(first_seq, h);
        r = write_all(fd, h, sizeof(h));
        if (r < 0) {
                close(fd);
                unlinkat(dir_fd, JOURNAL_TMP_NAME, 0);
                return r;
        }
        return fd;
}

/* Makes the temp file the journal: fsync it, rename it over.  On failure
 * the temp file is removed and the journal is as it was.  The caller fsyncs
 * the folder. */
static int tmp_commit(int dir_fd, int fd)
{
        int r;

        r = fsync_fd(fd);
        if (r >= 0 && renameat(dir_fd, JOURNAL_TMP_NAME, dir_fd, JOURNAL_FILE_NAME) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dir_fd, JOURNAL_TMP_NAME, 0);
        return r;
}

/* Opens the journal, creating an empty one durably when there is none.
 * Returns the fd or -errno. */
static int journal_file_open(int dir_fd)
{
        int fd, r;

        fd = fileio_openat_regular(dir_fd, JOURNAL_FILE_NAME, O_RDWR | O_APPEND | O_NOFOLLOW, NULL);
        if (fd != -ENOENT)
                return fd;
        fd = tmp_create(dir_fd, 1);
        if (fd < 0)
                return fd;
        r = tmp_commit(dir_fd, fd);
        if (r >= 0)
                r = fsync_fd(dir_fd);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

static int file_size(int fd, uint64_t *ret)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -ENODEV; /* cannot happen: opened as a regular file */
        *ret = (uint64_t)st.st_size;
        return 0;
}

/* Cuts a torn tail at sc->bad_offset; a torn file header is replaced by a
 * fresh one.  Returns 0 or -errno. */
static int cut_tail(int fd, const struct journal_scan *sc)
{
        uint8_t h[JOURNAL_FILE_HEADER_SIZE];
        int r;

        if (ftruncate(fd, (off_t)sc->bad_offset) < 0)
                return -errno;
        if (sc->bad_offset < JOURNAL_FILE_HEADER_SIZE) {
                journal_header_encode(1, h);
                r = write_all(fd, h, sizeof(h));
                if (r < 0)
                        return r;
        }
        return fsync_fd(fd);
}

/* Takes flock(LOCK_EX) on fd without waiting: 0, -EWOULDBLOCK, or -errno. */
static int flock_nb(int fd)
{
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
        return 0;
}

/* 1 when fd is still the file linked as JOURNAL_LOCK_NAME, 0 when that name
 * is gone or now another file, or -errno. */
static int lock_file_linked(int dir_fd, int fd)
{
        struct stat a, b;

        if (fstat(fd, &a) < 0)
                return -errno;
        if (fstatat(dir_fd, JOURNAL_LOCK_NAME, &b, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The lock file, for approvald versions that lock only it: locked, then
 * checked to be still the file of that name (it may have been replaced
 * between open and flock), else tried again a few times. */
static int lock_file_take(int dir_fd)
{
        for (int i = 0; i < 4; i++) {
                _cleanup_close_ int fd = openat(dir_fd, JOURNAL_LOCK_NAME,
                                                O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                int r;

                if (fd < 0)
                        return -errno;
                r = flock_nb(fd);
                if (r < 0)
                        return r;
                r = lock_file_linked(dir_fd, fd);
                if (r < 0)
                        return r;
                if (r > 0) {
                        r = fd;
                        fd = -1; /* ownership moves to the caller */
                        return r;
                }
        }
        return -EWOULDBLOCK; /* someone keeps swapping it: treat as taken */
}

/* The lock that counts is on the state folder itself: unlike a file in it,
 * the folder cannot be removed or replaced while it holds the journal, so a
 * "stale lock" cleaned away cannot let a second daemon in. */
static int lock_take(int dir_fd)
{
        int r = flock_nb(dir_fd);

        if (r < 0)
                return r;
        return lock_file_take(dir_fd);
}

void journal_close(struct journal *j)
{
        if (!j)
                return;
        if (j->fd >= 0)
                close(j->fd);
        if (j->lock_fd >= 0)
                close(j->lock_fd);
        if (j->dir_fd >= 0)
                close(j->dir_fd);
        free(j->buf);
        free(j);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct journal *, journal_close);

static int journal_new(struct journal **ret)
{
        struct journal *j = calloc(1, sizeof(*j));

        if (!j)
                return -ENOMEM;
        j->dir_fd = j->lock_fd = j->fd = -1;
        j->buf = malloc(JOURNAL_RECORD_MAX);
        if (!j->buf) {
                journal_close(j);
                return -ENOMEM;
        }
        *ret = j;
        return 0;
}

/* Scans the open journal, visiting records, and cuts a torn tail. */
static int journal_recover(struct journal *j, journal_visit_t visit, void *userdata,
                           uint64_t *ret_truncated, uint64_t *ret_bad_offset)
{
        struct journal_scan sc;
        uint64_t size = 0;
        int r;

        r = file_size(j->fd, &size);
        if (r < 0)
                return r;
        r = scan_fd(j->fd, size, visit, userdata, &sc);
        if (r < 0)
                return r;
        if (sc.damage == JOURNAL_DAMAGE_MIDDLE) {
                if (ret_bad_offset)
                        *ret_bad_offset = sc.bad_offset;
                return -EBADMSG;
        }
        if (sc.damage == JOURNAL_DAMAGE_TAIL) {
                r = cut_tail(j->fd, &sc);
                if (r < 0)
                        return r;
        }
        j->version = sc.version;
        j->first_seq = sc.first_seq;
        j->next_seq = sc.next_seq;
        j->size = sc.bad_offset < JOURNAL_FILE_HEADER_SIZE && sc.damage == JOURNAL_DAMAGE_TAIL
                          ? JOURNAL_FILE_HEADER_SIZE
                          : sc.end;
        if (ret_truncated)
                *ret_truncated = sc.damage == JOURNAL_DAMAGE_TAIL ? size - sc.bad_offset : 0;
        return 0;
}

/* Copies bytes [off, end) of from to the end of to.  Returns 0 or -errno. */
static int copy_range(int from, int to, uint64_t off, uint64_t end, uint8_t *buf)
{
        while (off < end) {
                size_t want = end - off < OUT_BUFFER ? (size_t)(end - off) : OUT_BUFFER;
                ssize_t n = pread(from, buf, want, (off_t)off);
                int r;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO; /* the file shrank under us */
                r = write_all(to, buf, (size_t)n);
                if (r < 0)
                        return r;
                off += (uint64_t)n;
        }
        return 0;
}

/* Rewrites a journal of an older version as the current one before
 * anything is appended to it, so that an older approvald refuses the file
 * as another version instead of meeting a record type it does not know.
 * The records are copied byte for byte (their bytes do not depend on the
 * version) behind a new header with the same first_seq, through
 * journal.tmp and a rename, as a compaction: a crash leaves either file
 * whole.  Returns 0 or -errno (the old file is then untouched). */
static int journal_upgrade(struct journal *j)
{
        _cleanup_free_ uint8_t *buf = malloc(OUT_BUFFER);
        int fd, r;

        if (!buf)
                return -ENOMEM;
        fd = tmp_create(j->dir_fd, j->first_seq);
        if (fd < 0)
                return fd;
        r = copy_range(j->fd, fd, JOURNAL_FILE_HEADER_SIZE, j->size, buf);
        if (r >= 0)
                r = tmp_commit(j->dir_fd, fd);
        else
                unlinkat(j->dir_fd, JOURNAL_TMP_NAME, 0);
        if (r < 0) {
                close(fd);
                return r;
        }
        close(j->fd);
        j->fd = fd;
        j->version = JOURNAL_VERSION;
        return 0;
}

/* Makes what was read durable before anyone acts on it: the records of a
 * run that stopped before its sync (or was killed between append and sync)
 * are in the page cache only, and a call resting on them must not be made
 * unless they are on disk.  The folder is synced too, for a compaction's
 * rename that its process did not live to sync. */
static int journal_settle(struct journal *j)
{
        if (fdatasync(j->fd) < 0)
                return -errno;
        return fsync_fd(j->dir_fd);
}

int journal_open(struct journal **ret, const char *state_dir, journal_visit_t visit, void *userdata,
                 uint64_t *ret_truncated, uint64_t *ret_bad_offset)
{
        _cleanup_(journal_closep) struct journal *j = NULL;
        int r;

        assert(ret);
        assert(state_dir);

        r = journal_new(&j);
        if (r < 0)
                return r;
        j->dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (j->dir_fd < 0)
                return -errno;
        j->lock_fd = lock_take(j->dir_fd);
        if (j->lock_fd < 0)
                return j->lock_fd;
        j->fd = journal_file_open(j->dir_fd);
        if (j->fd < 0)
                return j->fd;
        r = journal_recover(j, visit, userdata, ret_truncated, ret_bad_offset);
        if (r < 0)
                return r;
        if (j->version < JOURNAL_VERSION) {
                r = journal_upgrade(j);
                if (r < 0)
                        return r;
        }
        r = journal_settle(j);
        if (r < 0)
                return r;
        /* A journal opened past the default compaction size counts as just
         * rewritten: each start (a --once run, a restart) would otherwise
         * rewrite and fsync it whole, shrinking nothing when it is all
         * inside the window. */
        if (j->size >= JOURNAL_COMPACT_DEFAULT_SIZE)
                j->compacted_size = j->size;
        *ret = TAKE_PTR(j);
        return 0;
}

/* ---- appending ---- */

/* One write() per record where the kernel allows, so a crash leaves at most
 * one torn record; a failed append is cut off again so that the next one
 * does not land behind garbage. */
static int journal_append(struct journal *j, const struct journal_record *rec)
{
        int len, r;

        if (j->broken)
                return -EIO;
        len = journal_record_encode(rec, j->next_seq, j->buf);
        if (len < 0)
                return len;
        r = write_all(j->fd, j->buf, (size_t)len);
        if (r < 0) {
                if (ftruncate(j->fd, (off_t)j->size) < 0)
                        j->broken = true;
                return r;
        }
        j->size += (uint64_t)len;
        j->next_seq++;
        return 0;
}

int journal_append_intent(struct journal *j, const struct journal_intent *in)
{
        struct journal_record rec = { .type = JOURNAL_INTENT };

        assert(j);
        assert(in);

        rec.intent = *in;
        return journal_append(j, &rec);
}

int journal_append_outcome(struct journal *j, const struct journal_outcome *out)
{
        struct journal_record rec = { .type = JOURNAL_OUTCOME };

        assert(j);
        assert(out);

        rec.outcome = *out;
        return journal_append(j, &rec);
}

int journal_append_hold(struct journal *j, const struct journal_hold *h)
{
        struct journal_record rec = { .type = JOURNAL_HOLD };

        assert(j);
        assert(h);

        rec.hold = *h;
        return journal_append(j, &rec);
}

int journal_append_external(struct journal *j, const struct journal_external *x)
{
        struct journal_record rec = { .type = JOURNAL_EXTERNAL };

        assert(j);
        assert(x);

        rec.external = *x;
        return journal_append(j, &rec);
}

int journal_append_mark(struct journal *j, const struct journal_mark *m)
{
        struct journal_record rec = { .type = JOURNAL_MARK };

        assert(j);
        assert(m);

        rec.mark = *m;
        return journal_append(j, &rec);
}

int journal_sync(struct journal *j)
{
        assert(j);

        if (j->broken)
                return -EIO;
        return fdatasync(j->fd) < 0 ? -errno : 0;
}

uint64_t journal_size(const struct journal *j)
{
        assert(j);

        return j->size;
}

/* ---- compaction ---- */

/* What compaction knows about one order, or about one kind of mark: an
 * open-addressing hash table keyed by order id (or by the mark's what),
 * built in a first pass over the file. */
struct order_entry {
        uint64_t id; /* 1 + offset of the id in the arena; 0: a free slot */
        union {
                int64_t last_time; /* orders: newest time of any of its records */
                uint64_t last_index; /* marks: ordinal of the latest of this what */
        };
        uint32_t n_records;
        bool waiting; /* orders: its last record is an intent or a hold */
};

/* Ids live back to back in one arena rather than in a malloc each: with
 * hundreds of thousands of orders the per-allocation overhead would double
 * the table's footprint. */
struct order_table {
        struct order_entry *e;
        size_t n, cap; /* cap is a power of two */
        char *arena;
        size_t arena_len, arena_cap;
};

static void order_table_done(struct order_table *t)
{
        free(t->e);
        free(t->arena);
}

static uint64_t hash_str(const char *s)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * UINT64_C(0x100000001b3);
        return h;
}

static const char *order_id(const struct order_table *t, const struct order_entry *e)
{
        return t->arena + e->id - 1;
}

static struct order_entry *order_slot(const struct order_table *t, struct order_entry *e,
                                      size_t cap, const char *id)
{
        size_t i = hash_str(id) & (cap - 1);

        while (e[i].id && !streq(order_id(t, &e[i]), id))
                i = (i + 1) & (cap - 1);
        return &e[i];
}

static int order_table_grow(struct order_table *t)
{
        size_t cap = t->cap ? t->cap * 2 : 1024;
        struct order_entry *e = calloc(cap, sizeof(*e));

        if (!e)
                return -ENOMEM;
        for (size_t i = 0; i < t->cap; i++)
                if (t->e[i].id)
                        *order_slot(t, e, cap, order_id(t, &t->e[i])) = t->e[i];
        free(t->e);
        t->e = e;
        t->cap = cap;
        return 0;
}

/* Copies id into the arena; returns its 1-based offset, or 0 on -ENOMEM. */
static uint64_t arena_add(struct order_table *t, const char *id)
{
        size_t n = strlen(id) + 1;
        uint64_t off;

        if (t->arena_cap - t->arena_len < n) {
                size_t cap = t->arena_cap ? t->arena_cap * 2 : 65536;
                char *a;

                while (cap - t->arena_len < n)
                        cap *= 2;
                a = realloc(t->arena, cap);
                if (!a)
                        return 0;
                t->arena = a;
                t->arena_cap = cap;
        }
        memcpy(t->arena + t->arena_len, id, n);
        off = t->arena_len + 1;
        t->arena_len += n;
        return off;
}

/* Finds or adds the entry for id.  Returns 0 or -ENOMEM. */
static int order_table_get(struct order_table *t, const char *id, struct order_entry **ret)
{
        struct order_entry *slot;
        int r;

        if ((t->n + 1) * 10 > t->cap * 7) {
                r = order_table_grow(t);
                if (r < 0)
                        return r;
        }
        slot = order_slot(t, t->e, t->cap, id);
        if (!slot->id) {
                slot->id = arena_add(t, id);
                if (!slot->id)
                        return -ENOMEM;
                t->n++;
        }
        *ret = slot;
        return 0;
}

/* The order a record is about; NULL for a mark. */
static const char *record_order_id(const struct journal_record *r)
{
        switch (r->type) {
        case JOURNAL_INTENT:
                return r->intent.order_id;
        case JOURNAL_OUTCOME:
                return r->outcome.order_id;
        case JOURNAL_HOLD:
                return r->hold.order_id;
        case JOURNAL_EXTERNAL:
                return r->external.order_id;
        default:
                return NULL;
        }
}

/* The time that keeps a record's order: when it was written, and for an
 * external record also when it starts to count, whichever is later (an
 * approval learnt at bootstrap counts from its createdAt, which may lie
 * after or before the time it was learnt). */
static int64_t record_time(const struct journal_record *r)
{
        switch (r->type) {
        case JOURNAL_INTENT:
                return r->intent.time;
        case JOURNAL_OUTCOME:
                return r->outcome.time;
        case JOURNAL_HOLD:
                return r->hold.time;
        case JOURNAL_EXTERNAL:
                return r->external.time > r->external.count_from ? r->external.time
                                                                 : r->external.count_from;
        default:
                return r->mark.time;
        }
}

struct compactor {
        struct order_table orders;
        struct order_table marks; /* by what */
        uint64_t index; /* ordinal of the record being visited in this pass */
        int64_t cutoff;
        uint64_t n_kept;
        uint64_t seq; /* of the next record written */
        int fd; /* the temp file */
        uint8_t *out;
        size_t out_len;
};

/* An order is kept, all its records, while it is waiting (an intent with
 * no outcome yet: its call may have gone through; a hold with nothing
 * after it: a person may still decide it) or while any of its records is
 * newer than the cutoff.  Keeping an order whole is what keeps an Approved
 * record and the later Rejected that cancels it together: dropping only
 * the rejection would make the approval count again. */
static bool order_kept(const struct compactor *c, const struct order_entry *e)
{
        return e->waiting || e->last_time > c->cutoff;
}

static int learn_mark(struct compactor *c, const struct journal_record *r)
{
        struct order_entry *e;
        int k;

        k = order_table_get(&c->marks, r->mark.what, &e);
        if (k < 0)
                return k;
        e->last_index = c->index;
        return 0;
}

static int compact_learn(const struct journal_record *r, void *userdata)
{
        struct compactor *c = userdata;
        struct order_entry *e;
        int k;

        if (r->type == JOURNAL_MARK) {
                k = learn_mark(c, r);
                c->index++;
                return k;
        }
        c->index++;
        k = order_table_get(&c->orders, record_order_id(r), &e);
        if (k < 0)
                return k;
        if (e->n_records == 0 || record_time(r) > e->last_time)
                e->last_time = record_time(r);
        e->n_records++;
        e->waiting = r->type == JOURNAL_INTENT || r->type == JOURNAL_HOLD;
        return 0;
}

static int compact_flush(struct compactor *c)
{
        int r = write_all(c->fd, c->out, c->out_len);

        c->out_len = 0;
        return r;
}

/* Whether the second pass keeps r: its order is kept, or it is the latest
 * mark of its what (marks are kept whatever their age: the latest says
 * where the daemon stands, the earlier ones say nothing more). */
static bool record_kept(struct compactor *c, const struct journal_record *r)
{
        const struct order_table *t = r->type == JOURNAL_MARK ? &c->marks : &c->orders;
        const char *key = r->type == JOURNAL_MARK ? r->mark.what : record_order_id(r);
        const struct order_entry *e = order_slot(t, t->e, t->cap, key);

        if (r->type == JOURNAL_MARK)
                return e->last_index == c->index;
        return order_kept(c, e);
}

static int compact_copy(const struct journal_record *r, void *userdata)
{
        struct compactor *c = userdata;
        bool kept = record_kept(c, r);
        int len, k;

        c->index++;
        if (!kept)
                return 0;
        if (OUT_BUFFER - c->out_len < JOURNAL_RECORD_MAX) {
                k = compact_flush(c);
                if (k < 0)
                        return k;
        }
        len = journal_record_encode(r, c->seq++, c->out + c->out_len);
        if (len < 0)
                return len;
        c->out_len += (size_t)len;
        return 0;
}

/* Both passes over the current file; the second writes to c->fd. */
static int compact_passes(struct journal *j, struct compactor *c)
{
        struct journal_scan sc;
        int r;

        r = scan_fd(j->fd, j->size, compact_learn, c, &sc);
        if (r < 0)
                return r;
        if (sc.damage != JOURNAL_DAMAGE_NONE)
                return -EBADMSG;
        for (size_t i = 0; i < c->orders.cap; i++)
                if (c->orders.e[i].id && order_kept(c, &c->orders.e[i]))
                        c->n_kept += c->orders.e[i].n_records;
        c->n_kept += c->marks.n; /* the latest of each what */
        c->index = 0;
        /* Renumbered densely so that the last kept record keeps its seq and
         * new records continue where they would have. */
        c->seq = j->next_seq - c->n_kept;
        c->fd = tmp_create(j->dir_fd, c->seq);
        if (c->fd < 0)
                return c->fd;
        r = scan_fd(j->fd, j->size, compact_copy, c, &sc);
        if (r >= 0)
                r = compact_flush(c);
        return r;
}

/* The size past which a rewrite is due: max_size, or twice the size the
 * last rewrite left when that is more.  Without the second term, a journal
 * holding more than max_size bytes inside the window would be rewritten
 * (and fsync'd whole) on every call while shrinking nothing. */
static uint64_t compact_threshold(const struct journal *j, uint64_t max_size)
{
        uint64_t twice = j->compacted_size > UINT64_MAX / 2 ? UINT64_MAX : 2 * j->compacted_size;

        return twice > max_size ? twice : max_size;
}

int journal_compact(struct journal *j, int64_t now, int64_t keep_s, uint64_t max_size)
{
        struct compactor c = { .fd = -1 };
        uint64_t size = 0;
        int r;

        assert(j);

        if (j->broken)
                return -EIO;
        if (j->size <= compact_threshold(j, max_size))
                return 0;
        c.cutoff = keep_s < 0 || now < INT64_MIN + keep_s ? INT64_MIN : now - keep_s;
        c.out = malloc(OUT_BUFFER);
        r = c.out ? compact_passes(j, &c) : -ENOMEM;
        if (r >= 0)
                r = file_size(c.fd, &size);
        if (r >= 0)
                r = tmp_commit(j->dir_fd, c.fd);
        else if (c.fd >= 0)
                unlinkat(j->dir_fd, JOURNAL_TMP_NAME, 0);
        order_table_done(&c.orders);
        order_table_done(&c.marks);
        free(c.out);
        if (r < 0) {
                if (c.fd >= 0)
                        close(c.fd);
                return r;
        }
        /* Renamed: from here on the new file is the journal, whatever the
         * folder's fsync says. */
        close(j->fd);
        j->fd = c.fd;
        j->size = size;
        j->compacted_size = size;
        j->first_seq = j->next_seq - c.n_kept;
        r = fsync_fd(j->dir_fd);
        return r < 0 ? r : 1;
}

/* ---- reading ---- */

int journal_read(const char *state_dir, journal_visit_t visit, void *userdata,
                 uint64_t *ret_bad_offset)
{
        _cleanup_close_ int dir_fd = -1, fd = -1;
        struct journal_scan sc;
        uint64_t size = 0;
        int r;

        assert(state_dir);

        dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        fd = fileio_openat_regular(dir_fd, JOURNAL_FILE_NAME, O_RDONLY | O_NOFOLLOW, NULL);
        if (fd < 0)
                return fd;
        r = file_size(fd, &size);
        if (r < 0)
                return r;
        r = scan_fd(fd, size, visit, userdata, &sc);
        if (r < 0)
                return r;
        if (sc.damage != JOURNAL_DAMAGE_NONE) {
                if (ret_bad_offset)
                        *ret_bad_offset = sc.bad_offset;
                return -EBADMSG;
        }
        return 0;
}
