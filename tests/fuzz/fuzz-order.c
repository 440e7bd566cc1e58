/* fuzz-order.c: one order's JSON through order_parse() and rules_evaluate()
 * (with a trace, so every condition runs) against a fixed rules file that
 * uses every condition, then an approval into the history through the
 * one approval policy, as the daemon and evaluate record it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "history.h"
#include "order.h"
#include "policy.h"
#include "rules.h"
#include "util.h"

static const char rules_yaml[] =
        "version: 1\n"
        "api: {base_url: http://127.0.0.1:1, token_url: http://127.0.0.1:1/t}\n"
        "lists:\n"
        "  blocked: [CUS-9, CUS-10]\n"
        "  embargoed: [KP, IR]\n"
        "  products: [\"MS-*\", OFF-7]\n"
        "credit:\n"
        "  window: 30d\n"
        "  default: {EUR: 10000, USD: 12000}\n"
        "  customers: {CUS-42: {EUR: 50000}}\n"
        "rules:\n"
        "  - {name: blocked, when: {customer: \"@blocked\"}, then: reject}\n"
        "  - {name: names, when: {customer_name: \"*evil*\"}, then: reject}\n"
        "  - {name: embargo, when: {country: \"@embargoed\"}, then: reject}\n"
        "  - {name: sek, when: {currency: [SEK]}, then: hold}\n"
        "  - {name: big, when: {total_above: 25000}, then: hold}\n"
        "  - {name: qty, when: {quantity_above: 100, product: \"@products\"}, then: hold}\n"
        "  - {name: busy, when: {orders_within: {window: 24h, above: 3}}, then: hold}\n"
        "  - {name: either, when: {any: [{total_at_most: 1}, {not: {new_customer: false}}]},\n"
        "     then: hold}\n"
        "  - {name: credit, when: {over_credit_limit: true}, then: reject}\n"
        "default: approve\n";

static struct config *config;
static struct history *history;
static struct trace *trace;

static void setup(void)
{
        if (config_load_buffer("fuzz-order.yaml", rules_yaml, sizeof(rules_yaml) - 1, stderr,
                               &config) < 0)
                abort();
        if (history_new(&history) < 0 || rules_trace_new(&trace) < 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct order o;
        struct verdict v;
        int64_t now;

        if (!config)
                setup();
        /* Each input starts from an empty history: one that grows over the
         * whole run took 617 MB, and made a crash depend on the inputs
         * before it. */
        history_free(history);
        if (history_new(&history) < 0)
                abort();
        if (order_parse((const char *)data, size, &config->api, &o) < 0)
                return 0;
        now = o.has_created_at ? o.created_at : 1795687200;
        if (rules_evaluate(config, history, &o, now, &v, (size & 1) ? trace : NULL) < 0)
                abort();
        /* An approval comes from an approve rule or the default, never from
         * a missing-field hold. */
        if (!v.reason || (v.decision == ACTION_APPROVE && v.rule && v.rule->then != ACTION_APPROVE))
                abort();
        if (v.decision == ACTION_APPROVE)
                (void)policy_count_order(history, &o, now); /* the one way the history grows */
        history_prune(history, now - rules_longest_window(config));
        order_done(&o);
        return 0;
}
