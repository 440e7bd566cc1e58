/* log.c: writes the daemon's events as plain stderr lines and/or
 * structured journald entries (see log.h for the rule that picks them). */
#include "log.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "utf8.h"
#include "util.h"

#define LOG_LINE_MAX 2048
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static enum log_target log_target = LOG_TARGET_STDERR;
static int log_max_priority = LOG_INFO;

static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        char want[64];
        struct stat st;
        int n;

        if (!e || !*e)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        n = snprintf(want, sizeof(want), "%llu:%llu", (unsigned long long)st.st_dev,
                     (unsigned long long)st.st_ino);
        if (n < 0 || (size_t)n >= sizeof(want))
                return false;
        return streq(e, want);
}

void log_open(enum log_target target)
{
        if (target != LOG_TARGET_AUTO) {
                log_target = target;
                return;
        }
        if (stderr_is_journal())
                log_target = LOG_TARGET_JOURNAL;
        else if (access(JOURNAL_SOCKET, W_OK) == 0)
                log_target = LOG_TARGET_BOTH;
        else
                log_target = LOG_TARGET_STDERR;
}

enum log_target log_get_target(void)
{
        return log_target;
}

void log_set_max_priority(int priority)
{
        log_max_priority = priority;
}

/* Valid characters that still must not reach a log line as they are: C0
 * and C1 controls (NEL ends a line for some viewers, CSI starts a terminal
 * escape), the line and paragraph separators, and the bidirectional
 * overrides and isolates that make a line read differently from its bytes. */
static bool char_is_unsafe(uint32_t c)
{
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200e || c == 0x200f ||
               (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* Writes the escaped form of one character into out (at least
 * ESCAPE_ONE_MAX bytes); *len is set to the bytes consumed from s.
 * Returns the bytes written. */
#define ESCAPE_ONE_MAX 16
static size_t escape_one(const unsigned char *s, size_t *len, char *out)
{
        static const char hex[] = "0123456789abcdef";
        uint32_t c = 0;
        size_t n = utf8_decode((const char *)s, &c);

        assert(n <= 4); /* a UTF-8 sequence: s holds that many bytes before its NUL */
        *len = n ? n : 1;
        switch (s[0]) {
        case '\n':
                memcpy(out, "\\n", 2);
                return 2;
        case '\r':
                memcpy(out, "\\r", 2);
                return 2;
        case '\t':
                memcpy(out, "\\t", 2);
                return 2;
        case '\\':
        case '"':
                out[0] = '\\';
                out[1] = (char)s[0];
                return 2;
        default:
                break;
        }
        if (n != 0 && !char_is_unsafe(c)) {
                memcpy(out, s, n);
                return n;
        }
        for (size_t i = 0; i < *len && s[i]; i++) { /* every byte of it as \xNN */
                out[4 * i] = '\\';
                out[4 * i + 1] = 'x';
                out[4 * i + 2] = hex[s[i] >> 4];
                out[4 * i + 3] = hex[s[i] & 0xf];
        }
        return 4 * *len;
}

char *log_escape(const char *s, char *buf, size_t size)
{
        const unsigned char *p = (const unsigned char *)(s ? s : "(null)");
        size_t o = 0;

        while (*p) {
                char tmp[ESCAPE_ONE_MAX] = "";
                size_t used, w = escape_one(p, &used, tmp);

                if (o + w + 4 > size) { /* room for "..." and the NUL */
                        memcpy(buf + o, "...", 3);
                        o += 3;
                        break;
                }
                memcpy(buf + o, tmp, w);
                o += w;
                p += used;
        }
        buf[o] = '\0';
        return buf;
}

char *utf8_truncate(const char *s, size_t max_bytes)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0, o = 0;
        char *r;

        /* the result is never longer than the input, nor than max_bytes */
        r = malloc(strlen(s) + 1);
        if (!r)
                return NULL;
        while (p[i]) {
                size_t n = utf8_decode((const char *)p + i, NULL);

                if (n == 0) { /* not UTF-8: a '?' stands for the byte */
                        if (o + 1 > max_bytes)
                                break;
                        r[o++] = '?';
                        i++;
                        continue;
                }
                if (o + n > max_bytes)
                        break;
                memcpy(r + o, p + i, n);
                o += n;
                i += n;
        }
        r[o] = '\0';
        return r;
}

static const char *priority_name(int priority)
{
        static const char *const names[] = { "emerg",   "alert",  "crit", "error",
                                             "warning", "notice", "info", "debug" };

        if (priority < 0 || priority > LOG_DEBUG)
                return "info";
        return names[priority];
}

/* Appends "NAME=value" (value escaped) to the iovec array. */
static void field_add(struct iovec *iov, size_t *n, char *store, size_t store_size,
                      const char *name, const char *value)
{
        char esc[LOG_ESCAPE_MAX];
        int k;

        if (!value)
                return;
        k = snprintf(store, store_size, "%s=%s", name, log_escape(value, esc, sizeof(esc)));
        if (k < 0)
                return;
        if ((size_t)k >= store_size)
                k = (int)store_size - 1;
        iov[*n].iov_base = store;
        iov[*n].iov_len = (size_t)k;
        (*n)++;
}

#define N_FIELDS 14 /* structured fields besides MESSAGE */
#define FIELD_SIZE (LOG_ESCAPE_MAX + 32)

static void journal_send(int priority, const char *message_id, const struct log_fields *f,
                         const char *message)
{
        static char store[N_FIELDS][FIELD_SIZE], msg[LOG_LINE_MAX + 16];
        struct iovec iov[N_FIELDS + 1];
        char prio[2] = { (char)('0' + (priority & 7)), 0 }, status[16];
        size_t n = 0;
        int k;

        k = snprintf(msg, sizeof(msg), "MESSAGE=%s", message);
        iov[n].iov_base = msg;
        iov[n++].iov_len = k < 0 ? 0 : ((size_t)k >= sizeof(msg) ? sizeof(msg) - 1 : (size_t)k);
        field_add(iov, &n, store[0], FIELD_SIZE, "PRIORITY", prio);
        field_add(iov, &n, store[1], FIELD_SIZE, "SYSLOG_IDENTIFIER", "approvald");
        field_add(iov, &n, store[2], FIELD_SIZE, "MESSAGE_ID", message_id);
        if (f) {
                field_add(iov, &n, store[3], FIELD_SIZE, "ORDER_ID", f->order_id);
                field_add(iov, &n, store[4], FIELD_SIZE, "CUSTOMER_ID", f->customer_id);
                field_add(iov, &n, store[5], FIELD_SIZE, "DECISION", f->decision);
                field_add(iov, &n, store[6], FIELD_SIZE, "RULE", f->rule);
                field_add(iov, &n, store[7], FIELD_SIZE, "REASON", f->reason);
                field_add(iov, &n, store[8], FIELD_SIZE, "AMOUNT", f->amount);
                field_add(iov, &n, store[9], FIELD_SIZE, "CURRENCY", f->currency);
                field_add(iov, &n, store[11], FIELD_SIZE, "OUTCOME", f->outcome);
                field_add(iov, &n, store[12], FIELD_SIZE, "MODE", f->mode);
                if (f->http_status > 0) {
                        snprintf(status, sizeof(status), "%d", f->http_status);
                        field_add(iov, &n, store[10], FIELD_SIZE, "HTTP_STATUS", status);
                }
                field_add(iov, &n, store[13], FIELD_SIZE, "API_ERROR", f->api_error);
        }
        (void)sd_journal_sendv(iov, (int)n);
}

int log_event(int priority, const char *message_id, const struct log_fields *f, int errno_value,
              const char *format, ...)
{
        char message[LOG_LINE_MAX];
        va_list ap;
        int k;

        if (priority > log_max_priority)
                return errno_value < 0 ? errno_value : 0;
        va_start(ap, format);
        k = vsnprintf(message, sizeof(message), format, ap);
        va_end(ap);
        if (k < 0)
                message[0] = '\0';
        if (errno_value < 0) {
                size_t len = strlen(message);

                snprintf(message + len, sizeof(message) - len, ": %s", strerror(-errno_value));
        }
        /* Callers escape what comes from outside; this is the last guard
         * against a line break starting a forged line. */
        for (char *p = message; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        if (log_target == LOG_TARGET_JOURNAL || log_target == LOG_TARGET_BOTH)
                journal_send(priority, message_id, f, message);
        if (log_target == LOG_TARGET_STDERR || log_target == LOG_TARGET_BOTH)
                fprintf(stderr, "approvald: %s: %s\n", priority_name(priority), message);
        return errno_value < 0 ? errno_value : 0;
}
