/* config-yaml.h: the libyaml layer under config.c (private).  Loads one
 * YAML document into a node tree, reports problems as "FILE:LINE:COLUMN:
 * message" from libyaml's marks, and offers typed access to nodes. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <yaml.h>

#include "config.h"

struct ymessage {
        struct mark mark;
        size_t seq;
        char *text;
};

struct yctx {
        const char *path; /* as given by the caller, for messages */
        FILE *errors; /* may be NULL */
        yaml_document_t doc;
        bool have_doc;
        unsigned n_errors;
        struct ymessage *messages; /* held back to be printed in file order */
        size_t n_messages;
        unsigned depth; /* nesting of any/not, bounded */
};

/* The deepest nesting of collections (flow and block alike) a rules file
 * may have; the deepest file the schema accepts nests under 40. */
#define YAML_NESTING_MAX 64u

/* Parses buf (size bytes) as exactly one YAML document.  Nesting deeper
 * than YAML_NESTING_MAX, malformed YAML, aliases and extra documents are
 * reported.  Returns 0, -EINVAL (reported)
 * or -ENOMEM.  yctx_done() frees the document either way. */
int yctx_load(struct yctx *y, const char *buf, size_t size);
void yctx_done(struct yctx *y);

/* Prints the messages gathered so far, sorted by position, and forgets
 * them.  yctx_done() flushes too. */
void yctx_flush(struct yctx *y);

/* Writes one "FILE:LINE:COLUMN: message" line and counts it. */
void yerror_at(struct yctx *y, struct mark m, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void yerror(struct yctx *y, const yaml_node_t *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

struct mark ynode_mark(const yaml_node_t *n);
yaml_node_t *ynode(struct yctx *y, int id);
yaml_node_t *yroot(struct yctx *y);

/* True for a scalar (NUL-free text in *ret); otherwise reports
 * "'what' must be DESCRIPTION" and returns false. */
bool yscalar(struct yctx *y, const yaml_node_t *n, const char *what, const char *description,
             const char **ret);

/* The node's kind for messages: "a mapping", "a list", "a string". */
const char *ykind(const yaml_node_t *n);

/* The closest candidate to word by edit distance when it is close enough
 * to be a likely typo, else NULL. */
const char *ysuggest(const char *word, const char *const *candidates, size_t n);
