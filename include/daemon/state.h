/* state.h: what approvald knows of each order, rebuilt from the journal:
 * the one place that reads the journal's records as decisions, holds and
 * what the API said, and that fills the history from them (through the one
 * approval policy).  The daemon keeps a state while it runs; `explain
 * --state-dir` and `holds` load one from the journal, so they see the same
 * history the daemon decides with.  docs/operation.md ("What counts in the
 * history") describes the rules for sellers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"
#include "idmap.h"
#include "journal.h"
#include "order.h"

/* Who decided the order, as far as approvald knows. */
enum entry_kind {
        ENTRY_APPROVE, /* our approve intent */
        ENTRY_REJECT, /* our reject intent */
        ENTRY_HOLD, /* held by us for a person, still waiting as far as we know */
        ENTRY_EXTERNAL, /* decided elsewhere: before the first start, in the portal */
};

/* The order's last status known from AppXite. */
enum entry_status {
        ENTRY_STATUS_NONE, /* no outcome yet (an open intent, a hold) */
        ENTRY_STATUS_PENDING, /* our approve is done; other approving parties are not */
        ENTRY_STATUS_APPROVED,
        ENTRY_STATUS_REJECTED,
        ENTRY_STATUS_NOTFOUND,
};

/* One order's state: small enough to live in the map's value itself. */
struct entry {
        enum entry_kind kind;
        enum entry_status status;
        bool busy; /* a lookup or a call is under way */
        bool in_history; /* counted in the history */
        bool stale; /* a hold made by other rules than those in force */
};

struct state {
        struct idmap *entries; /* order id -> packed struct entry */
        struct idmap *reasons; /* order id -> reason of an open reject intent */
        struct history *history;
        uint64_t rules_digest; /* of the rules in force */
        bool bootstrapped; /* the journal has the bootstrap mark */
        int64_t last_sync; /* time of the latest bootstrap or refresh mark; 0: none */
};

/* Returns 0 and an empty state for rules with that digest, or -ENOMEM. */
int state_new(struct state **ret, uint64_t rules_digest);
void state_free(struct state *s);

/* The order's entry: true and *ret filled, or false when none. */
bool state_get(const struct state *s, const char *order_id, struct entry *ret);
/* Stores the order's entry.  Returns 0 or -ENOMEM. */
int state_set(struct state *s, const char *order_id, struct entry e);

/* Whether the entry still counts as an approval in the history: ours or
 * learnt from the API, unless AppXite says it ended otherwise. */
bool entry_counts(struct entry e);
/* Whether the order waits on someone else, so that every cycle looks it
 * up before deciding anything: a hold, or our approve waiting on others. */
bool entry_waits(struct entry e);

/* First pass over the journal (journal_open()'s visitor, userdata a struct
 * state): the entries, the open reasons and the marks.  Returns 0
 * or -ENOMEM. */
int state_replay(const struct journal_record *rec, void *userdata);

/* Second pass: counts in the history every approval that still counts
 * (entry_counts()), through policy_count_approval(): our approve intents
 * at their time, approvals learnt from the API from their count_from.
 * Returns 0 or -ENOMEM; a record the policy refuses is skipped. */
int state_count(const struct journal_record *rec, void *userdata);

/* Empties the history and fills it again from the journal in state_dir
 * (after an approval stopped counting, or a dry run's reload), pruned
 * before prune_before.  Returns 0 or -errno (the state is then unchanged
 * but for the in_history flags). */
int state_rebuild_history(struct state *s, const char *state_dir, int64_t prune_before);

/* For the offline tools: replays the journal in state_dir read-only (both
 * passes).  With until (may be NULL), only the records before that order's
 * first decision or hold: the history as it stood when the daemon decided
 * it (*ret_reached, may be NULL, says whether the order was found).
 * Returns 0, -ENOENT when there is no journal, or -errno. */
int state_load(struct state *s, const char *state_dir, int64_t prune_before, const char *until,
               bool *ret_reached);

/* New rules are in force: when their digest differs, every journaled
 * hold is to be decided again (and logged once with its new outcome).
 * Returns how many holds that makes. */
size_t state_rules_changed(struct state *s, uint64_t rules_digest);

/* The intent journaled for decision (approve or reject) on order o (its
 * id order_id) by rule (NULL: the default; "manual:LOGIN"; "timeout:AFTER")
 * for reason, at now: the one shape every path writes, so that the replay
 * reads them all alike.  An approve keeps the order's customer id and
 * currency as they are (journal_intent_check() then refuses one too long:
 * an approval the history could not count is not made); a reject keeps
 * them only when they fit the journal (they are information only).
 * Strings point into o and the arguments. */
void state_intent(struct journal_intent *ret, const char *order_id, enum action decision,
                  const char *rule, const char *reason, const struct order *o, int64_t now);

/* The hold record of order o held by rule (NULL: the default or a
 * problem) for reason since `since`, under the rules of digest: the
 * order's facts kept when they fit the journal, else empty (they are for
 * `approvald holds` and for counting a later approval).  Strings point
 * into o and the arguments. */
void state_hold(struct journal_hold *ret, const struct order *o, const char *rule,
                const char *reason, uint64_t digest, int64_t since);

/* Maps AppXite's status text to an entry status ("NotFound" included). */
enum entry_status entry_status_from_string(const char *status);
