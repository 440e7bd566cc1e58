/* state.c: what approvald knows of each order, rebuilt from the journal
 * (state.h).  Each entry is packed into the map's value, so a journaled
 * decision costs its id and a slot, nothing more; only an open reject
 * keeps its reason (to send it again). */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "state.h"
#include "util.h"

static void *pack(struct entry e)
{
        uintptr_t v = 1u | (uintptr_t)e.kind << 1 | (uintptr_t)e.status << 4 |
                      (uintptr_t)e.busy << 7 | (uintptr_t)e.in_history << 8 |
                      (uintptr_t)e.stale << 9;

        return (void *)v;
}

static struct entry unpack(const void *p)
{
        uintptr_t v = (uintptr_t)p;

        return (struct entry){
                .kind = (enum entry_kind)(v >> 1 & 7),
                .status = (enum entry_status)(v >> 4 & 7),
                .busy = v >> 7 & 1,
                .in_history = v >> 8 & 1,
                .stale = v >> 9 & 1,
        };
}

int state_new(struct state **ret, uint64_t rules_digest)
{
        struct state *s;

        assert(ret);
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->rules_digest = rules_digest;
        if (idmap_new(&s->entries, NULL) < 0 || idmap_new(&s->reasons, free) < 0 ||
            history_new(&s->history) < 0) {
                state_free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

void state_free(struct state *s)
{
        if (!s)
                return;
        idmap_free(s->entries);
        idmap_free(s->reasons);
        history_free(s->history);
        free(s);
}

bool state_get(const struct state *s, const char *order_id, struct entry *ret)
{
        void *v;

        assert(s);
        assert(order_id);
        v = idmap_get(s->entries, order_id);
        if (!v)
                return false;
        if (ret)
                *ret = unpack(v);
        return true;
}

int state_set(struct state *s, const char *order_id, struct entry e)
{
        assert(s);
        assert(order_id);
        return idmap_set(s->entries, order_id, pack(e));
}

bool entry_counts(struct entry e)
{
        if (e.kind == ENTRY_APPROVE)
                return e.status != ENTRY_STATUS_REJECTED && e.status != ENTRY_STATUS_NOTFOUND;
        return e.kind == ENTRY_EXTERNAL && e.status == ENTRY_STATUS_APPROVED;
}

bool entry_waits(struct entry e)
{
        return (e.kind == ENTRY_HOLD && e.status == ENTRY_STATUS_NONE) ||
               (e.kind == ENTRY_APPROVE && e.status == ENTRY_STATUS_PENDING);
}

/* The journal keeps the canonical names (config.h's enum order_status):
 * the daemon maps the API's names through api.statuses as it reads them,
 * so a journal means the same whatever api.statuses says. */
enum entry_status entry_status_from_string(const char *status)
{
        if (streq_ptr(status, order_status_name(ORDER_STATUS_APPROVED)))
                return ENTRY_STATUS_APPROVED;
        if (streq_ptr(status, order_status_name(ORDER_STATUS_PENDING)))
                return ENTRY_STATUS_PENDING;
        if (streq_ptr(status, "NotFound"))
                return ENTRY_STATUS_NOTFOUND;
        return ENTRY_STATUS_REJECTED; /* Rejected, or any end that is not an approval */
}

static int replay_intent(struct state *s, const struct journal_intent *in)
{
        struct entry e;
        bool known = state_get(s, in->order_id, &e);
        char *reason;
        int r;

        if (known && e.kind != ENTRY_HOLD)
                return 0; /* the first decision stands */
        e = (struct entry){ .kind = in->decision == ACTION_APPROVE ? ENTRY_APPROVE : ENTRY_REJECT };
        r = state_set(s, in->order_id, e);
        if (r < 0 || in->decision != ACTION_REJECT || !in->reason)
                return r;
        reason = strdup(in->reason);
        if (!reason)
                return -ENOMEM;
        r = idmap_set(s->reasons, in->order_id, reason);
        if (r < 0)
                free(reason);
        return r;
}

static int replay_outcome(struct state *s, const struct journal_outcome *out)
{
        struct entry e;

        if (!state_get(s, out->order_id, &e))
                return 0;
        e.status = entry_status_from_string(out->final_status);
        idmap_remove(s->reasons, out->order_id);
        return state_set(s, out->order_id, e);
}

static int replay_hold(struct state *s, const struct journal_hold *h)
{
        struct entry e;

        if (state_get(s, h->order_id, &e) && e.kind != ENTRY_HOLD)
                return 0; /* decided since */
        e = (struct entry){ .kind = ENTRY_HOLD, .stale = h->rules_digest != s->rules_digest };
        return state_set(s, h->order_id, e);
}

static int replay_external(struct state *s, const struct journal_external *x)
{
        struct entry e;

        if (!state_get(s, x->order_id, &e) || e.kind == ENTRY_HOLD)
                e = (struct entry){ .kind = ENTRY_EXTERNAL };
        e.status = entry_status_from_string(x->status);
        idmap_remove(s->reasons, x->order_id);
        return state_set(s, x->order_id, e);
}

int state_replay(const struct journal_record *rec, void *userdata)
{
        struct state *s = userdata;

        assert(rec);
        assert(s);
        switch (rec->type) {
        case JOURNAL_INTENT:
                return rec->intent.order_id ? replay_intent(s, &rec->intent) : 0;
        case JOURNAL_OUTCOME:
                return rec->outcome.order_id ? replay_outcome(s, &rec->outcome) : 0;
        case JOURNAL_HOLD:
                return rec->hold.order_id ? replay_hold(s, &rec->hold) : 0;
        case JOURNAL_EXTERNAL:
                return rec->external.order_id ? replay_external(s, &rec->external) : 0;
        case JOURNAL_MARK:
                if (streq_ptr(rec->mark.what, "bootstrap"))
                        s->bootstrapped = true;
                if ((streq_ptr(rec->mark.what, "bootstrap") ||
                     streq_ptr(rec->mark.what, "refresh")) &&
                    rec->mark.time > s->last_sync)
                        s->last_sync = rec->mark.time;
                return 0;
        }
        return 0;
}

/* Counts the approval once, if it still counts and was made by kind. */
static int count_once(struct state *s, const char *order_id, enum entry_kind kind,
                      const char *customer_id, int64_t total, const char *currency, int64_t t)
{
        struct entry e;
        int r;

        if (!state_get(s, order_id, &e) || e.kind != kind || e.in_history || !entry_counts(e))
                return 0;
        r = policy_count_approval(s->history, customer_id, total, currency, t);
        if (r == -EINVAL)
                return 0; /* nothing an approval could have carried: not counted */
        if (r < 0)
                return r;
        e.in_history = true;
        return state_set(s, order_id, e);
}

int state_count(const struct journal_record *rec, void *userdata)
{
        struct state *s = userdata;
        const struct journal_intent *in = &rec->intent;
        const struct journal_external *x = &rec->external;

        assert(rec);
        assert(s);
        if (rec->type == JOURNAL_INTENT && in->decision == ACTION_APPROVE && in->order_id)
                return count_once(s, in->order_id, ENTRY_APPROVE, in->customer_id, in->total,
                                  in->currency, in->time);
        if (rec->type == JOURNAL_EXTERNAL && x->order_id &&
            streq_ptr(x->status, order_status_name(ORDER_STATUS_APPROVED)))
                return count_once(s, x->order_id, ENTRY_EXTERNAL, x->customer_id, x->total,
                                  x->currency, x->count_from);
        return 0;
}

int state_rebuild_history(struct state *s, const char *state_dir, int64_t prune_before)
{
        struct history *h = NULL, *old;
        const char *id;
        void *v;
        size_t i = 0;
        int r;

        assert(s);
        assert(state_dir);
        r = history_new(&h);
        if (r < 0)
                return r;
        while (idmap_next(s->entries, &i, &id, &v)) {
                struct entry e = unpack(v);

                e.in_history = false;
                (void)idmap_set(s->entries, id, pack(e)); /* an existing key: cannot fail */
        }
        old = s->history;
        s->history = h;
        r = journal_read(state_dir, state_count, s, NULL);
        if (r < 0) {
                s->history = old;
                history_free(h);
                return r;
        }
        history_free(old);
        history_prune(s->history, prune_before);
        return 0;
}

/* Passes a record on to visit, until the first intent or hold of the
 * order `until` (then the walk stops: what came after it was not known
 * when it was decided). */
struct until {
        struct state *s;
        const char *order_id;
        journal_visit_t visit;
        bool reached;
};

static int visit_until(const struct journal_record *rec, void *userdata)
{
        struct until *u = userdata;
        const char *id = rec->type == JOURNAL_INTENT ? rec->intent.order_id
                         : rec->type == JOURNAL_HOLD ? rec->hold.order_id
                                                     : NULL;

        if (u->order_id && id && streq(id, u->order_id)) {
                u->reached = true;
                return -ECANCELED; /* stops the walk */
        }
        return u->visit(rec, u->s);
}

static int read_until(struct state *s, const char *state_dir, const char *until,
                      journal_visit_t visit, bool *ret_reached)
{
        struct until u = { .s = s, .order_id = until, .visit = visit };
        int r = journal_read(state_dir, visit_until, &u, NULL);

        if (ret_reached)
                *ret_reached = u.reached;
        return r == -ECANCELED && u.reached ? 0 : r;
}

int state_load(struct state *s, const char *state_dir, int64_t prune_before, const char *until,
               bool *ret_reached)
{
        int r;

        assert(s);
        assert(state_dir);
        r = read_until(s, state_dir, until, state_replay, ret_reached);
        if (r < 0)
                return r;
        r = read_until(s, state_dir, until, state_count, NULL);
        if (r < 0)
                return r;
        history_prune(s->history, prune_before);
        return 0;
}

size_t state_rules_changed(struct state *s, uint64_t rules_digest)
{
        const char *id;
        void *v;
        size_t i = 0, n = 0;

        assert(s);
        if (rules_digest == s->rules_digest)
                return 0;
        s->rules_digest = rules_digest;
        while (idmap_next(s->entries, &i, &id, &v)) {
                struct entry e = unpack(v);

                if (e.kind != ENTRY_HOLD || e.status != ENTRY_STATUS_NONE)
                        continue;
                e.stale = true;
                (void)idmap_set(s->entries, id, pack(e)); /* an existing key: cannot fail */
                n++;
        }
        return n;
}

/* A text the journal keeps for information only: itself when it fits,
 * else empty. */
static const char *if_storable(const char *s)
{
        return s && strnlen(s, JOURNAL_STRING_MAX + 1) <= JOURNAL_STRING_MAX ? s : "";
}

void state_intent(struct journal_intent *ret, const char *order_id, enum action decision,
                  const char *rule, const char *reason, const struct order *o, int64_t now)
{
        bool approve = decision == ACTION_APPROVE;

        assert(ret);
        assert(order_id && o);
        *ret = (struct journal_intent){
                .order_id = order_id,
                .decision = decision,
                .rule = rule,
                .reason = reason ? reason : "",
                .customer_id = approve ? (o->customer_id ?: "") : if_storable(o->customer_id),
                .total = o->has_total ? o->total : 0,
                .currency = approve ? (o->currency ?: "") : if_storable(o->currency),
                .time = now,
        };
}

void state_hold(struct journal_hold *ret, const struct order *o, const char *rule,
                const char *reason, uint64_t digest, int64_t since)
{
        assert(ret);
        assert(o); /* o->id may be NULL: the caller then sets order_id */
        *ret = (struct journal_hold){
                .order_id = o->id,
                .rule = rule,
                .reason = reason ? reason : "",
                .customer_id = if_storable(o->customer_id),
                .customer_name = if_storable(o->customer_name),
                .currency = if_storable(o->currency),
                .total = o->has_total ? o->total : 0,
                .has_total = o->has_total,
                .created_at = o->has_created_at ? o->created_at : 0,
                .rules_digest = digest,
                .time = since,
        };
}
