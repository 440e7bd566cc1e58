/* timeutil.h: durations ("90s", "15m", "24h", "30d") and RFC 3339 times. */
#pragma once

#include <stdint.h>

#define TIMESTAMP_BUF_SIZE 32

/* Parses a duration: a positive decimal integer and one suffix s, m, h or
 * d.  Returns 0 and the length in seconds; -EINVAL for bad syntax (no
 * suffix, zero, sign, spaces), -ERANGE past 100 years. */
int duration_parse(const char *s, int64_t *ret_seconds);

#define DURATION_BUF_SIZE 24

/* Formats seconds as duration_parse() reads them, in the largest unit that
 * divides it exactly ("48h", "90s", "2d"); 0 or less gives "0s".  Returns
 * buf. */
char *duration_format(int64_t seconds, char buf[static DURATION_BUF_SIZE]);

/* Parses an RFC 3339 time ("2026-11-26T10:00:00Z", fractions of a second
 * and "+01:00" offsets accepted) into seconds since the epoch (UTC).
 * Returns 0 or -EINVAL. */
int timestamp_parse(const char *s, int64_t *ret);

/* Formats seconds since the epoch as "2026-11-26T10:00:00Z"; returns buf. */
char *timestamp_format(int64_t t, char buf[static TIMESTAMP_BUF_SIZE]);
