/* log.h: the daemon's log lines: one per decision, per outcome and per
 * error.  Each kind of event has a fixed journald MESSAGE_ID (generated once
 * with `systemd-id128 new`; systemd/approvald.catalog explains each), and
 * carries the order's fields (ORDER_ID, DECISION...) as structured journal
 * fields.  Text that comes from an order is escaped before it is written, so
 * a newline or a control character in it can never start a forged line. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

/* The MESSAGE_IDs, as 32 hex digits.  Never change a published one: the
 * catalog and sellers' journalctl filters depend on them. */
#define LOG_MID_DECISION "d247f2cd64ce466698b1663ca6d4ff56" /* an order was decided */
#define LOG_MID_OUTCOME "0bee1c16bfee4ac68a4c2c99a3ab6815" /* approve/reject call done */
#define LOG_MID_CONFLICT "a7a3bd8fd6bd4e08a47e3648af04012a" /* someone else decided first */
#define LOG_MID_LINK_REFUSED "8708db7ed9434e74b061093f66f4c47c" /* link off base_url's origin */
#define LOG_MID_API_ERROR "500af41375ee49d1920dc549e1f5326e" /* a request failed */
#define LOG_MID_RELOAD "fd58764f68224149a7850a628c116ee0" /* rules reloaded (or refused) */
#define LOG_MID_CONFIG "b4d0e6a2c91f4e7d8a3b5c6d7e8f9a01" /* rules refused at start */
#define LOG_MID_START "e70db3f9ab804aa0af812f9c2ed26a24" /* daemon ready */
#define LOG_MID_STOP "0e57475ecc7e4b22a8a834cd45728d33" /* daemon stopping */
#define LOG_MID_JOURNAL "e6ccf72257004deab4ee11975817a99b" /* journal recovered/damaged */
#define LOG_MID_CYCLE "8d5d5663ca1e412b85f7ed01d34c6c0b" /* one poll cycle finished */
#define LOG_MID_DECIDED_ELSEWHERE "6c2e8f1a9d4b4e3f8b7a1c5d2e9f0a36" /* hold decided elsewhere */
#define LOG_MID_SYNC "9a7d3c2b1e0f4a5b8c6d4e2f1a3b5c79" /* bootstrap or refresh of approvals */
#define LOG_MID_ORDER_PROBLEM "3f1c9a5e7b2d4c08a6e1d9b4f0c2e713" /* an order held for its data */
#define LOG_MID_MANUAL "4b8e2d6f1a3c4e5d9f7b0a2c6e8d1f35" /* a person decided an order */
#define LOG_MID_TIMEOUT "5e2132a87b8444a58738c3758877a534" /* holds.timeout decided (or not) */
#define LOG_MID_REMINDER "fdd74a66ffef49c2962a4bfc95226a4c" /* a hold waited holds.remind_after */

/* The structured fields of one event; NULL strings and negative numbers
 * are left out. */
struct log_fields {
        const char *order_id;
        const char *customer_id;
        const char *decision;
        const char *rule;
        const char *reason;
        const char *amount; /* formatted "1234.50" */
        const char *currency;
        const char *outcome; /* final status after a call ("Approved") */
        const char *mode; /* "dry-run", or NULL when enforcing */
        int http_status; /* 0: none */
        const char *api_error; /* the API's error code (api_response.api_error) */
};

enum log_target {
        LOG_TARGET_AUTO, /* decided by log_open() from the environment */
        LOG_TARGET_STDERR, /* plain lines only */
        LOG_TARGET_JOURNAL, /* structured entries only (stderr is the journal) */
        LOG_TARGET_BOTH, /* structured entries and plain lines */
};

/* Chooses where lines go.  With LOG_TARGET_AUTO: when $JOURNAL_STREAM names
 * stderr's device and inode, stderr is the journal and only structured
 * entries are sent; otherwise plain lines go to stderr, and structured
 * entries also go to journald when its socket exists
 * (/run/systemd/journal/socket), so that `journalctl ORDER_ID=...` works for
 * a daemon started by hand too.  Never fails. */
void log_open(enum log_target target);

/* The target log_open() chose (never LOG_TARGET_AUTO). */
enum log_target log_get_target(void);

/* Drops lines below priority (LOG_DEBUG..LOG_ERR); default LOG_INFO. */
void log_set_max_priority(int priority);

/* Logs one event: message is printf-style; the %s arguments that come from
 * an order must go through log_escape() first (or be fields, which are
 * escaped here).  message_id may be NULL.  Returns -errno_value when given
 * a negative one (so `return log_event(...)` works), else 0. */
int log_event(int priority, const char *message_id, const struct log_fields *f, int errno_value,
              const char *format, ...) __attribute__((format(printf, 5, 6)));

#define log_error(...) log_event(LOG_ERR, NULL, NULL, 0, __VA_ARGS__)
#define log_warning(...) log_event(LOG_WARNING, NULL, NULL, 0, __VA_ARGS__)
#define log_notice(...) log_event(LOG_NOTICE, NULL, NULL, 0, __VA_ARGS__)
#define log_info(...) log_event(LOG_INFO, NULL, NULL, 0, __VA_ARGS__)
#define log_debug(...) log_event(LOG_DEBUG, NULL, NULL, 0, __VA_ARGS__)
#define log_error_errno(r, ...) log_event(LOG_ERR, NULL, NULL, (r), __VA_ARGS__)

#define LOG_ESCAPE_MAX 512

/* Copies s into buf (size bytes, at least 8) with every byte below 0x20,
 * 0x7f, '\\' and '"' written as a C escape (\n, \x1b...), and as \xNN
 * bytes: invalid UTF-8, the C1 controls (U+0080..U+009F), the line and
 * paragraph separators and the bidi marks, overrides and isolates; a
 * result longer than the buffer is cut at a character boundary and ends
 * in "...".  NULL becomes "(null)".  Returns buf. */
char *log_escape(const char *s, char *buf, size_t size);

/* Copies at most max_bytes of s into a new string, cut at a UTF-8
 * character boundary, with each byte that is not part of valid UTF-8
 * replaced by '?' (the result is always valid UTF-8, for a reject reason).
 * Returns NULL on allocation failure. */
char *utf8_truncate(const char *s, size_t max_bytes);
