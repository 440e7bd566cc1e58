/* config-digest.h: a digest of what in a rules file can change a
 * decision, so that a hold made under some rules is decided again only
 * when the rules in force decide differently (a comment, a URL or a
 * timeout changes nothing). */
#pragma once

#include <stdint.h>

#include "config.h"

/* FNV-1a (64 bits) over the rules (name, action, reason, each condition
 * with its values; a list by its entries, not its name or file), the
 * default, the credit section (window and limits) and api.fields.  Equal
 * rules written differently give the same digest. */
uint64_t config_digest(const struct config *c);
