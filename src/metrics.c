/* metrics.c: the daemon's counters and their Prometheus text file (see
 * metrics.h).  The number of series is bounded whatever happens: rule
 * names by METRICS_RULES_MAX, HTTP statuses by METRICS_STATUSES_MAX, the
 * other labels by their enums.  Label values are escaped as the text
 * exposition format asks (backslash, double quote, newline), and a rule
 * name that is not valid UTF-8 has its stray bytes replaced by U+FFFD, so
 * that seller text can never break the file. */
#include "metrics.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strset.h"
#include "utf8.h"
#include "util.h"

#define RULE_DEFAULT "(default)"
#define RULE_OTHER "(other)"

struct rule_counts {
        char *name;
        uint64_t n[_ACTION_MAX][2]; /* [decision][dry_run] */
};

struct status_count {
        int status;
        uint64_t n;
};

struct metrics {
        struct rule_counts dflt, other;
        struct rule_counts *rules; /* in the order first seen */
        size_t n_rules;
        struct strset index; /* name (borrowed from rules[i]) -> i + 1 */
        struct status_count statuses[METRICS_STATUSES_MAX];
        size_t n_statuses;
        uint64_t calls_none, calls_other;
        uint64_t cycles;
        uint64_t cycle_usec;
        int64_t last_ok_s; /* 0: never */
        uint64_t holds_waiting, journal_bytes;
        bool notify_known; /* metrics_notifications() was called */
        uint64_t notify_sent, notify_failed, notify_dropped;
};

int metrics_new(struct metrics **ret)
{
        struct metrics *m;

        assert(ret);
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        strset_init(&m->index, false);
        *ret = m;
        return 0;
}

void metrics_free(struct metrics *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->n_rules; i++)
                free(m->rules[i].name);
        free(m->rules);
        strset_done(&m->index);
        free(m);
}

/* The counters of rule name: found, else added, else "(other)". */
static struct rule_counts *rule_find(struct metrics *m, const char *name)
{
        struct rule_counts *a;
        void *v;
        char *copy;

        if (strset_get(&m->index, name, &v))
                return &m->rules[(uintptr_t)v - 1];
        if (m->n_rules >= METRICS_RULES_MAX)
                return &m->other;
        if (!m->rules) {
                m->rules = calloc(METRICS_RULES_MAX, sizeof(*m->rules));
                if (!m->rules)
                        return &m->other;
        }
        copy = strdup(name);
        if (!copy)
                return &m->other;
        a = &m->rules[m->n_rules];
        a->name = copy;
        if (strset_put(&m->index, copy, (void *)(uintptr_t)(m->n_rules + 1)) < 0) {
                free(copy);
                a->name = NULL;
                return &m->other;
        }
        m->n_rules++;
        return a;
}

void metrics_count_decision(struct metrics *m, const char *rule, enum action decision, bool dry_run)
{
        struct rule_counts *r;

        assert(m);
        assert(decision >= 0 && decision < _ACTION_MAX);
        r = rule ? rule_find(m, rule) : &m->dflt;
        r->n[decision][dry_run]++;
}

void metrics_count_call(struct metrics *m, int http_status)
{
        assert(m);
        if (http_status == 0) {
                m->calls_none++;
                return;
        }
        for (size_t i = 0; i < m->n_statuses; i++)
                if (m->statuses[i].status == http_status) {
                        m->statuses[i].n++;
                        return;
                }
        if (http_status < 100 || http_status > 599 || m->n_statuses >= METRICS_STATUSES_MAX) {
                m->calls_other++;
                return;
        }
        m->statuses[m->n_statuses++] = (struct status_count){ .status = http_status, .n = 1 };
}

void metrics_cycle_done(struct metrics *m, uint64_t duration_usec, bool listing_ok, int64_t now_s,
                        size_t holds_waiting, uint64_t journal_bytes)
{
        assert(m);
        m->cycles++;
        m->cycle_usec = duration_usec;
        if (listing_ok)
                m->last_ok_s = now_s;
        m->holds_waiting = holds_waiting;
        m->journal_bytes = journal_bytes;
}

/* ---- the text format ---- */

/* A label value between double quotes: '\\', '"' and newline escaped, as
 * the format defines; every byte that is not part of valid UTF-8 written
 * as U+FFFD, since the format is UTF-8. */
static void print_label_value(FILE *f, const char *s)
{
        while (*s) {
                size_t n = utf8_decode(s, NULL);

                if (n == 0) {
                        fputs("\xef\xbf\xbd", f);
                        s++;
                } else if (*s == '\\' || *s == '"') {
                        fputc('\\', f);
                        fputc(*s++, f);
                } else if (*s == '\n') {
                        fputs("\\n", f);
                        s++;
                } else {
                        fwrite(s, 1, n, f);
                        s += n;
                }
        }
}

static void print_family(FILE *f, const char *name, const char *type, const char *help)
{
        fprintf(f, "# HELP approvald_%s %s\n# TYPE approvald_%s %s\n", name, help, name, type);
}

static void print_rule(FILE *f, const struct rule_counts *r, const char *name)
{
        static const char *const decisions[_ACTION_MAX] = { "approve", "reject", "hold" };
        static const char *const modes[2] = { "enforce", "dry-run" };

        for (size_t d = 0; d < _ACTION_MAX; d++)
                for (size_t k = 0; k < 2; k++) {
                        fputs("approvald_decisions_total{rule=\"", f);
                        print_label_value(f, name);
                        fprintf(f, "\",decision=\"%s\",mode=\"%s\"} %" PRIu64 "\n", decisions[d],
                                modes[k], r->n[d][k]);
                }
}

static bool rule_used(const struct rule_counts *r)
{
        for (size_t d = 0; d < _ACTION_MAX; d++)
                if (r->n[d][0] || r->n[d][1])
                        return true;
        return false;
}

static void print_decisions(FILE *f, const struct metrics *m)
{
        print_family(f, "decisions_total", "counter",
                     "Orders decided, by the deciding rule (\"" RULE_DEFAULT "\": the default; "
                     "\"" RULE_OTHER "\": rules past the first " STRINGIFY(
                             METRICS_RULES_MAX) " names), decision and mode.");
        print_rule(f, &m->dflt, RULE_DEFAULT);
        for (size_t i = 0; i < m->n_rules; i++)
                print_rule(f, &m->rules[i], m->rules[i].name);
        if (rule_used(&m->other))
                print_rule(f, &m->other, RULE_OTHER);
}

static void print_calls(FILE *f, const struct metrics *m)
{
        if (m->n_statuses == 0 && m->calls_none == 0 && m->calls_other == 0)
                return;
        print_family(f, "calls_total", "counter",
                     "Requests to the AppXite API, by HTTP status (\"none\": no answer; "
                     "\"other\": statuses past the first " STRINGIFY(
                             METRICS_STATUSES_MAX) " seen, or outside 100-599).");
        if (m->calls_none)
                fprintf(f, "approvald_calls_total{status=\"none\"} %" PRIu64 "\n", m->calls_none);
        for (size_t i = 0; i < m->n_statuses; i++)
                fprintf(f, "approvald_calls_total{status=\"%d\"} %" PRIu64 "\n",
                        m->statuses[i].status, m->statuses[i].n);
        if (m->calls_other)
                fprintf(f, "approvald_calls_total{status=\"other\"} %" PRIu64 "\n", m->calls_other);
}

static void print_cycles(FILE *f, const struct metrics *m)
{
        print_family(f, "cycles_total", "counter", "Poll cycles finished.");
        fprintf(f, "approvald_cycles_total %" PRIu64 "\n", m->cycles);
        print_family(f, "last_successful_poll_timestamp_seconds", "gauge",
                     "When the listing of pending orders last succeeded, in seconds since the "
                     "epoch (0: not yet).");
        fprintf(f, "approvald_last_successful_poll_timestamp_seconds %" PRId64 "\n", m->last_ok_s);
        if (m->cycles == 0)
                return; /* the rest is not known before a cycle has ended */
        print_family(f, "cycle_duration_seconds", "gauge", "How long the last poll cycle took.");
        fprintf(f, "approvald_cycle_duration_seconds %" PRIu64 ".%06" PRIu64 "\n",
                m->cycle_usec / 1000000, m->cycle_usec % 1000000);
        print_family(f, "holds_waiting", "gauge",
                     "Orders held for a person, still pending at the end of the last cycle.");
        fprintf(f, "approvald_holds_waiting %" PRIu64 "\n", m->holds_waiting);
        print_family(f, "journal_bytes", "gauge", "Size of the decision journal in bytes.");
        fprintf(f, "approvald_journal_bytes %" PRIu64 "\n", m->journal_bytes);
}

void metrics_notifications(struct metrics *m, uint64_t sent, uint64_t failed, uint64_t dropped)
{
        assert(m);
        m->notify_known = true;
        m->notify_sent = sent;
        m->notify_failed = failed;
        m->notify_dropped = dropped;
}

static void print_notifications(FILE *f, const struct metrics *m)
{
        if (!m->notify_known)
                return;
        print_family(f, "notifications_total", "counter",
                     "Notifications to the notify targets, by outcome (\"failed\": given up "
                     "after its attempts; \"dropped\": the queue was full, or left at a stop).");
        fprintf(f, "approvald_notifications_total{outcome=\"sent\"} %" PRIu64 "\n", m->notify_sent);
        fprintf(f, "approvald_notifications_total{outcome=\"failed\"} %" PRIu64 "\n",
                m->notify_failed);
        fprintf(f, "approvald_notifications_total{outcome=\"dropped\"} %" PRIu64 "\n",
                m->notify_dropped);
}

int metrics_print(const struct metrics *m, FILE *f)
{
        assert(m);
        assert(f);
        print_decisions(f, m);
        print_calls(f, m);
        print_cycles(f, m);
        print_notifications(f, m);
        return ferror(f) ? -EIO : 0;
}

/* ---- the file ---- */

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

/* Writes text into tmp (refusing a symbolic link in its place), readable
 * by all, syncs it and renames it to path.  Removes tmp again on failure
 * once it was opened; what it could not open, it leaves alone. */
static int write_rename(const char *tmp, const char *path, const char *text, size_t size)
{
        _cleanup_close_ int fd = -1;
        int r, k;

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        r = fchmod(fd, 0644) < 0 ? -errno : 0; /* whatever the umask: node_exporter reads it */
        if (r >= 0)
                r = write_all(fd, text, size);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        k = fd;
        fd = -1;
        if (close(k) < 0 && r >= 0)
                r = -errno;
        /* no fsync of the folder: a file lost in a crash is rewritten after the next cycle */
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void)unlink(tmp);
        return r;
}

int metrics_write(const struct metrics *m, const char *path)
{
        _cleanup_free_ char *text = NULL, *tmp = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        assert(m);
        assert(path);
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        r = metrics_print(m, f);
        if (fclose(f) != 0 || r < 0)
                return -ENOMEM;
        if (asprintf(&tmp, "%s.tmp", path) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        return write_rename(tmp, path, text, size);
}
