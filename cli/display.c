/*
 * display.c - one-line text and valid JSON for any bytes (display.h).
 */
#include "display.h"
#include "../verify/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define RING 8
#define SLOT_BYTES 16384

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
