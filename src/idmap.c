/* idmap.c: open-addressing string hash map (see idmap.h).  The keys are
 * packed one after another in chunks the map owns, not allocated one by
 * one: an order id of a dozen bytes would otherwise cost a 32-byte
 * allocation, which at 100,000 orders and two maps is most of the
 * daemon's memory per order.  A removed key's bytes stay until the map is
 * cleared or freed. */
#include "idmap.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define TOMBSTONE ((char *)&tombstone_marker)
static const char tombstone_marker = 0;

struct slot {
        char *key; /* NULL: empty; TOMBSTONE: removed */
        void *value;
};

#define KEY_CHUNK_SIZE (64 * 1024)

struct key_chunk {
        struct key_chunk *next;
        size_t size, used;
        char data[];
};

struct idmap {
        struct slot *slots;
        struct key_chunk *chunks; /* the newest first */
        size_t n_slots; /* power of two */
        size_t n_used; /* live entries */
        size_t n_filled; /* live entries and tombstones */
        idmap_free_t free_value;
};

int idmap_new(struct idmap **ret, idmap_free_t free_value)
{
        struct idmap *m = calloc(1, sizeof(*m));

        if (!m)
                return -ENOMEM;
        m->n_slots = 64;
        m->slots = calloc(m->n_slots, sizeof(struct slot));
        if (!m->slots) {
                free(m);
                return -ENOMEM;
        }
        m->free_value = free_value;
        *ret = m;
        return 0;
}

static void slot_clear(struct idmap *m, struct slot *s)
{
        if (m->free_value)
                m->free_value(s->value);
}

/* A copy of key in the newest chunk (a new one when it is full), or NULL. */
static char *key_copy(struct idmap *m, const char *key)
{
        size_t len = strlen(key) + 1;
        struct key_chunk *c = m->chunks;
        char *k;

        if (!c || c->size - c->used < len) {
                size_t size = len > KEY_CHUNK_SIZE ? len : KEY_CHUNK_SIZE;

                c = malloc(sizeof(*c) + size);
                if (!c)
                        return NULL;
                *c = (struct key_chunk){ .next = m->chunks, .size = size };
                m->chunks = c;
        }
        k = c->data + c->used;
        memcpy(k, key, len);
        c->used += len;
        return k;
}

static void chunks_free(struct idmap *m)
{
        while (m->chunks) {
                struct key_chunk *next = m->chunks->next;

                free(m->chunks);
                m->chunks = next;
        }
}

void idmap_clear(struct idmap *m)
{
        for (size_t i = 0; i < m->n_slots; i++)
                if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
                        slot_clear(m, &m->slots[i]);
        memset(m->slots, 0, m->n_slots * sizeof(struct slot));
        m->n_used = m->n_filled = 0;
        chunks_free(m);
}

void idmap_free(struct idmap *m)
{
        if (!m)
                return;
        idmap_clear(m);
        free(m->slots);
        free(m);
}

/* The slot holding key, or NULL. */
static struct slot *find(const struct idmap *m, const char *key)
{
        size_t mask = m->n_slots - 1, i = string_hash(key, false) & mask;

        for (;; i = (i + 1) & mask) {
                struct slot *s = &m->slots[i];

                if (!s->key)
                        return NULL;
                if (s->key != TOMBSTONE && streq(s->key, key))
                        return s;
        }
}

void *idmap_get(const struct idmap *m, const char *key)
{
        struct slot *s = find(m, key);

        return s ? s->value : NULL;
}

static void insert_slot(struct slot *slots, size_t n_slots, char *key, void *value)
{
        size_t mask = n_slots - 1, i = string_hash(key, false) & mask;

        while (slots[i].key && slots[i].key != TOMBSTONE)
                i = (i + 1) & mask;
        slots[i].key = key;
        slots[i].value = value;
}

static int grow(struct idmap *m)
{
        size_t n = m->n_used * 4 > m->n_slots ? m->n_slots * 2 : m->n_slots;
        struct slot *slots = calloc(n, sizeof(struct slot));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_slots; i++)
                if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
                        insert_slot(slots, n, m->slots[i].key, m->slots[i].value);
        free(m->slots);
        m->slots = slots;
        m->n_slots = n;
        m->n_filled = m->n_used;
        return 0;
}

int idmap_put(struct idmap *m, const char *key, void *value)
{
        char *k;
        int r;

        if (find(m, key))
                return -EEXIST;
        if ((m->n_filled + 1) * 4 > m->n_slots * 3) { /* keep the load under 3/4 */
                r = grow(m);
                if (r < 0)
                        return r;
        }
        k = key_copy(m, key);
        if (!k)
                return -ENOMEM;
        size_t mask = m->n_slots - 1, i = string_hash(key, false) & mask;
        while (m->slots[i].key && m->slots[i].key != TOMBSTONE)
                i = (i + 1) & mask;
        if (!m->slots[i].key)
                m->n_filled++;
        m->slots[i].key = k;
        m->slots[i].value = value;
        m->n_used++;
        return 0;
}

int idmap_set(struct idmap *m, const char *key, void *value)
{
        struct slot *s;

        assert(m);
        assert(key);
        assert(value);
        s = find(m, key);
        if (!s)
                return idmap_put(m, key, value);
        if (m->free_value && s->value != value)
                m->free_value(s->value);
        s->value = value;
        return 0;
}

bool idmap_remove(struct idmap *m, const char *key)
{
        struct slot *s = find(m, key);

        if (!s)
                return false;
        slot_clear(m, s);
        s->key = TOMBSTONE;
        s->value = NULL;
        m->n_used--;
        return true;
}

size_t idmap_size(const struct idmap *m)
{
        return m->n_used;
}

bool idmap_next(const struct idmap *m, size_t *i, const char **ret_key, void **ret_value)
{
        for (; *i < m->n_slots; (*i)++) {
                struct slot *s = &m->slots[*i];

                if (s->key && s->key != TOMBSTONE) {
                        if (ret_key)
                                *ret_key = s->key;
                        if (ret_value)
                                *ret_value = s->value;
                        (*i)++;
                        return true;
                }
        }
        return false;
}
