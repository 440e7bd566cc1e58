/* config-yaml.c: everything config.c needs from libyaml, so that the schema
 * code reads as tables and checks.  Positions come from libyaml's marks
 * (0-based) and are printed 1-based. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config-yaml.h"
#include "util.h"

struct mark ynode_mark(const yaml_node_t *n)
{
        return (struct mark){ .line = (unsigned)n->start_mark.line + 1,
                              .column = (unsigned)n->start_mark.column + 1 };
}

/* Messages quote the file's own text (keys, values); a newline or other
 * control character in it is shown as \xNN so it cannot forge a line.
 * Takes ownership of text; returns the escaped copy or NULL. */
static char *escape_controls(char *text)
{
        size_t n = 0, len = strlen(text);
        char *out, *o;

        for (const char *p = text; *p; p++)
                n += (unsigned char)*p < 0x20 || *p == 0x7f;
        if (n == 0)
                return text;
        out = malloc(len + 3 * n + 1);
        if (out) {
                o = out;
                for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
                        if (*p < 0x20 || *p == 0x7f)
                                o += snprintf(o, 5, "\\x%02x", *p);
                        else
                                *o++ = (char)*p;
                }
                *o = '\0';
        }
        free(text);
        return out;
}

static __attribute__((format(printf, 3, 0))) void vreport(struct yctx *y, struct mark m,
                                                          const char *fmt, va_list ap)
{
        struct ymessage *msgs;
        char *text = NULL;

        y->n_errors++;
        if (!y->errors)
                return;
        msgs = realloc(y->messages, (y->n_messages + 1) * sizeof(*msgs));
        if (msgs)
                y->messages = msgs;
        if (!msgs || vasprintf(&text, fmt, ap) < 0) {
                /* Out of memory: print at once rather than lose it. */
                fprintf(y->errors, "%s:%u:%u: (out of memory)\n", y->path, m.line, m.column);
                return;
        }
        text = escape_controls(text);
        if (!text) {
                fprintf(y->errors, "%s:%u:%u: (out of memory)\n", y->path, m.line, m.column);
                return;
        }
        y->messages[y->n_messages] = (struct ymessage){ m, y->n_messages, text };
        y->n_messages++;
}

static int message_cmp(const void *a, const void *b)
{
        const struct ymessage *x = a, *y = b;

        if (x->mark.line != y->mark.line)
                return x->mark.line < y->mark.line ? -1 : 1;
        if (x->mark.column != y->mark.column)
                return x->mark.column < y->mark.column ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void yctx_flush(struct yctx *y)
{
        if (y->n_messages > 1)
                qsort(y->messages, y->n_messages, sizeof(*y->messages), message_cmp);
        for (size_t i = 0; i < y->n_messages; i++) {
                fprintf(y->errors, "%s:%u:%u: %s\n", y->path, y->messages[i].mark.line,
                        y->messages[i].mark.column, y->messages[i].text);
                free(y->messages[i].text);
        }
        free(y->messages);
        y->messages = NULL;
        y->n_messages = 0;
}

void yerror_at(struct yctx *y, struct mark m, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vreport(y, m, fmt, ap);
        va_end(ap);
}

void yerror(struct yctx *y, const yaml_node_t *n, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vreport(y, ynode_mark(n), fmt, ap);
        va_end(ap);
}

/* Reader errors (bad UTF-8) carry a byte offset, not a mark. */
static struct mark mark_of_offset(const char *buf, size_t size, size_t offset)
{
        struct mark m = { 1, 1 };

        for (size_t i = 0; i < offset && i < size; i++) {
                if (buf[i] == '\n') {
                        m.line++;
                        m.column = 1;
                } else
                        m.column++;
        }
        return m;
}

static void report_parser(struct yctx *y, const yaml_parser_t *p, const char *buf, size_t size)
{
        struct mark m = { (unsigned)p->problem_mark.line + 1,
                          (unsigned)p->problem_mark.column + 1 };
        const char *problem = p->problem ?: "malformed YAML";

        if (p->error == YAML_MEMORY_ERROR)
                return;
        if (p->error == YAML_READER_ERROR) {
                yerror_at(y, mark_of_offset(buf, size, p->problem_offset), "%s", problem);
                return;
        }
        if (p->context)
                yerror_at(y, m, "%s %s (line %u, column %u)", problem, p->context,
                          (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
        else
                yerror_at(y, m, "%s", problem);
}

/* Counts one more reference to node id; true when it was already
 * referenced, which only an alias can do. */
static bool seen_before(unsigned char *seen, size_t n, int id)
{
        if (id < 1 || (size_t)id > n)
                return false;
        return seen[id]++ > 0;
}

static int first_shared_node(const yaml_node_t *node, unsigned char *seen, size_t n)
{
        if (node->type == YAML_SEQUENCE_NODE) {
                for (yaml_node_item_t *i = node->data.sequence.items.start;
                     i < node->data.sequence.items.top; i++)
                        if (seen_before(seen, n, *i))
                                return *i;
        } else if (node->type == YAML_MAPPING_NODE) {
                for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
                     p < node->data.mapping.pairs.top; p++) {
                        if (seen_before(seen, n, p->key))
                                return p->key;
                        if (seen_before(seen, n, p->value))
                                return p->value;
                }
        }
        return 0;
}

/* libyaml's loader turns an alias into a second reference to the anchored
 * node (even a cycle), so a node referenced twice means an alias.  The
 * schema has no use for them; refusing them keeps every walk linear. */
static int check_no_aliases(struct yctx *y)
{
        size_t n = (size_t)(y->doc.nodes.top - y->doc.nodes.start);
        _cleanup_free_ unsigned char *seen = calloc(n + 1, 1);

        if (!seen)
                return -ENOMEM;
        for (yaml_node_t *node = y->doc.nodes.start; node < y->doc.nodes.top; node++) {
                int id = first_shared_node(node, seen, n);

                if (id > 0) {
                        yerror(y, ynode(y, id), "YAML aliases are not supported here");
                        return -EINVAL;
                }
        }
        return 0;
}

static int load_second_document(struct yctx *y, yaml_parser_t *p, const char *buf, size_t size)
{
        yaml_document_t extra;
        yaml_node_t *root;
        int r = 0;

        if (!yaml_parser_load(p, &extra)) {
                report_parser(y, p, buf, size);
                return p->error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
        }
        root = yaml_document_get_root_node(&extra);
        if (root) {
                yerror(y, root, "only one YAML document is allowed");
                r = -EINVAL;
        }
        yaml_document_delete(&extra);
        return r;
}

/* The change in nesting a token makes: +1 for a collection that starts
 * (flow or block), -1 for one that ends. */
static int nesting_step(yaml_token_type_t type)
{
        switch (type) {
        case YAML_FLOW_SEQUENCE_START_TOKEN:
        case YAML_FLOW_MAPPING_START_TOKEN:
        case YAML_BLOCK_SEQUENCE_START_TOKEN:
        case YAML_BLOCK_MAPPING_START_TOKEN:
                return 1;
        case YAML_FLOW_SEQUENCE_END_TOKEN:
        case YAML_FLOW_MAPPING_END_TOKEN:
        case YAML_BLOCK_END_TOKEN:
                return -1;
        default:
                return 0;
        }
}

/* libyaml's scanner walks its stack of possible simple keys, one per flow
 * level, for every token: a file of N unclosed '[' takes time in N^2
 * (200k took a minute), and a reload runs inside the event loop.  So the
 * tokens are read first, one by one, and the file is refused at the first
 * collection past YAML_NESTING_MAX, before the loader builds anything.
 * Reading libyaml's own tokens, rather than counting brackets by hand,
 * gives its exact view of quoted scalars, plain scalars and comments, in
 * which brackets do not nest; the scanner looks ahead at most 1024
 * characters for a simple key, so stopping here bounds its work.  A
 * malformed file is left to the loader, which reports it. */
static int check_nesting(struct yctx *y, const char *buf, size_t size)
{
        yaml_parser_t p;
        int depth = 0, r = 0;

        if (!yaml_parser_initialize(&p))
                return -ENOMEM;
        yaml_parser_set_input_string(&p, (const unsigned char *)buf, size);
        for (;;) {
                yaml_token_t t;
                bool end;

                if (!yaml_parser_scan(&p, &t)) {
                        r = p.error == YAML_MEMORY_ERROR ? -ENOMEM : 0;
                        break;
                }
                end = t.type == YAML_STREAM_END_TOKEN;
                depth += nesting_step(t.type);
                if (depth > (int)YAML_NESTING_MAX) {
                        yerror_at(y,
                                  (struct mark){ (unsigned)t.start_mark.line + 1,
                                                 (unsigned)t.start_mark.column + 1 },
                                  "nesting deeper than %u levels", YAML_NESTING_MAX);
                        r = -EINVAL;
                        end = true;
                }
                yaml_token_delete(&t);
                if (end)
                        break;
        }
        yaml_parser_delete(&p);
        return r;
}

int yctx_load(struct yctx *y, const char *buf, size_t size)
{
        yaml_parser_t p;
        int r;

        r = check_nesting(y, buf, size);
        if (r < 0)
                return r;
        if (!yaml_parser_initialize(&p))
                return -ENOMEM;
        yaml_parser_set_input_string(&p, (const unsigned char *)buf, size);
        if (!yaml_parser_load(&p, &y->doc)) {
                report_parser(y, &p, buf, size);
                r = p.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
                yaml_parser_delete(&p);
                return r;
        }
        y->have_doc = true;
        r = load_second_document(y, &p, buf, size);
        yaml_parser_delete(&p);
        if (r < 0)
                return r;
        return check_no_aliases(y);
}

void yctx_done(struct yctx *y)
{
        yctx_flush(y);
        if (y->have_doc)
                yaml_document_delete(&y->doc);
        y->have_doc = false;
}

yaml_node_t *ynode(struct yctx *y, int id)
{
        return yaml_document_get_node(&y->doc, id);
}

yaml_node_t *yroot(struct yctx *y)
{
        return yaml_document_get_root_node(&y->doc);
}

const char *ykind(const yaml_node_t *n)
{
        switch (n->type) {
        case YAML_MAPPING_NODE:
                return "a mapping";
        case YAML_SEQUENCE_NODE:
                return "a list";
        default:
                break;
        }
        /* A plain empty scalar is YAML's null: "key:" with no value. */
        if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            (n->data.scalar.length == 0 || streq((const char *)n->data.scalar.value, "~") ||
             streq((const char *)n->data.scalar.value, "null")))
                return "empty";
        return "a string";
}

bool yscalar(struct yctx *y, const yaml_node_t *n, const char *what, const char *description,
             const char **ret)
{
        const char *v;

        if (n->type != YAML_SCALAR_NODE) {
                yerror(y, n, "'%s' must be %s, not %s", what, description, ykind(n));
                return false;
        }
        v = (const char *)n->data.scalar.value;
        if (strlen(v) != n->data.scalar.length) {
                yerror(y, n, "'%s' must not contain a NUL character", what);
                return false;
        }
        *ret = v;
        return true;
}

/* Levenshtein distance with two rows; words here are short keys. */
static size_t edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        size_t prev[64], cur[64];

        if (la >= 63 || lb >= 63)
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                prev[j] = j;
        for (size_t i = 1; i <= la; i++) {
                cur[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
                        size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

                        cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
                }
                memcpy(prev, cur, sizeof(size_t) * (lb + 1));
        }
        return prev[lb];
}

const char *ysuggest(const char *word, const char *const *candidates, size_t n)
{
        size_t best = SIZE_MAX, limit = strlen(word) / 3 + 1;
        const char *found = NULL;

        if (limit > 3)
                limit = 3;
        for (size_t i = 0; i < n; i++) {
                size_t d;

                if (!candidates[i])
                        continue;
                d = edit_distance(word, candidates[i]);
                if (d < best) {
                        best = d;
                        found = candidates[i];
                }
        }
        return best <= limit ? found : NULL;
}
