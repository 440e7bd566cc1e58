/* metrics.h: the daemon's counters, written as a Prometheus text file for
 * node_exporter's textfile collector when `metrics: {textfile: PATH}` is
 * set.  The daemon counts as it goes and writes the file after each cycle;
 * nothing here touches the network.  The metric names, labels and their
 * meaning are documented in docs/operation.md ("Statistics and metrics"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

/* Distinct rule names kept as their own label value; decisions of rules
 * past them are counted under rule="(other)".  A reload keeps the counters
 * of rules it removed (counters never go back), so the names of every
 * configuration since the start count against this. */
#define METRICS_RULES_MAX 256
/* Distinct HTTP statuses kept; others are counted under status="other". */
#define METRICS_STATUSES_MAX 32

struct metrics;

/* Returns 0 and new metrics with every counter at zero, or -ENOMEM. */
int metrics_new(struct metrics **ret);

/* Accepts NULL. */
void metrics_free(struct metrics *m);

/* Counts one decision (approve, reject or hold) by rule (NULL: the
 * default decided), enforced or in a dry run.  Never fails: a name that
 * cannot be stored (no memory, past METRICS_RULES_MAX) counts under
 * "(other)". */
void metrics_count_decision(struct metrics *m, const char *rule, enum action decision,
                            bool dry_run);

/* Counts one request to the API by its HTTP status (0: no answer, such as
 * a timeout or a refused connection). */
void metrics_count_call(struct metrics *m, int http_status);

/* Records the end of a poll cycle: how long it took, whether its listing
 * succeeded (now_s, seconds since the epoch, is then the last successful
 * poll), the orders held and still waiting for a person, and the journal's
 * size in bytes. */
void metrics_cycle_done(struct metrics *m, uint64_t duration_usec, bool listing_ok, int64_t now_s,
                        size_t holds_waiting, uint64_t journal_bytes);

/* The notification sender's totals (notify.h's stats), as of the end of
 * the cycle: sent, failed (given up) and dropped (queue full, or left at a
 * stop).  Printed once a notify section has been configured. */
void metrics_notifications(struct metrics *m, uint64_t sent, uint64_t failed, uint64_t dropped);

/* Writes the metrics to path atomically: to "PATH.tmp" in the same
 * folder (mode 0644: node_exporter runs as another user), fsync'd, then
 * renamed over path, so a reader sees the old file or the new one, never
 * half of one.  Returns 0 or -errno (-ENOENT for a missing folder,
 * -EACCES, -ENOSPC, -ELOOP when PATH.tmp is a symbolic link...); path is
 * then left as it was, and a temporary file it created is removed. */
int metrics_write(const struct metrics *m, const char *path);

/* Writes the metrics text to f (what metrics_write() puts in the file).
 * Returns 0, or -EIO when a write to f failed. */
int metrics_print(const struct metrics *m, FILE *f);
