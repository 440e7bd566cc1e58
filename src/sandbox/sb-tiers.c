/* sb-tiers.c: the approving parties and the one rule that turns their
 * decisions into the order's status. */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "sb-tiers.h"

static const char *const party_names[_SB_PARTY_MAX] = {
        [SB_PARTY_DISTRIBUTOR] = "distributor",
        [SB_PARTY_SELLER] = "seller",
};

const char *sb_party_to_string(enum sb_party p)
{
        return p < _SB_PARTY_MAX ? party_names[p] : "unknown";
}

int sb_party_from_string(const char *s)
{
        assert(s);
        for (int i = 0; i < _SB_PARTY_MAX; i++)
                if (streq(s, party_names[i]))
                        return i;
        return -EINVAL;
}

void sb_tiers_default(struct sb_tiers *ret)
{
        assert(ret);
        *ret = (struct sb_tiers){ .list = { SB_PARTY_SELLER }, .n = 1 };
}

bool sb_tiers_has(const struct sb_tiers *t, enum sb_party p)
{
        assert(t);
        for (size_t i = 0; i < t->n; i++)
                if (t->list[i] == p)
                        return true;
        return false;
}

int sb_tiers_parse(const char *s, struct sb_tiers *ret)
{
        struct sb_tiers t = {};
        char name[16];

        assert(s && ret);
        for (const char *p = s;;) {
                size_t n = strcspn(p, ",");
                int party;

                if (n == 0 || n >= sizeof(name) || t.n >= _SB_PARTY_MAX)
                        return -EINVAL;
                memcpy(name, p, n);
                name[n] = '\0';
                party = sb_party_from_string(name);
                if (party < 0 || sb_tiers_has(&t, (enum sb_party)party))
                        return -EINVAL;
                t.list[t.n++] = (enum sb_party)party;
                if (!p[n])
                        break;
                p += n + 1;
        }
        if (!sb_tiers_has(&t, SB_PARTY_SELLER))
                return -EINVAL;
        *ret = t;
        return 0;
}

bool sb_tiers_listed(const struct sb_tiers *t)
{
        assert(t);
        return t->n > 1;
}

void sb_tiers_init_order(struct sb_order *o)
{
        assert(o);
        for (int i = 0; i < _SB_PARTY_MAX; i++)
                o->approvals[i] =
                        o->status == SB_STATUS_APPROVED ? SB_STATUS_APPROVED : SB_STATUS_PENDING;
        if (o->status == SB_STATUS_REJECTED)
                o->approvals[SB_PARTY_SELLER] = SB_STATUS_REJECTED;
}

static bool all_approved(const struct sb_tiers *t, const struct sb_order *o)
{
        for (size_t i = 0; i < t->n; i++)
                if (o->approvals[t->list[i]] != SB_STATUS_APPROVED)
                        return false;
        return true;
}

int sb_tiers_decide(const struct sb_tiers *t, struct sb_order *o, enum sb_party p, bool approve,
                    char **reason)
{
        assert(t && o && sb_tiers_has(t, p));
        assert(approve || (reason && *reason));
        if (o->status != SB_STATUS_PENDING)
                return -EBUSY;
        if (o->approvals[p] != SB_STATUS_PENDING)
                return -EALREADY;
        if (!approve) {
                o->approvals[p] = SB_STATUS_REJECTED;
                o->status = SB_STATUS_REJECTED;
                free(o->rejection_reason);
                o->rejection_reason = TAKE_PTR(*reason);
                return 0;
        }
        o->approvals[p] = SB_STATUS_APPROVED;
        if (all_approved(t, o))
                o->status = SB_STATUS_APPROVED;
        return 0;
}
