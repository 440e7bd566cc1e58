/* dlist.h: intrusive doubly-linked lists, for queues that move elements
 * from one list to another in O(1) (the API client's requests, the
 * notification sender's items).  A list is any struct with `first` and
 * `last` pointers; an element any struct with `prev` and `next`.  The
 * macros evaluate their arguments more than once: pass plain names. */
#pragma once

#include <stddef.h>

/* Adds x at the end of l. */
#define DLIST_APPEND(l, x)                                                                         \
        do {                                                                                       \
                (x)->next = NULL;                                                                  \
                (x)->prev = (l)->last;                                                             \
                if ((l)->last)                                                                     \
                        (l)->last->next = (x);                                                     \
                else                                                                               \
                        (l)->first = (x);                                                          \
                (l)->last = (x);                                                                   \
        } while (0)

/* Adds x at the front of l. */
#define DLIST_PREPEND(l, x)                                                                        \
        do {                                                                                       \
                (x)->prev = NULL;                                                                  \
                (x)->next = (l)->first;                                                            \
                if ((l)->first)                                                                    \
                        (l)->first->prev = (x);                                                    \
                else                                                                               \
                        (l)->last = (x);                                                           \
                (l)->first = (x);                                                                  \
        } while (0)

/* Takes x, an element of l, out of it. */
#define DLIST_REMOVE(l, x)                                                                         \
        do {                                                                                       \
                if ((x)->prev)                                                                     \
                        (x)->prev->next = (x)->next;                                               \
                else                                                                               \
                        (l)->first = (x)->next;                                                    \
                if ((x)->next)                                                                     \
                        (x)->next->prev = (x)->prev;                                               \
                else                                                                               \
                        (l)->last = (x)->prev;                                                     \
                (x)->prev = (x)->next = NULL;                                                      \
        } while (0)
