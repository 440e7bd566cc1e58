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
/* The version new files are written with.  Version 1 files (intents and
 * outcomes only) are still read, and journal_open() rewrites one as the
 * current version before anything is appended to it, so an older approvald
 * refuses it as another version rather than misreading a record type it
 * does not know.  Version 3 added the hold flag JOURNAL_HOLD_REMINDED. */
#define JOURNAL_VERSION 3
#define JOURNAL_VERSION_OLDEST 1
#define JOURNAL_FILE_HEADER_SIZE 32
#define JOURNAL_RECORD_HEADER_SIZE 20
/* Smallest payloads: the fixed fields and a u16 prefix for each string.
 *   intent   = 8+8+1 + five strings      hold = 8+8+8+8+1 + six strings
 *   outcome  = 8+2 + two strings         external = 8+8+8 + five strings
 *   mark     = 8 + one string */
#define JOURNAL_INTENT_PAYLOAD_MIN 27
#define JOURNAL_OUTCOME_PAYLOAD_MIN 14
#define JOURNAL_HOLD_PAYLOAD_MIN 45
#define JOURNAL_EXTERNAL_PAYLOAD_MIN 34
#define JOURNAL_MARK_PAYLOAD_MIN 10
/* Largest whole records, header included: every string at its cap.  A
 * length beyond these cannot decode (a string over the cap or trailing
 * bytes), so readers refuse it from the header alone. */
#define JOURNAL_MAX_WITH(payload_min, n_strings)                                                   \
        (JOURNAL_RECORD_HEADER_SIZE + (payload_min) + (n_strings)*JOURNAL_STRING_MAX)
#define JOURNAL_INTENT_MAX JOURNAL_MAX_WITH(JOURNAL_INTENT_PAYLOAD_MIN, 5)
#define JOURNAL_OUTCOME_MAX JOURNAL_MAX_WITH(JOURNAL_OUTCOME_PAYLOAD_MIN, 2)
#define JOURNAL_HOLD_MAX JOURNAL_MAX_WITH(JOURNAL_HOLD_PAYLOAD_MIN, 6)
#define JOURNAL_EXTERNAL_MAX JOURNAL_MAX_WITH(JOURNAL_EXTERNAL_PAYLOAD_MIN, 5)
#define JOURNAL_MARK_MAX JOURNAL_MAX_WITH(JOURNAL_MARK_PAYLOAD_MIN, 1)
/* The largest record of any type (a hold), for buffers; and the largest a
 * version-1 file can hold (an intent), which bounds a torn tail there. */
#define JOURNAL_RECORD_MAX JOURNAL_HOLD_MAX
#define JOURNAL_V1_RECORD_MAX JOURNAL_INTENT_MAX
/* A hold's flags byte: bit 0, it has a total; bit 1 (version 3), a
 * reminder was sent for it.  The others must be 0. */
#define JOURNAL_HOLD_HAS_TOTAL 0x01
#define JOURNAL_HOLD_REMINDED 0x02
#define JOURNAL_STRING_NULL 0xffff /* length prefix of a NULL string */

enum journal_damage {
        JOURNAL_DAMAGE_NONE,
        JOURNAL_DAMAGE_TAIL, /* torn or zeroed end: safe to cut at bad_offset */
        JOURNAL_DAMAGE_MIDDLE, /* damage with valid data after it, or not a journal */
};

struct journal_scan {
        uint64_t size; /* bytes looked at */
        uint64_t end; /* end of the last whole valid record (or header) */
        uint32_t version; /* from the file header; JOURNAL_VERSION when it is torn */
        uint64_t first_seq; /* from the file header; 1 when it is torn */
        uint64_t next_seq; /* seq the next appended record gets */
        uint64_t n_records;
        enum journal_damage damage;
        uint64_t bad_offset; /* when damage != NONE */
};

/* Walks a journal held in memory exactly as journal_open() walks a file,
 * visiting every whole valid record before the first damage.  Returns 0 with
 * *ret filled (damage classified, nothing else to do), -EPROTONOSUPPORT for a
 * journal of a version it does not read (neither 1 nor 2), or visit's
 * negative return. */
int journal_scan_buffer(const uint8_t *data, size_t size, journal_visit_t visit, void *userdata,
                        struct journal_scan *ret);

/* Encodes one record with the given seq into buf (JOURNAL_RECORD_MAX bytes).
 * Returns the record's length, -EINVAL for a missing field or value out of
 * range, or -E2BIG for a string longer than JOURNAL_STRING_MAX. */
int journal_record_encode(const struct journal_record *r, uint64_t seq, uint8_t *buf);

/* Writes the 32-byte file header (of JOURNAL_VERSION) for a journal whose
 * first record is first_seq into buf. */
void journal_header_encode(uint64_t first_seq, uint8_t buf[JOURNAL_FILE_HEADER_SIZE]);
