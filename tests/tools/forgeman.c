/*
 * forgeman - forge a shadowsync manifest for the tests: copy IN to OUT,
 * apply edits, then recompute the trailing XXH3-64 (the trailer is an
 * unkeyed checksum, anyone can recompute it), so only the edited field
 * is wrong.
 *
 *   forgeman IN OUT [EDIT...]
 *     set OFF LEN VALUE   write VALUE (decimal or 0x hex, up to 2^64-1)
 *                         as LEN bytes little-endian at OFF
 *     bytes OFF HEX       write raw bytes (hex digits) at OFF
 *     digests N           keep N digests: drop the last ones or append
 *                         zero ones (the trailer moves)
 *     keep-trailer        do not recompute the trailer
 * Exit 0, or 2 with a message.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 512u
#define TRAILER 8u

static void die(const char *what)
{
	fprintf(stderr, "forgeman: %s\n", what);
	exit(2);
}

static uint64_t number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		die("bad number");
	return v;
}

static unsigned char *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	size_t cap = 0, n;

	if (!f)
		die("cannot open input");
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			p = realloc(p, cap);
			if (!p)
				die("out of memory");
		}
		n = fread(p + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	fclose(f);
	return p;
}

int main(int argc, char **argv)
{
	unsigned char *p;
	size_t len, room;
	int retrail = 1;
	FILE *f;
	uint64_t h;

	if (argc < 3)
		die("usage: forgeman IN OUT [set OFF LEN VALUE | bytes OFF HEX | "
		    "digests N | keep-trailer]...");
	p = load(argv[1], &len);
	if (len < HEADER + TRAILER)
		die("input is shorter than a manifest");
	room = len;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "set") && i + 3 < argc) {
			uint64_t off = number(argv[i + 1]);
			uint64_t n = number(argv[i + 2]), v = number(argv[i + 3]);

			if (n > 8 || off > len || n > len - off)
				die("set: outside the file");
			for (uint64_t k = 0; k < n; k++)
				p[off + k] = (unsigned char)(v >> (8 * k));
			i += 3;
		} else if (!strcmp(argv[i], "bytes") && i + 2 < argc) {
			uint64_t off = number(argv[i + 1]);
			const char *hex = argv[i + 2];
			size_t n = strlen(hex) / 2;

			if (strlen(hex) % 2 || off > len || n > len - off)
				die("bytes: odd hex or outside the file");
			for (size_t k = 0; k < n; k++) {
				unsigned b;

				if (sscanf(hex + 2 * k, "%2x", &b) != 1)
					die("bytes: bad hex");
				p[off + k] = (unsigned char)b;
			}
			i += 2;
		} else if (!strcmp(argv[i], "digests") && i + 1 < argc) {
			uint64_t n = number(argv[i + 1]);
			size_t want;

			if (n > (SIZE_MAX - HEADER - TRAILER) / 16 ||
			    n > (1ull << 28))
				die("digests: too many");
			want = HEADER + 16 * (size_t)n + TRAILER;
			if (want > room) {
				p = realloc(p, want);
				if (!p)
					die("out of memory");
				room = want;
			}
			if (want > len)
				memset(p + len, 0, want - len);
			len = want;
			i += 1;
		} else if (!strcmp(argv[i], "keep-trailer")) {
			retrail = 0;
		} else {
			die("unknown edit (see the top of tests/tools/forgeman.c)");
		}
	}
	if (retrail) {
		h = XXH3_64bits(p, len - TRAILER);
		for (unsigned k = 0; k < TRAILER; k++)
			p[len - TRAILER + k] = (unsigned char)(h >> (8 * k));
	}
	f = fopen(argv[2], "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f))
		die("cannot write output");
	free(p);
	return 0;
}
