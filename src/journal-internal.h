/* journal-internal.h: the journal's on-disk layout and its scanner, shared
 * by journal.c, its unit test and its fuzz target; nothing else should
 * include it.  docs/journal.md describes the same layout in prose. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "journal.h"

#define JOURNAL_TMP_NAME "journal.tmp"
#define JOURNAL_LOCK_NAME "lock"

#define JOURNAL_MAGIC "APVDJRNL"
#define JOURNAL_VERSION 1
#define JOURNAL_FILE_HEADER_SIZE 32
#define JOURNAL_RECORD_HEADER_SIZE 20
/* Smallest payloads: intent = 8+8+1 + five u16 prefixes, outcome = 8+2 +
 * two u16 prefixes. */
#define JOURNAL_INTENT_PAYLOAD_MIN 27
#define JOURNAL_OUTCOME_PAYLOAD_MIN 14
/* Largest whole records, header included: every string at its cap.  A
 * length beyond these cannot decode (a string over the cap or trailing
 * bytes), so readers refuse it from the header alone. */
#define JOURNAL_INTENT_MAX                                                                         \
        (JOURNAL_RECORD_HEADER_SIZE + JOURNAL_INTENT_PAYLOAD_MIN + 5 * JOURNAL_STRING_MAX)
#define JOURNAL_OUTCOME_MAX                                                                        \
        (JOURNAL_RECORD_HEADER_SIZE + JOURNAL_OUTCOME_PAYLOAD_MIN + 2 * JOURNAL_STRING_MAX)
#define JOURNAL_RECORD_MAX JOURNAL_INTENT_MAX
#define JOURNAL_STRING_NULL 0xffff /* length prefix of a NULL string */

enum journal_damage {
        JOURNAL_DAMAGE_NONE,
        JOURNAL_DAMAGE_TAIL, /* torn or zeroed end: safe to cut at bad_offset */
        JOURNAL_DAMAGE_MIDDLE, /* damage with valid data after it, or not a journal */
};

struct journal_scan {
        uint64_t size; /* bytes looked at */
        uint64_t end; /* end of the last whole valid record (or header) */
        uint64_t first_seq; /* from the file header; 1 when it is torn */
        uint64_t next_seq; /* seq the next appended record gets */
        uint64_t n_records;
        enum journal_damage damage;
        uint64_t bad_offset; /* when damage != NONE */
};

/* Walks a journal held in memory exactly as journal_open() walks a file,
 * visiting every whole valid record before the first damage.  Returns 0 with
 * *ret filled (damage classified, nothing else to do), -EPROTONOSUPPORT for a
 * journal of another version, or visit's negative return. */
int journal_scan_buffer(const uint8_t *data, size_t size, journal_visit_t visit, void *userdata,
                        struct journal_scan *ret);

/* Encodes one record with the given seq into buf (JOURNAL_RECORD_MAX bytes).
 * Returns the record's length, -EINVAL for a missing field or value out of
 * range, or -E2BIG for a string longer than JOURNAL_STRING_MAX. */
int journal_record_encode(const struct journal_record *r, uint64_t seq, uint8_t *buf);

/* Writes the 32-byte file header for a journal whose first record is
 * first_seq into buf. */
void journal_header_encode(uint64_t first_seq, uint8_t buf[JOURNAL_FILE_HEADER_SIZE]);
