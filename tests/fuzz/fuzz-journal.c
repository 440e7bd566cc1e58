/* fuzz-journal.c: arbitrary bytes as a journal file (version 1 or 2, every
 * record type), through the same scanner journal_open() and journal_read()
 * use.  Checks that every record it accepts re-encodes to exactly its
 * bytes (so passes its type's check), that a version-1 file yields only
 * intents and outcomes, and that cutting a torn tail where the scanner
 * says leaves a clean journal with the same records.
 * Each input is scanned twice: as given, and with the CRCs of the header
 * and of every record its length fields chain to recomputed, so that
 * mutated payloads reach the decoder instead of stopping at the CRC. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/journal-internal.h"
#include "crc32c.h"

struct ctx {
        const uint8_t *data;
        size_t size;
        uint8_t *buf;
        uint64_t last_seq;
        uint32_t version; /* from the header, when it is whole */
};

static void check(int cond)
{
        if (!cond)
                abort();
}

static int visit(const struct journal_record *r, void *userdata)
{
        struct ctx *c = userdata;
        int len = journal_record_encode(r, r->seq, c->buf);

        check(len > 0);
        check(r->offset + (uint64_t)len <= c->size);
        check(memcmp(c->buf, c->data + r->offset, (size_t)len) == 0);
        check(c->last_seq == 0 || r->seq == c->last_seq + 1);
        check(c->version != 1 || r->type == JOURNAL_INTENT || r->type == JOURNAL_OUTCOME);
        c->last_seq = r->seq;
        return 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static void fix_crcs(uint8_t *d, size_t size)
{
        size_t off = JOURNAL_FILE_HEADER_SIZE;

        if (size < JOURNAL_FILE_HEADER_SIZE)
                return;
        put_le32(d + 28, crc32c(0, d, 28));
        while (size - off >= JOURNAL_RECORD_HEADER_SIZE) {
                uint32_t len = (uint32_t)d[off] | (uint32_t)d[off + 1] << 8 |
                               (uint32_t)d[off + 2] << 16 | (uint32_t)d[off + 3] << 24;

                if (len < JOURNAL_RECORD_HEADER_SIZE || len > size - off)
                        return;
                put_le32(d + off + 16,
                         crc32c(crc32c(0, d + off, 16), d + off + JOURNAL_RECORD_HEADER_SIZE,
                                len - JOURNAL_RECORD_HEADER_SIZE));
                off += len;
        }
}

static void one(const uint8_t *data, size_t size)
{
        struct ctx c = { data, size, malloc(JOURNAL_RECORD_MAX), 0,
                         size >= 12 ? (uint32_t)data[8] | (uint32_t)data[9] << 8 |
                                              (uint32_t)data[10] << 16 | (uint32_t)data[11] << 24
                                    : 0 };
        struct journal_scan sc, again;

        if (!c.buf)
                return;
        if (journal_scan_buffer(data, size, visit, &c, &sc) < 0)
                goto out;
        check(sc.end <= size);
        check(sc.next_seq - sc.first_seq == sc.n_records);
        check(sc.n_records == 0 || sc.version == c.version);
        if (sc.damage == JOURNAL_DAMAGE_NONE)
                check(sc.end == size);
        else
                check(sc.bad_offset == sc.end);
        if (sc.damage == JOURNAL_DAMAGE_TAIL && sc.bad_offset >= JOURNAL_FILE_HEADER_SIZE) {
                /* what recovery leaves behind */
                check(journal_scan_buffer(data, sc.bad_offset, NULL, NULL, &again) == 0);
                check(again.damage == JOURNAL_DAMAGE_NONE);
                check(again.n_records == sc.n_records);
        }
out:
        free(c.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t *fixed = malloc(size + 1);

        one(data, size);
        if (fixed) {
                if (size > 0)
                        memcpy(fixed, data, size);
                fix_crcs(fixed, size);
                one(fixed, size);
                free(fixed);
        }
        return 0;
}
