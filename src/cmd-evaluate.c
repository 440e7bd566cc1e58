/* cmd-evaluate.c: `approvald evaluate`, the backtest: decides a stream of
 * orders from stdin in input order, as the daemon would, approvals feeding
 * the history of later orders, one JSON line out per order.  It is also the
 * engine's benchmark, so input is read in large blocks, orders are parsed
 * in place and output goes through one buffer: nothing grows with the
 * number of orders except the history, which is pruned to the longest
 * window the rules look back. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "commands.h"
#include "arena.h"
#include "config.h"
#include "history.h"
#include "jsonw.h"
#include "order.h"
#include "policy.h"
#include "rules.h"
#include "timeutil.h"
#include "utf8.h"
#include "util.h"

#define LINE_MAX_SIZE (1024 * 1024) /* one order per line: the order cap */
#define DOC_MAX_SIZE (256 * 1024 * 1024) /* a JSON array or List response */
#define READ_BUF_SIZE (2 * LINE_MAX_SIZE)
/* cJSON allocates from an arena while evaluating (arena.h), reset once no
 * tree is alive: after each line, or after a whole document. */
#define ARENA_SIZE (1024 * 1024)

/* The end of an output line, from "decision" on.  For every order a rule
 * (or the default) decides it is the same text: it is escaped once, kept,
 * and copied after that.  A reason formatted for one order is not kept. */
struct tail {
        const char *reason; /* the verdict's reason it was made from */
        enum action decision;
        char *text; /* NULL until made */
        size_t len;
};

struct evaluator {
        struct config *config;
        struct order_reader *reader;
        struct history *history;
        int64_t longest_window;
        bool has_now;
        int64_t now; /* --now */
        bool pruned;
        int64_t pruned_at; /* the last cutoff given to history_prune() */
        unsigned n_bad;
        struct arena *arena;
        struct jsonw out;
        struct tail *tails; /* [0] the default, [1 + i] rule i; NULL: none kept */
};

static void out_tail(struct jsonw *o, const struct verdict *v)
{
        jsonw_raw(o, ",\"decision\":", 12);
        jsonw_string(o, action_to_string(v->decision));
        jsonw_raw(o, ",\"rule\":", 8);
        jsonw_string(o, v->rule ? v->rule->name : NULL);
        jsonw_raw(o, ",\"reason\":", 10);
        jsonw_string(o, v->reason);
        jsonw_raw(o, "}\n", 2);
}

/* The verdict's kept tail, or NULL when it cannot have one. */
static struct tail *tail_for(const struct evaluator *e, const struct verdict *v)
{
        size_t i = v->rule ? (size_t)(v->rule - e->config->rules) + 1 : 0;

        if (!e->tails || v->reason == v->buf || i > e->config->n_rules)
                return NULL;
        return &e->tails[i];
}

/* Keeps s as t's text; without memory the tail is only made again. */
static void tail_keep(struct tail *t, const struct verdict *v, const char *s, size_t len)
{
        char *text = malloc(len);

        if (!text)
                return;
        memcpy(text, s, len);
        free(t->text);
        *t = (struct tail){
                .reason = v->reason, .decision = v->decision, .text = text, .len = len
        };
}

static void out_verdict(struct evaluator *e, const char *id, const struct verdict *v)
{
        struct jsonw *o = &e->out;
        struct tail *t = tail_for(e, v);
        size_t start, flushes;

        jsonw_raw(o, "{\"id\":", 6);
        jsonw_string(o, id);
        if (t && t->text && t->reason == v->reason && t->decision == v->decision) {
                jsonw_raw(o, t->text, t->len);
                return;
        }
        start = o->n;
        flushes = o->n_flushes;
        out_tail(o, v);
        if (t && o->n_flushes == flushes)
                tail_keep(t, v, o->buf + start, o->n - start);
}

static void tails_free(struct evaluator *e)
{
        for (size_t i = 0; e->tails && i <= e->config->n_rules; i++)
                free(e->tails[i].text);
        free(e->tails);
        e->tails = NULL;
}

/* A bad input line: located on stderr, nothing on stdout, exit 65 later. */
static void report(struct evaluator *e, size_t line, const char *msg)
{
        jsonw_flush(&e->out); /* keep stdout and stderr in order for a reader of both */
        fflush(stdout);
        fprintf(stderr, "stdin:%zu: %s\n", line, msg);
        e->n_bad++;
}

/* Forgets approvals no window can see any more.  A prune walks every
 * customer, so it runs only once the cutoff has moved by a sixteenth of the
 * longest window: the history then holds at most 17/16 of a window. */
static void maybe_prune(struct evaluator *e, int64_t now)
{
        int64_t cutoff = now - e->longest_window;

        if (e->pruned && cutoff - e->pruned_at < e->longest_window / 16 + 1)
                return;
        if (!e->pruned) {
                e->pruned = true;
                e->pruned_at = cutoff;
                return;
        }
        history_prune(e->history, cutoff);
        e->pruned_at = cutoff;
}

/* Decides one order and writes its line.  Without createdAt (and no
 * --now) there is no evaluation time: the order is held. */
static int decide(struct evaluator *e, const struct order *o)
{
        struct verdict v;
        int64_t now;
        int r;

        if (!e->has_now && !o->has_created_at) {
                v = (struct verdict){ .decision = ACTION_HOLD };
                snprintf(v.buf, sizeof(v.buf),
                         "order %s 'created_at', the evaluation time "
                         "(use --now)",
                         o->bad_field && streq(o->bad_field, "created_at") ? "has a malformed"
                                                                           : "has no");
                v.reason = v.buf;
                out_verdict(e, o->id, &v);
                return 0;
        }
        now = e->has_now ? e->now : o->created_at;
        r = policy_decide(e->config, e->history, o, now, &v, NULL);
        if (r < 0)
                return r;
        out_verdict(e, o->id, &v);
        if (v.decision == ACTION_APPROVE) {
                r = policy_count_order(e->history, o, now);
                if (r < 0)
                        return r; /* policy_decide() let it through: only -ENOMEM */
        }
        maybe_prune(e, now);
        return 0;
}

/* A List response ({"items":[orders], "page":...}) rather than an order:
 * an object with an items array but neither an id nor a customer. */
static bool is_list_response(const struct order *o, const struct config *c)
{
        return !o->id && !o->customer_id &&
               cJSON_IsArray(json_pointer_get(o->json, c->api.fields[FIELD_ITEMS]));
}

/* Decides every element of arr (a JSON array of orders), freeing each as
 * it goes.  Returns 0 or -ENOMEM. */
static int decide_array(struct evaluator *e, cJSON *arr, size_t line)
{
        size_t i = 0;

        for (cJSON *el = arr->child; el; el = arr->child, i++) {
                struct order o;
                int r;

                cJSON_DetachItemViaPointer(arr, el);
                if (!cJSON_IsObject(el)) {
                        char msg[64];

                        snprintf(msg, sizeof(msg), "element %zu is not a JSON object", i);
                        report(e, line, msg);
                        cJSON_Delete(el);
                        continue;
                }
                r = order_reader_from_json(e->reader, el, &o);
                if (r < 0)
                        return r;
                r = decide(e, &o);
                order_done(&o);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Frees an order.  When its whole tree lies in the arena, walking it to
 * free nodes one by one would do nothing: the next reset reclaims it. */
static void order_release(struct evaluator *e, struct order *o)
{
        if (arena_holds_all(e->arena))
                o->json = NULL;
        order_done(o);
}

/* One line of line-delimited input: an order, or a whole List response. */
static int decide_line(struct evaluator *e, const char *s, size_t len, size_t line)
{
        struct order o;
        int r;

        r = order_reader_parse(e->reader, s, len, &o);
        if (r == -EBADMSG) {
                report(e, line, "not a JSON object");
                return 0;
        }
        if (r == -EFBIG) {
                report(e, line, "line longer than 1 MiB");
                return 0;
        }
        if (r < 0)
                return r;
        if (is_list_response(&o, e->config))
                r = decide_array(
                        e, (cJSON *)json_pointer_get(o.json, e->config->api.fields[FIELD_ITEMS]),
                        line);
        else
                r = decide(e, &o);
        order_release(e, &o);
        return r;
}

static bool blank(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
                        return false;
        return true;
}

struct reader {
        char *buf;
        size_t start, end, size;
        bool eof;
};

static int reader_fill(struct reader *r)
{
        ssize_t n;

        if (r->start > 0) {
                memmove(r->buf, r->buf + r->start, r->end - r->start);
                r->end -= r->start;
                r->start = 0;
        }
        do
                n = read(STDIN_FILENO, r->buf + r->end, r->size - r->end);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n == 0)
                r->eof = true;
        r->end += (size_t)n;
        return 0;
}

/* The whole input as one document (already-read bytes first), capped. */
static int read_document(struct reader *rd, char **ret, size_t *ret_len)
{
        size_t len = rd->end - rd->start, size = len + LINE_MAX_SIZE;
        char *doc = malloc(size);

        if (!doc)
                return -ENOMEM;
        memcpy(doc, rd->buf + rd->start, len);
        for (;;) {
                ssize_t n;

                if (len == size) {
                        char *p;

                        if (size >= DOC_MAX_SIZE) {
                                free(doc);
                                return -EFBIG;
                        }
                        p = realloc(doc, size * 2);
                        if (!p) {
                                free(doc);
                                return -ENOMEM;
                        }
                        doc = p;
                        size *= 2;
                }
                n = read(STDIN_FILENO, doc + len, size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        n = -errno;
                        free(doc);
                        return (int)n;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        *ret = doc;
        *ret_len = len;
        return 0;
}

static size_t line_of(const char *doc, const char *at)
{
        size_t line = 1;

        for (const char *p = doc; p < at; p++)
                line += *p == '\n';
        return line;
}

/* A JSON array, or one object (an order or a List response) spread over
 * several lines: parsed whole, within DOC_MAX_SIZE. */
static int decide_document(struct evaluator *e, struct reader *rd)
{
        _cleanup_free_ char *doc = NULL;
        const char *end = NULL;
        size_t len = 0;
        cJSON *json;
        int r;

        r = read_document(rd, &doc, &len);
        if (r == -EFBIG) {
                report(e, 1, "document larger than 256 MiB; send one order per line");
                return 0;
        }
        if (r < 0)
                return r;
        json = cJSON_ParseWithLengthOpts(doc, len, &end, false);
        if (!json || !blank(end, len - (size_t)(end - doc))) {
                const char *at = json ? end : cJSON_GetErrorPtr();

                cJSON_Delete(json);
                report(e, line_of(doc, at && at >= doc && at <= doc + len ? at : doc),
                       json ? "trailing data after the JSON document" : "not valid JSON");
                return 0;
        }
        if (cJSON_IsArray(json)) {
                r = decide_array(e, json, 1);
                cJSON_Delete(json);
                return r;
        }
        if (!cJSON_IsObject(json)) {
                cJSON_Delete(json);
                report(e, 1, "not a JSON object or array");
                return 0;
        }
        {
                struct order o;

                r = order_reader_from_json(e->reader, json, &o);
                if (r < 0)
                        return r;
                if (is_list_response(&o, e->config))
                        r = decide_array(e,
                                         (cJSON *)json_pointer_get(
                                                 o.json, e->config->api.fields[FIELD_ITEMS]),
                                         1);
                else
                        r = decide(e, &o);
                order_done(&o);
        }
        return r;
}

/* The first non-blank byte decides the shape: '[' is an array; '{' whose
 * line holds a whole object is line-delimited; else one document. */
static int detect_document(struct reader *rd, const struct config *c, bool *ret)
{
        const char *p, *nl;
        struct order o;
        int r;

        for (;;) {
                for (p = rd->buf + rd->start; p < rd->buf + rd->end; p++)
                        if (!blank(p, 1))
                                break;
                nl = memchr(p, '\n', (size_t)(rd->buf + rd->end - p));
                if ((p < rd->buf + rd->end && (*p != '{' || nl)) || rd->eof || rd->end == rd->size)
                        break;
                r = reader_fill(rd);
                if (r < 0)
                        return r;
        }
        if (p == rd->buf + rd->end || *p != '{') {
                *ret = p < rd->buf + rd->end && *p == '[';
                return 0;
        }
        nl = memchr(p, '\n', (size_t)(rd->buf + rd->end - p));
        r = order_parse(p, nl ? (size_t)(nl - p) : (size_t)(rd->buf + rd->end - p), &c->api, &o);
        /* The first line is no whole object: a multi-line document. */
        *ret = r == -EBADMSG || r == -EFBIG;
        if (r >= 0)
                order_done(&o);
        return r == -ENOMEM ? r : 0;
}

/* Line-delimited input: one order (or List response) per line, each at
 * most LINE_MAX_SIZE; a longer line is reported and skipped. */
static int decide_lines(struct evaluator *e, struct reader *rd)
{
        size_t line = 0;
        bool skipping = false;

        for (;;) {
                char *s = rd->buf + rd->start;
                char *nl = memchr(s, '\n', rd->end - rd->start);
                size_t len;
                int r;

                if (!nl && !rd->eof) {
                        if (rd->end - rd->start >= LINE_MAX_SIZE) {
                                if (!skipping)
                                        report(e, line + 1, "line longer than 1 MiB");
                                skipping = true;
                                rd->start = rd->end;
                        }
                        r = reader_fill(rd);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!nl && rd->start == rd->end)
                        return 0;
                len = nl ? (size_t)(nl - s) : rd->end - rd->start;
                rd->start += len + (nl ? 1 : 0);
                line++;
                if (skipping) {
                        skipping = false;
                        continue;
                }
                if (blank(s, len))
                        continue;
                r = decide_line(e, s, len, line);
                arena_reset(e->arena); /* the line's tree is gone */
                if (r < 0)
                        return r;
        }
}

static int parse_options(int argc, char **argv, const char **ret_config, struct evaluator *e)
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "now", required_argument, NULL, 'n' },
                {},
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "c:", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        *ret_config = optarg;
                        break;
                case 'n':
                        if (timestamp_parse(optarg, &e->now) < 0) {
                                fprintf(stderr,
                                        "approvald evaluate: bad --now '%s' (want RFC 3339, "
                                        "e.g. 2026-11-26T10:00:00Z)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        e->has_now = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr,
                        "approvald evaluate: unexpected argument '%s' (orders come "
                        "from stdin)\n",
                        argv[optind]);
                return -EINVAL;
        }
        return 0;
}

static int run(struct evaluator *e)
{
        struct reader rd = { .size = READ_BUF_SIZE };
        bool document;
        int r;

        rd.buf = malloc(rd.size);
        if (!rd.buf)
                return -ENOMEM;
        r = arena_new(ARENA_SIZE, &e->arena);
        if (r < 0) {
                free(rd.buf);
                return r;
        }
        arena_cjson_install(e->arena);
        order_reader_set_arena(e->reader, e->arena);
        r = detect_document(&rd, e->config, &document);
        arena_reset(e->arena);
        if (r >= 0)
                r = document ? decide_document(e, &rd) : decide_lines(e, &rd);
        order_reader_set_arena(e->reader, NULL);
        arena_cjson_uninstall();
        arena_free(e->arena);
        e->arena = NULL;
        free(rd.buf);
        return r;
}

int cmd_evaluate(int argc, char **argv)
{
        const char *path = APPROVALD_DEFAULT_RULES;
        _cleanup_free_ struct evaluator *e = calloc(1, sizeof(struct evaluator));
        int r;

        if (!e)
                return EX_OSERR;
        jsonw_init(&e->out, stdout);
        r = parse_options(argc, argv, &path, e);
        if (r < 0)
                return EX_USAGE;
        r = config_load(path, stderr, &e->config);
        if (r < 0)
                return EX_CONFIG;
        e->longest_window = rules_longest_window(e->config);
        e->tails = calloc(e->config->n_rules + 1, sizeof(struct tail)); /* NULL: none kept */
        r = history_new(&e->history);
        if (r >= 0)
                r = order_reader_new(&e->config->api, &e->reader);
        if (r >= 0)
                r = run(e);
        jsonw_flush(&e->out);
        if (fflush(stdout) != 0)
                e->out.failed = true;
        history_free(e->history);
        order_reader_free(e->reader);
        tails_free(e);
        config_free(e->config);
        if (r < 0) {
                fprintf(stderr, "approvald evaluate: %s\n", strerror(-r));
                return r == -ENOMEM ? EX_OSERR : EX_IOERR;
        }
        if (e->out.failed) {
                fprintf(stderr, "approvald evaluate: writing stdout failed\n");
                return EX_IOERR;
        }
        return e->n_bad > 0 ? EX_DATAERR : 0;
}
