/* config-digest.h: a stable 64-bit digest of everything in a parsed config
 * that can change a decision, so that a hold journaled under one set of
 * rules can tell whether the rules in force now would decide it alike. */
#pragma once

#include <inttypes.h>
#include <stdint.h>

#include "config.h"

/* How a digest is shown (journal dump, logs): 16 lowercase hex digits. */
#define CONFIG_DIGEST_FMT "%016" PRIx64

/* The digest of what in c can change a decision:
 *   - every rule, in order: name, then, reason (as configured, or the
 *     default reason of its action), and its when tree: each condition's
 *     kind and values (list entries by content, so "@vip" and the same
 *     entries written inline digest alike; a list from a file likewise),
 *     amounts, quantities, flags, orders_within's window and count, any's
 *     alternatives and not's map;
 *   - default;
 *   - credit: window, the default limits and each customer's limits;
 *   - api.fields: every order field's JSON Pointer (they change what an
 *     order reads as), defaults included.
 * Not in it: comments, key order, line numbers, lists no rule refers to,
 * the list names themselves, version, mode, poll, and the rest of api
 * (base_url, token_url, timeouts, credentials, ...).
 *
 * Stable across runs, builds and machines: FNV-1a (64-bit) over a
 * canonical byte form (integers 8 bytes little-endian, strings as their
 * length then their bytes, each field behind a tag).  What has no order of
 * its own is digested without one: the conditions of a when (YAML key
 * order), any's alternatives, list entries, limits by currency, customers.
 * Each element is digested alone, mixed (splitmix64's finalizer), and the
 * mixed values are summed with their count, so reordering changes nothing
 * while any change to an element changes the sum.  Entries are taken as
 * written: "ES" and "es" digest apart even where the condition compares
 * them alike, and an entry listed twice differs from once; such a
 * difference only makes the daemon decide its holds again.  Not a
 * cryptographic hash: it tells configs apart, it does not resist forgery.
 * Never fails; c must be a config from config_load(). */
uint64_t config_digest(const struct config *c);
