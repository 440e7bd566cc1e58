/* money.h: exact amounts.  Every amount is an int64_t count of minor units
 * (cents: two decimals); floating point never takes part in a comparison. */
#pragma once

#include <stdint.h>

#define MONEY_BUF_SIZE 32
#define MONEY_MAX INT64_C(99999999999999) /* 999,999,999,999.99 */

/* Parses a decimal string "1234", "1234.5", "1234.50" (an optional leading
 * '-', at most two significant decimals: "1.500" is 150, no exponent, no
 * spaces) into minor units.  Returns 0, -EINVAL for bad syntax or a non-zero
 * third decimal, -ERANGE for |amount| > MONEY_MAX.  *ret written only on
 * success. */
int money_parse(const char *s, int64_t *ret);

/* Converts a JSON number (already a double) with at most two decimals into
 * minor units.  Returns 0, -EINVAL when it is not finite or has a third
 * significant decimal, -ERANGE past MONEY_MAX. */
int money_from_double(double d, int64_t *ret);

/* Formats minor units as "1234.50" into buf (MONEY_BUF_SIZE); returns buf. */
char *money_format(int64_t minor, char buf[static MONEY_BUF_SIZE]);
