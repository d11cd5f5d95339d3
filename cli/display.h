/*
 * display.h - strings from the outside world (paths, namespaces read from
 * a device header, sources in a manifest) shown to people and programs.
 *
 * Text keeps one line per message whatever a path holds, and JSON is
 * always valid: a byte that is a control character (text only) or not
 * part of valid UTF-8 is written as the four characters \xHH. Strings
 * without such bytes are shown as they are.
 */
#ifndef SHADOWSYNC_DISPLAY_H
#define SHADOWSYNC_DISPLAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * disp() - s for a line of text: control characters and bytes that are
 * not UTF-8 escaped as \xHH. Returns s itself when nothing needs it,
 * else one of a few per-thread buffers (valid until 8 more calls on the
 * same thread). NULL gives "(null)".
 */
const char *disp(const char *s);

/*
 * json_str() - a JSON string of s: as it is when it is valid UTF-8
 * (JSON escapes control characters itself), else with the bytes that
 * are not UTF-8 as \xHH. Never NULL for a non-NULL s (NULL gives JSON
 * null).
 */
json_t *json_str(const char *s);

/* Is the n-byte s valid UTF-8 (no overlongs, surrogates, > U+10FFFF)? */
bool utf8_valid(const char *s, size_t n);

#endif
