/* timeutil.c: duration and RFC 3339 parsing, with full error checks. */
#include "timeutil.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#define MAX_DURATION_S (INT64_C(100) * 366 * 86400)

int duration_parse(const char *s, int64_t *ret_seconds)
{
        int64_t v = 0, mult;
        const char *p = s;

        if (!s || !isdigit((unsigned char)*p))
                return -EINVAL;
        for (; isdigit((unsigned char)*p); p++) {
                if (v > MAX_DURATION_S)
                        return -ERANGE;
                v = v * 10 + (*p - '0');
        }
        switch (*p) {
        case 's':
                mult = 1;
                break;
        case 'm':
                mult = 60;
                break;
        case 'h':
                mult = 3600;
                break;
        case 'd':
                mult = 86400;
                break;
        default:
                return -EINVAL;
        }
        if (p[1] != '\0' || v == 0)
                return -EINVAL;
        if (v > MAX_DURATION_S / mult)
                return -ERANGE;
        *ret_seconds = v * mult;
        return 0;
}

char *duration_format(int64_t seconds, char buf[static DURATION_BUF_SIZE])
{
        static const struct {
                int64_t s;
                char unit;
        } units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };

        assert(buf);
        if (seconds <= 0) {
                snprintf(buf, DURATION_BUF_SIZE, "0s");
                return buf;
        }
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                if (seconds % units[i].s == 0) {
                        snprintf(buf, DURATION_BUF_SIZE, "%lld%c",
                                 (long long)(seconds / units[i].s), units[i].unit);
                        break;
                }
        return buf;
}

/* Reads exactly n digits at *p into *ret and advances *p. */
static bool digits(const char **p, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)(*p)[i]))
                        return false;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return true;
}

static bool expect(const char **p, const char *set)
{
        for (const char *c = set; *c; c++)
                if (**p == *c) {
                        (*p)++;
                        return true;
                }
        return false;
}

static int parse_offset(const char *p, int *ret_offset_s)
{
        int sign, oh, om;

        if (*p == 'Z' || *p == 'z') {
                *ret_offset_s = 0;
                return p[1] == '\0' ? 0 : -EINVAL;
        }
        if (*p != '+' && *p != '-')
                return -EINVAL;
        sign = *p == '-' ? -1 : 1;
        p++;
        if (!digits(&p, 2, &oh) || !expect(&p, ":") || !digits(&p, 2, &om) || *p != '\0')
                return -EINVAL;
        if (oh > 23 || om > 59)
                return -EINVAL;
        *ret_offset_s = sign * (oh * 3600 + om * 60);
        return 0;
}

static bool is_leap_year(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (the
 * well-known era arithmetic) for a valid date.  timegm() gave the same
 * answers but went through glibc's time-zone code and its lock: in
 * `approvald evaluate`, which reads one createdAt per order, it cost more
 * than the rule engine. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

int timestamp_parse(const char *s, int64_t *ret)
{
        static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        const char *p = s;
        int y, mo, d, h, mi, sec, off, r;

        if (!s)
                return -EINVAL;
        if (!digits(&p, 4, &y) || !expect(&p, "-") || !digits(&p, 2, &mo) || !expect(&p, "-") ||
            !digits(&p, 2, &d) || !expect(&p, "Tt ") || !digits(&p, 2, &h) || !expect(&p, ":") ||
            !digits(&p, 2, &mi) || !expect(&p, ":") || !digits(&p, 2, &sec))
                return -EINVAL;
        if (*p == '.') {
                p++;
                if (!isdigit((unsigned char)*p))
                        return -EINVAL;
                while (isdigit((unsigned char)*p))
                        p++;
        }
        r = parse_offset(p, &off);
        if (r < 0)
                return r;
        if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
                return -EINVAL;
        /* Unchecked, 29 February of a common year would become 1 March. */
        if (mo == 2 && d == 29 && !is_leap_year(y))
                return -EINVAL;
        *ret = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
        return 0;
}

char *timestamp_format(int64_t t, char buf[static TIMESTAMP_BUF_SIZE])
{
        time_t tt = (time_t)t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm) ||
            strftime(buf, TIMESTAMP_BUF_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, TIMESTAMP_BUF_SIZE, "@%lld", (long long)t);
        return buf;
}
