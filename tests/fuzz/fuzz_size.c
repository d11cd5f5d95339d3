/*
 * fuzz_size.c - libFuzzer target: any bytes as a size or count argument
 * (--block-size, --memory, --io-size, --queue-depth, ...), through
 * parse_size and parse_uint, against a reference computed here in 128
 * bits from the README's rules: digits, then nothing, or K, M, G or T in
 * any case, alone or with iB (powers of 1024), or with a capital B
 * (powers of 1000, as dd); anything else is refused; a value past 2^64-1
 * is -ERANGE, never wrapped. Built by `make fuzz`; test_fuzz_corpus
 * replays tests/fuzz/corpus/size (FUZZ_REPLAY).
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/cli.h"

#define FUZZ_SIZE_ASSERT(c)                                                \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                           \
		}                                                          \
	} while (0)

typedef unsigned __int128 fuzz_u128;

/* The reference: 0 with *v, -EINVAL or -ERANGE. */
static int fuzz_size_ref(const char *s, fuzz_u128 *v)
{
	static const char units[] = "KMGT";
	const char *p = s, *u;
	fuzz_u128 n = 0, mult = 1, base = 1024;
	int big = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (fuzz_u128)(*p - '0');
		if (n > UINT64_MAX) {
			big = 1;
			n = (fuzz_u128)UINT64_MAX + 1;	/* stays past */
		}
	}
	if (*p) {
		u = strchr(units, toupper((unsigned char)*p));
		if (!u || !*u)
			return -EINVAL;
		if (!strcmp(p + 1, "B"))
			base = 1000;
		else if (p[1] && (strlen(p + 1) != 2 ||
				  tolower((unsigned char)p[1]) != 'i' ||
				  tolower((unsigned char)p[2]) != 'b'))
			return -EINVAL;
		for (long i = 0; i <= u - units; i++)
			mult *= base;
	}
	if (big || n * mult > UINT64_MAX)
		return -ERANGE;
	*v = n * mult;
	return 0;
}

static int fuzz_size_one(const uint8_t *data, size_t size)
{
	char s[80];
	uint64_t got = 0;
	fuzz_u128 want = 0;
	unsigned u = 0, min, max;
	int ret, ref;

	if (size < 2 || size > sizeof(s))
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (strlen(s) != size - 1)
		return 0;	/* an argv string has no NUL inside */
	ret = parse_size(s, &got);
	ref = fuzz_size_ref(s, &want);
	if (ref == -EINVAL)
		FUZZ_SIZE_ASSERT(ret == -EINVAL);
	else if (ref == -ERANGE)
		FUZZ_SIZE_ASSERT(ret == -ERANGE || ret == -EINVAL);
	else
		FUZZ_SIZE_ASSERT(ret == 0 && got == (uint64_t)want);

	/* parse_uint: digits only, within [min, max]. */
	min = data[0] & 15;
	max = data[0] & 16 ? 1024 : 4294967295u;
	ret = parse_uint(s, min, max, &u);
	if (ret == 0) {
		FUZZ_SIZE_ASSERT(ref == 0 && want >= min && want <= max &&
				 u == (unsigned)want);
		for (const char *p = s; *p; p++)
			FUZZ_SIZE_ASSERT(isdigit((unsigned char)*p));
	}
	return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_size_one(data, size);
}
#endif
