/* journal.h: approvald's crash-safe state: an append-only file of decision
 * intents and call outcomes, holds, what the API said of orders decided
 * elsewhere, and the daemon's milestones, in the state directory, under an
 * exclusive flock.  The on-disk format is documented in docs/journal.md. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#define JOURNAL_FILE_NAME "journal"
/* Where the packaged unit's StateDirectory= puts it. */
#define JOURNAL_STATE_DIR_DEFAULT "/var/lib/approvald"
#define JOURNAL_COMPACT_DEFAULT_SIZE (UINT64_C(64) << 20)
#define JOURNAL_RETENTION_DEFAULT_S (INT64_C(400) * 86400)

/* The most bytes (not characters) any one string of a record may hold.
 * Whatever the daemon must store for an order (its id, customer id, the
 * deciding rule's name and reason) has to fit, or the order is held. */
#define JOURNAL_STRING_MAX 1024

enum journal_type {
        JOURNAL_INTENT = 1,
        JOURNAL_OUTCOME = 2,
        JOURNAL_HOLD = 3,
        JOURNAL_EXTERNAL = 4,
        JOURNAL_MARK = 5,
};

/* Written before an approve/reject call (and fsync'd before it is made). */
struct journal_intent {
        const char *order_id;
        enum action decision;
        const char *rule; /* NULL when the default decided */
        const char *reason;
        const char *customer_id;
        int64_t total; /* minor units */
        const char *currency;
        int64_t time; /* seconds since the epoch */
};

/* Written once the order's fate is known. final_status is AppXite's status
 * ("Approved", "Rejected", ...) or "NotFound". */
struct journal_outcome {
        const char *order_id;
        int http_status;
        const char *final_status;
        int64_t time;
};

/* Written when the daemon holds an order for a person: the order's facts
 * (for `approvald holds`, and to count it should a person approve it) and
 * a digest of the rules that held it, so that a restart with the same
 * rules neither decides it again nor logs it again.  A later hold record
 * of the same order replaces the earlier one (other rules held it again). */
struct journal_hold {
        const char *order_id;
        const char *rule; /* NULL: the default, or a problem with the order */
        const char *reason;
        const char *customer_id; /* "" when absent or over the string limit */
        const char *customer_name; /* "" likewise */
        const char *currency; /* "" likewise */
        int64_t total; /* minor units; meaningful when has_total */
        bool has_total;
        int64_t created_at; /* seconds; 0 when unknown */
        uint64_t rules_digest; /* config_digest() of the rules that held it */
        int64_t time; /* when held */
        bool reminded; /* the daemon sent holds.remind_after's reminder (the
                        * record is then written again, the same but for this) */
};

/* What the daemon learnt from the API about an order it did not approve
 * itself, or about one of ours after its outcome: approved before the
 * first start ("bootstrap"), found by a credit refresh ("refresh"), a hold
 * decided in the portal ("portal"), or rejected by another approving party
 * after it counted ("tiers").  status is AppXite's status (as configured:
 * "Approved", "Rejected") or "NotFound".  An Approved one counts in the
 * history from count_from (createdAt for bootstrap and refresh, the time
 * learnt for a hold); a later record of the same order with another
 * status ends that. */
struct journal_external {
        const char *order_id;
        const char *status;
        const char *source; /* "bootstrap", "refresh", "portal", "tiers" */
        const char *customer_id; /* "" when unknown */
        const char *currency; /* "" when unknown */
        int64_t total; /* minor units */
        int64_t count_from; /* seconds */
        int64_t time; /* when learnt */
};

/* A milestone of the daemon's own: "bootstrap" once the approved orders
 * of the window are all journaled (a start without it bootstraps). */
struct journal_mark {
        const char *what;
        int64_t time;
};

struct journal_record {
        enum journal_type type;
        uint64_t seq;
        uint64_t offset; /* of the record in the file */
        union {
                struct journal_intent intent;
                struct journal_outcome outcome;
                struct journal_hold hold;
                struct journal_external external;
                struct journal_mark mark;
        };
};

/* Called for each record during journal_open() (replay) and
 * journal_foreach(); strings are valid only during the call.  A negative
 * return stops the walk and is passed up. */
typedef int (*journal_visit_t)(const struct journal_record *r, void *userdata);

struct journal;

/* Opens (creating if needed) the journal in state_dir, takes an exclusive
 * flock on the folder (-EWOULDBLOCK when another process holds it), recovers
 * the file (a torn or zeroed tail is truncated; *ret_truncated says how many
 * bytes, may be NULL), replays every record through visit (may be NULL),
 * rewrites a journal of an older version as the current one (same records,
 * through a temp file and a rename: an older approvald then refuses it as
 * another version rather than misread it), and then syncs the file and the
 * folder once, so that every record read is durable before any call rests
 * on it.
 * Returns 0; -EBADMSG when a record before the tail is damaged, or when
 * non-zero bytes lie further after the last good record than a crash can
 * leave (the bad offset in *ret_bad_offset, may be NULL; nothing is
 * modified);
 * -EPROTONOSUPPORT for another version; or -errno, including that of the final sync (-EIO,
 * ...): the caller must then stop as for any failed sync, acting on
 * nothing it replayed. */
int journal_open(struct journal **ret, const char *state_dir, journal_visit_t visit, void *userdata,
                 uint64_t *ret_truncated, uint64_t *ret_bad_offset);

/* Whether the intent can be stored: 0, or -E2BIG for a string longer than
 * JOURNAL_STRING_MAX, or -EINVAL for a required field missing (order_id,
 * reason, customer_id, currency may not be NULL; order_id not empty) or a
 * decision out of range.  On failure *ret_field (may be NULL) names the
 * struct field ("order_id", "rule", "reason", "customer_id", "currency",
 * "decision"); on success it is left alone.  Call it before deciding to
 * append, so that an order that cannot be stored is held rather than
 * failing the append. */
int journal_intent_check(const struct journal_intent *in, const char **ret_field);

/* The same for an outcome: -EINVAL for a NULL or empty order_id, a NULL
 * final_status or an http_status outside 0..999 ("order_id",
 * "final_status", "http_status"), -E2BIG for a string too long. */
int journal_outcome_check(const struct journal_outcome *out, const char **ret_field);

/* The same for a hold (order_id non-empty; rule may be NULL; reason,
 * customer_id, customer_name, currency not NULL), an external record
 * (order_id non-empty; status, source, customer_id, currency not NULL) and
 * a mark (what non-empty): -EINVAL for a field missing or empty, -E2BIG for
 * one longer than JOURNAL_STRING_MAX, naming it in *ret_field as above. */
int journal_hold_check(const struct journal_hold *h, const char **ret_field);
int journal_external_check(const struct journal_external *x, const char **ret_field);
int journal_mark_check(const struct journal_mark *m, const char **ret_field);

/* Appends a record (not yet durable).  Returns 0, the codes of the
 * record's journal_*_check() (nothing is written then), -EIO when an
 * earlier failed append could not be undone, or the
 * write's -errno (-ENOSPC, -EIO, -EFBIG, ...; the partial record is cut off
 * again). */
int journal_append_intent(struct journal *j, const struct journal_intent *in);
int journal_append_outcome(struct journal *j, const struct journal_outcome *out);
int journal_append_hold(struct journal *j, const struct journal_hold *h);
int journal_append_external(struct journal *j, const struct journal_external *x);
int journal_append_mark(struct journal *j, const struct journal_mark *m);

/* fsyncs what was appended.  Returns 0 or -errno. */
int journal_sync(struct journal *j);

/* Rewrites the file when it has passed max_size bytes and also twice its
 * size after this journal's last rewrite (so a file that is mostly inside
 * the window is not rewritten on every call), keeping every record of the
 * orders with a record after now - keep_s (for an external record, the
 * later of its time and count_from), of the orders whose last record is an
 * intent (no outcome yet) or a hold (still waiting), and the latest mark of
 * each what (write temp, fsync, rename, fsync dir).  An order's records are
 * kept or dropped together.  Returns 1 when it compacted,
 * 0 when not needed, or -errno (the old file is then untouched, except
 * when only the folder's fsync failed: the new file is then in use). */
int journal_compact(struct journal *j, int64_t now, int64_t keep_s, uint64_t max_size);

/* Current size of the file in bytes. */
uint64_t journal_size(const struct journal *j);

/* Closes the file and releases the lock.  Accepts NULL. */
void journal_close(struct journal *j);

/* Reads a journal without locking or modifying it (journal dump/verify):
 * visits each whole record; returns 0, or -EBADMSG with the offset of the
 * first bad record in *ret_bad_offset (also for a torn tail), or -errno. */
int journal_read(const char *state_dir, journal_visit_t visit, void *userdata,
                 uint64_t *ret_bad_offset);
