/* utf8.c: strict UTF-8 decoding (see utf8.h). */
#include "utf8.h"

size_t utf8_decode(const char *str, uint32_t *ret_c)
{
        const unsigned char *s = (const unsigned char *)str;
        unsigned char lo = 0x80, hi = 0xbf;
        uint32_t c;
        size_t n;

        if (s[0] < 0x80) {
                n = 1;
                c = s[0];
                goto out;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, c = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, c = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, c = s[0] & 0x07;
        else
                return 0;
        /* Only the second byte's range depends on the first: these bounds
         * rule out overlong forms, surrogates and code points past U+10FFFF. */
        if (s[0] == 0xe0)
                lo = 0xa0;
        else if (s[0] == 0xed)
                hi = 0x9f;
        else if (s[0] == 0xf0)
                lo = 0x90;
        else if (s[0] == 0xf4)
                hi = 0x8f;
        for (size_t i = 1; i < n; i++) {
                if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
out:
        if (ret_c)
                *ret_c = c;
        return n;
}
