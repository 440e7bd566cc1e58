/* fuzz-policy.c: the one approval policy's invariants over a stream of
 * orders (one JSON order a line), decided in turn as the daemon and
 * `evaluate` decide them: an approval always carries a customer id, a
 * total that is not negative and a currency; counting it always succeeds
 * and raises the customer's exposure by exactly its total; nothing else
 * ever changes the history. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "history.h"
#include "order.h"
#include "policy.h"
#include "rules.h"
#include "util.h"

#define NOW INT64_C(1795687200) /* 2026-11-26T10:00:00Z */

static const char rules_yaml[] =
        "version: 1\n"
        "api: {base_url: http://127.0.0.1:1, token_url: http://127.0.0.1:1/t}\n"
        "credit: {window: 30d, default: {EUR: 1000, USD: 1200}}\n"
        "rules:\n"
        "  - {name: trusted, when: {customer: [CUS-T, \"VIP-*\"]}, then: approve}\n"
        "  - {name: embargo, when: {country: [KP]}, then: reject}\n"
        "  - {name: busy, when: {orders_within: {window: 24h, above: 3}}, then: hold}\n"
        "  - {name: credit, when: {over_credit_limit: true}, then: reject}\n"
        "default: approve\n";

static struct config *config;

static void check_one(struct history *h, const struct order *o)
{
        struct verdict v;
        int64_t before, after;

        if (policy_decide(config, h, o, NOW, &v, NULL) < 0)
                abort();
        if (!v.reason)
                abort();
        if (v.decision != ACTION_APPROVE) {
                if (o->customer_id && o->currency &&
                    history_exposure(h, o->customer_id, o->currency, NOW - 86400, NOW) < 0)
                        abort();
                return;
        }
        /* what an approval needs */
        if (!o->customer_id || !*o->customer_id || strlen(o->customer_id) > POLICY_TEXT_MAX ||
            !o->has_total || o->total < 0 || !o->currency || !*o->currency ||
            strlen(o->currency) > POLICY_TEXT_MAX || policy_id_problem(o->id))
                abort();
        before = history_exposure(h, o->customer_id, o->currency, NOW - 86400, NOW);
        if (policy_count_order(h, o, NOW) < 0)
                abort();
        after = history_exposure(h, o->customer_id, o->currency, NOW - 86400, NOW);
        if (after - before != o->total || !history_known(h, o->customer_id))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data, *end = p + size;
        struct history *h = NULL;

        if (!config && config_load_buffer("fuzz-policy.yaml", rules_yaml, sizeof(rules_yaml) - 1,
                                          stderr, &config) < 0)
                abort();
        if (history_new(&h) < 0)
                abort();
        for (int n = 0; p < end && n < 64; n++) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
                struct order o;

                if (order_parse(p, len, &config->api, &o) >= 0) {
                        check_one(h, &o);
                        order_done(&o);
                }
                p += len + 1;
        }
        history_free(h);
        return 0;
}
