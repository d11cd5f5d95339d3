/*
 * utf8.h - telling valid UTF-8 from other bytes (device headers,
 * manifests and paths are bytes; reports and JSON want text).
 */
#ifndef SHADOWSYNC_UTF8_H
#define SHADOWSYNC_UTF8_H

#include <stddef.h>

/*
 * utf8_seq() - the length (1 to 4) of the valid UTF-8 sequence at s, n
 * bytes left (n > 0), or 0 when s does not start one: a stray or missing
 * continuation byte, an overlong form, a surrogate, a code point past
 * U+10FFFF.
 */
size_t utf8_seq(const unsigned char *s, size_t n);

/*
 * text_one_line() - s, in place, fit for a one-line message: every
 * control byte (below 0x20, and 0x7f) becomes '?'. Returns s.
 */
char *text_one_line(char *s);

#endif
