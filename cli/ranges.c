/*
 * ranges.c - reading warm's --ranges file (see ranges.h).
 */
#include "ranges.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int range_cmp(const void *a, const void *b)
{
	const struct pipe_range *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int parse_number(const char *s, uint64_t *v)
{
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		errno = 0;
		*v = strtoull(s, &end, 16);
		return *end || errno ? -EINVAL : 0;
	}
	return parse_size(s, v);
}

/*
 * Open a ranges file for reading: a FIFO without a writer must not hang
 * the open (it then reads as empty), a directory is refused.
 */
static FILE *open_ranges(const char *path)
{
	struct stat st;
	FILE *f;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		cli_error("warm: cannot read ranges '%s': %s", path,
			  strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		cli_error("warm: cannot read ranges '%s': it is a directory",
			  path);
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, "r");
	if (!f) {
		cli_error("warm: cannot read ranges '%s': %s", path,
			  strerror(errno));
		close(fd);
	}
	return f;
}

int ranges_read(FILE *f, const char *path, uint64_t device_size,
		struct pipe_range **out, size_t *n)
{
	struct pipe_range *v = NULL;
	size_t cap = 0, k = 0;
	/* Words as long as a line: %s never splits one word in two. */
	char line[RANGES_MAX_LINE + 2], a[RANGES_MAX_LINE + 1];
	char b[RANGES_MAX_LINE + 1], extra[8];
	unsigned no = 0;
	int ret = 0;

	/* Bounded lines: /dev/zero as a ranges file is one endless line. */
	while (fgets(line, sizeof(line), f)) {
		uint64_t off, len;
		int fields;

		no++;
		if (!strchr(line, '\n') && !feof(f)) {
			cli_error("warm: %s:%u: a line longer than %u bytes",
				  path, no, RANGES_MAX_LINE);
			ret = -1;
			break;
		}
		line[strcspn(line, "#\n")] = '\0';
		fields = sscanf(line, "%255s %255s %7s", a, b, extra);
		if (fields <= 0)
			continue;
		if (fields != 2 || parse_number(a, &off) < 0 ||
		    parse_number(b, &len) < 0 || !len) {
			cli_error("warm: %s:%u: expected 'OFFSET LENGTH' (bytes, "
				  "length > 0)", path, no);
			ret = -1;
			break;
		}
		if (off > device_size || len > device_size - off) {
			cli_error("warm: %s:%u: range %llu+%llu is beyond the end "
				  "of the device (%llu bytes)", path, no,
				  (unsigned long long)off,
				  (unsigned long long)len,
				  (unsigned long long)device_size);
			ret = -1;
			break;
		}
		if (k == cap) {
			struct pipe_range *nv;

			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				cli_error("out of memory");
				ret = -1;
				break;
			}
			v = nv;
		}
		v[k++] = (struct pipe_range){ off, len };
	}
	if (!ret && ferror(f)) {
		cli_error("warm: cannot read ranges '%s': %s", path,
			  strerror(EIO));
		ret = -1;
	}
	if (ret < 0) {
		free(v);
		return -1;
	}
	if (k)
		qsort(v, k, sizeof(*v), range_cmp);
	*n = 0;
	for (size_t i = 0; i < k; i++) {
		struct pipe_range *last = *n ? &v[*n - 1] : NULL;

		if (last && v[i].offset <= last->offset + last->length) {
			uint64_t end = v[i].offset + v[i].length;

			if (end > last->offset + last->length)
				last->length = end - last->offset;
		} else {
			v[(*n)++] = v[i];
		}
	}
	*out = v;
	return 0;
}

int ranges_load(const char *path, uint64_t device_size,
		struct pipe_range **out, size_t *n)
{
	FILE *f = open_ranges(path);
	int ret;

	if (!f)
		return -1;
	ret = ranges_read(f, path, device_size, out, n);
	fclose(f);
	return ret;
}
