/* journal-dump.h: one journal record as one line of JSON, the format of
 * `approvald journal dump` (docs/journal.md, "Commands"). */
#pragma once

#include "journal.h"

/* Formats r as a JSON object on one line, without a newline: integers
 * exact (64-bit), strings as valid UTF-8 with each byte that does not
 * start a well-formed sequence shown as U+FFFD, and every control
 * character, line or paragraph separator and bidirectional mark written as
 * a \u escape, so that no text in the journal can reach the operator's
 * terminal raw.  A hold's rules_digest is a string of 16 hex digits, its
 * total null when it has none.  Returns 0 and a string the caller frees in
 * *ret, -ENOMEM, or -EINVAL for a record of no known type. */
int journal_record_to_json(const struct journal_record *r, char **ret);
