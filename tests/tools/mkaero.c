/*
 * mkaero.c - test helper: write an Aerospike-like device image from the
 * byte layout in DESIGN.md (formats 2, 3, 4 and odd cases), so tests can
 * make every cold-start situation on demand.
 *
 * usage: mkaero OUT --size SIZE [--format N] [--namespace NS]
 *        [--n-devices N] [--device-id N] [--random HEX] [--flags F,F|0xN]
 *        [--wbs BYTES] [--pristine BYTES] [--pmeta N] [--used N]
 *        [--used-wbs BYTES] [--skip N] [--seed N] [--zero | --garbage]
 *
 * The header region is written in full (8 MiB, zero past the struct, as
 * the server does); --used N write-blocks from 8 MiB on start with the
 * record magic (--skip N leaves N unused ones before them); the rest of
 * the file is a hole. Numbers: decimal, or with K/M suffixes for sizes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REGION (8u << 20)

struct spec {
	const char *out;
	uint64_t size;
	unsigned format;
	const char *ns;
	uint32_t n_devices, device_id, flags, wbs, pmeta;
	uint64_t random, pristine, used, used_wbs, skip, seed;
	int zero, garbage;
};

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end) {
		fprintf(stderr, "mkaero: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static uint32_t flag_bits(const char *s, unsigned format)
{
	/* Format 2 has its own bits: ENCRYPTED 1, CP 2, TRUSTED 4. */
	uint32_t v = 0;
	char buf[128], *tok, *save;

	if (s[0] == '0' && s[1] == 'x')
		return (uint32_t)strtoul(s, NULL, 16);
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "TRUSTED"))
			v |= format == 2 ? 4 : 0x01;
		else if (!strcmp(tok, "SINGLE_BIN"))
			v |= 0x02;
		else if (!strcmp(tok, "ENCRYPTED"))
			v |= format == 2 ? 1 : 0x04;
		else if (!strcmp(tok, "CP"))
			v |= format == 2 ? 2 : 0x08;
		else if (!strcmp(tok, "COMMIT_TO_DEVICE"))
			v |= 0x10;
		else if (strcmp(tok, "none")) {
			fprintf(stderr, "mkaero: unknown flag '%s'\n", tok);
			exit(2);
		}
	}
	return v;
}

static void put(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void header(const struct spec *s, unsigned char *h)
{
	uint64_t r = s->seed | 1;

	if (s->zero)
		return;
	if (s->garbage) {
		for (unsigned i = 0; i < 4096; i++)
			h[i] = (unsigned char)next_rand(&r);
		return;
	}
	if (s->format == 2) {
		put(h, 0x4349747275730707ull, 8);
		put(h + 8, s->random, 8);
		put(h + 16, s->wbs, 4);
		h[24] = 2;
		h[25] = (unsigned char)s->flags;
		put(h + 26, s->n_devices, 2);
		memcpy(h + 32, s->ns, strnlen(s->ns, 31));
		return;
	}
	put(h, 0x4349747275730322ull, 8);
	put(h + 8, s->format, 4);
	memcpy(h + 12, s->ns, strnlen(s->ns, 31));
	put(h + 44, s->n_devices, 4);
	put(h + 48, s->random, 8);
	put(h + 56, s->flags, 4);
	put(h + 60, s->wbs, 4);
	for (uint32_t i = 0; i < s->pmeta && i < 4096; i++)
		put(h + 4096 + 16 * i, 0x0100000000000001ull | ((uint64_t)i << 8), 8);
	put(h + 69632, s->device_id, 4);
	put(h + 69720, s->pristine, 8);
}

static int write_all(int fd, const void *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Used write-blocks: a record magic at offset 0, then some payload. */
static int data(const struct spec *s, int fd)
{
	unsigned char rec[4096];
	uint64_t r = s->seed * 2654435761u + 7;

	for (uint64_t k = 0; k < s->used; k++) {
		uint64_t off = REGION + (s->skip + k) * s->used_wbs;

		if (off + sizeof(rec) > s->size)
			break;
		for (size_t i = 0; i < sizeof(rec); i++)
			rec[i] = (unsigned char)next_rand(&r);
		put(rec, 0x037AF201u, 4);
		if (write_all(fd, rec, sizeof(rec), off) < 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct spec s = { .format = 4, .ns = "test", .n_devices = 1,
			  .random = 0x1234abcd5678ef01ull, .wbs = 8u << 20,
			  .seed = 1 };
	const char *flags = NULL;
	unsigned char *h;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: mkaero OUT --size SIZE [options]\n");
		return 2;
	}
	s.out = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--zero")) { s.zero = 1; continue; }
		if (!strcmp(o, "--garbage")) { s.garbage = 1; continue; }
		if (!v) {
			fprintf(stderr, "mkaero: %s needs a value\n", o);
			return 2;
		}
		i++;
		if (!strcmp(o, "--size")) s.size = num(v);
		else if (!strcmp(o, "--format")) s.format = (unsigned)num(v);
		else if (!strcmp(o, "--namespace")) s.ns = v;
		else if (!strcmp(o, "--n-devices")) s.n_devices = (uint32_t)num(v);
		else if (!strcmp(o, "--device-id")) s.device_id = (uint32_t)num(v);
		else if (!strcmp(o, "--random")) s.random = strtoull(v, NULL, 16);
		else if (!strcmp(o, "--flags")) flags = v;
		else if (!strcmp(o, "--wbs")) s.wbs = (uint32_t)num(v);
		else if (!strcmp(o, "--pristine")) s.pristine = num(v);
		else if (!strcmp(o, "--pmeta")) s.pmeta = (uint32_t)num(v);
		else if (!strcmp(o, "--used")) s.used = num(v);
		else if (!strcmp(o, "--used-wbs")) s.used_wbs = num(v);
		else if (!strcmp(o, "--skip")) s.skip = num(v);
		else if (!strcmp(o, "--seed")) s.seed = num(v);
		else {
			fprintf(stderr, "mkaero: unknown option %s\n", o);
			return 2;
		}
	}
	if (s.size < REGION) {
		fprintf(stderr, "mkaero: --size of at least 8M needed\n");
		return 2;
	}
	if (flags)
		s.flags = flag_bits(flags, s.format);
	if (!s.used_wbs)
		s.used_wbs = s.wbs ? s.wbs : 8u << 20;
	h = calloc(1, REGION);
	fd = open(s.out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (!h || fd < 0) {
		perror(s.out);
		return 1;
	}
	header(&s, h);
	if (write_all(fd, h, REGION, 0) < 0 || data(&s, fd) < 0 ||
	    ftruncate(fd, (off_t)s.size) < 0 || close(fd) < 0) {
		perror(s.out);
		return 1;
	}
	free(h);
	return 0;
}
