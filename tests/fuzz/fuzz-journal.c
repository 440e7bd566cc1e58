/* fuzz-journal.c: arbitrary bytes as a journal file, through the same
 * scanner journal_open() and journal_read() use.  Checks that every record
 * it accepts re-encodes to exactly its bytes, and that cutting a torn tail
 * where the scanner says leaves a clean journal with the same records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/journal-internal.h"

struct ctx {
        const uint8_t *data;
        size_t size;
        uint8_t *buf;
        uint64_t last_seq;
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
        c->last_seq = r->seq;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ctx c = { data, size, malloc(JOURNAL_RECORD_MAX), 0 };
        struct journal_scan sc, again;

        if (!c.buf)
                return 0;
        if (journal_scan_buffer(data, size, visit, &c, &sc) < 0)
                goto out;
        check(sc.end <= size);
        check(sc.next_seq - sc.first_seq == sc.n_records);
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
        return 0;
}
