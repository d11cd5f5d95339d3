/*
 * display.c - one-line text and valid JSON for any bytes (display.h).
 */
#include "display.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define RING 8
#define SLOT_BYTES 16384

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);

		if (!k)
			return false;
		i += k;
	}
	return true;
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Escape s into out (len bytes); controls too when text. */
static void escape(const char *s, bool text, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;

	for (size_t i = 0; i < n && o + 5 < len;) {
		size_t k = utf8_seq(p + i, n - i);

		if (k && !(text && k == 1 && is_control(p[i]))) {
			if (o + k >= len)
				break;
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
			continue;
		}
		o += (size_t)snprintf(out + o, len - o, "\\x%02x", p[i]);
		i++;
	}
	out[o] = '\0';
}

static bool needs_escape(const char *s, bool text)
{
	size_t n = strlen(s);

	if (text)
		for (size_t i = 0; i < n; i++)
			if (is_control((unsigned char)s[i]))
				return true;
	return !utf8_valid(s, n);
}

const char *disp(const char *s)
{
	static _Thread_local char ring[RING][SLOT_BYTES];
	static _Thread_local unsigned next;
	char *out;

	if (!s)
		return "(null)";
	if (!needs_escape(s, true))
		return s;
	out = ring[next++ % RING];
	escape(s, true, out, SLOT_BYTES);
	return out;
}

json_t *json_str(const char *s)
{
	char buf[SLOT_BYTES];

	if (!s)
		return json_null();
	if (!needs_escape(s, false))
		return json_string(s);
	escape(s, false, buf, sizeof(buf));
	return json_string(buf);
}
