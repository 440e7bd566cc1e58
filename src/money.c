/* money.c: decimal amounts to and from integer minor units. */
#include "money.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>

int money_parse(const char *s, int64_t *ret)
{
        bool neg = false;
        int64_t units = 0;
        int decimals = -1, digits = 0;

        if (!s)
                return -EINVAL;
        if (*s == '-') {
                neg = true;
                s++;
        }
        for (; *s; s++) {
                if (*s == '.') {
                        if (decimals >= 0 || digits == 0)
                                return -EINVAL;
                        decimals = 0;
                        continue;
                }
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                if (decimals >= 0 && ++decimals > 2) {
                        if (*s != '0') /* "1.500" is fine, "1.505" is not */
                                return -EINVAL;
                        continue;
                }
                digits++;
                if (units > MONEY_MAX / 10)
                        return -ERANGE;
                units = units * 10 + (*s - '0');
        }
        if (digits == 0 || decimals == 0)
                return -EINVAL;
        for (int i = decimals < 0 ? 0 : decimals; i < 2; i++)
                units *= 10;
        if (units > MONEY_MAX)
                return -ERANGE;
        *ret = neg ? -units : units;
        return 0;
}

int money_from_double(double d, int64_t *ret)
{
        double cents, r;

        if (!isfinite(d))
                return -EINVAL;
        cents = d * 100.0;
        if (fabs(cents) > (double)MONEY_MAX)
                return -ERANGE;
        r = nearbyint(cents);
        /* A two-decimal value lands within float noise of an integer; a
         * third decimal (1.005) lands at least 0.1 away. */
        if (fabs(cents - r) > 0.01)
                return -EINVAL;
        *ret = (int64_t)r;
        return 0;
}

char *money_format(int64_t minor, char buf[static MONEY_BUF_SIZE])
{
        uint64_t abs = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;

        snprintf(buf, MONEY_BUF_SIZE, "%s%llu.%02llu", minor < 0 ? "-" : "",
                 (unsigned long long)(abs / 100), (unsigned long long)(abs % 100));
        return buf;
}
