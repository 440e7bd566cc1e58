/* fuzz-list-file.c: a list file's text through config_list_parse(), then
 * indexed for each kind of condition that reads lists, as config_load()
 * does.  Entries come out trimmed and never empty, and every entry must
 * then match itself as a customer id (exact) and as a country (ignoring
 * case); product globs are built and tried but need not match themselves. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "matcher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_kind(const struct list *l, enum cond_kind kind)
{
        struct values v = { .list = l };

        if (values_index_build(&v, kind) < 0)
                return; /* out of memory: nothing to check */
        for (size_t i = 0; i < l->n_entries; i++)
                if (kind != COND_PRODUCT && !values_match(&v, l->entries[i]))
                        abort();
        (void)values_match(&v, "CUS-1");
        (void)values_match(&v, NULL);
        values_index_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct list l = { .name = (char *)"fuzz" };
        int r = config_list_parse((const char *)data, size, &l);

        if (r == -EINVAL && !memchr(data, 0, size))
                abort(); /* refused only for a NUL byte */
        for (size_t i = 0; r >= 0 && i < l.n_entries; i++) {
                const char *e = l.entries[i];
                size_t n = strlen(e);

                /* Entries are trimmed, never empty, never span lines. */
                if (n == 0 || strchr(" \t\r", e[0]) || strchr(" \t\r", e[n - 1]) || strchr(e, '\n'))
                        abort();
        }
        if (r >= 0) {
                check_kind(&l, COND_CUSTOMER);
                check_kind(&l, COND_COUNTRY);
                check_kind(&l, COND_PRODUCT);
        }
        for (size_t i = 0; i < l.n_entries; i++)
                free(l.entries[i]);
        free(l.entries);
        return 0;
}
