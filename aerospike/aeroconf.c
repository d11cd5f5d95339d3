/*
 * aeroconf.c - a tolerant reader of aerospike.conf's context structure:
 * lines of whitespace-separated tokens, '#' comments, contexts opened by
 * "NAME [ARG] {" and closed by "}", braces with or without spaces.
 */
#include "aeroconf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 16
#define MAX_TOKENS 16

enum ctx_kind { CTX_OTHER, CTX_NAMESPACE, CTX_DEVICE_ENGINE, CTX_SERVICE,
		CTX_MOD_LUA, CTX_SET };

struct ctx {
	enum ctx_kind kind;
	size_t set;		/* CTX_SET: its index in the namespace */
	char name[64];		/* for messages: "namespace ns1" */
	unsigned line;
};

struct parser {
	const char *path;
	unsigned line;
	struct aero_conf *c;
	struct ctx stack[MAX_DEPTH];
	unsigned depth;
	char *err;
	size_t errlen;
};

static int fail(struct parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%u: ", p->path, line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Split line into tokens; '{' and '}' are tokens of their own. */
static int tokenize(char *line, char **tok, int max)
{
	int n = 0;
	char *p = line;

	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (n == max)
			return -1;
		if (*p == '{' || *p == '}') {
			/* Keep the brace as a 1-char string: move it to its
			 * own slot by terminating what follows later. */
			tok[n++] = *p == '{' ? "{" : "}";
			*p++ = '\0';
			continue;
		}
		tok[n++] = p;
		while (*p && !isspace((unsigned char)*p) && *p != '{' &&
		       *p != '}')
			p++;
		if (*p == '{' || *p == '}')
			continue;	/* the brace is read next round */
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/*
 * Sizes as asd reads them (cf_str_atoi_u64, CE 4.0-8.1): decimal digits
 * and at most one suffix K, M, G, T or P in either case, powers of 1024.
 * asd takes no sign and lets an overflow wrap; we refuse both.
 * Returns 0, -EINVAL (not a size) or -ERANGE (does not fit in 64 bits).
 */
static int conf_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTP";
	const char *u;
	uint64_t v = 0, mult = 1;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (*s) {
		u = strchr(units, toupper((unsigned char)*s));
		if (!u || s[1])
			return -EINVAL;
		mult = 1ull << (10 * (u - units + 1));
	}
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static struct conf_namespace *current_ns(struct parser *p)
{
	return &p->c->ns[p->c->nns - 1];
}

static int add_namespace(struct parser *p, const char *name)
{
	struct conf_namespace *v;

	v = realloc(p->c->ns, (p->c->nns + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->c->ns = v;
	memset(&v[p->c->nns], 0, sizeof(*v));
	v[p->c->nns].name = strdup(name);
	v[p->c->nns].line = p->line;
	p->c->nns++;
	return v[p->c->nns - 1].name ? 0 : -ENOMEM;
}

static int add_device(struct parser *p, char **tok, int n)
{
	struct conf_namespace *ns = current_ns(p);
	struct conf_device *v, *d;

	if (n < 2 || n > 3)
		return fail(p, p->line, "expected '%s PATH [SHADOW-PATH]', got "
			    "%d path%s", tok[0], n - 1, n == 2 ? "" : "s");
	v = realloc(ns->dev, (ns->ndev + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ns->dev = v;
	d = &v[ns->ndev++];
	d->local = strdup(tok[1]);
	d->shadow = dup_or_null(n == 3 ? tok[2] : NULL);
	d->is_file = !strcmp(tok[0], "file");
	d->line = p->line;
	return d->local && (n < 3 || d->shadow) ? 0 : -ENOMEM;
}

/*
 * asd's bounds. filesize: 1M to 2T (AS_STORAGE_MAX_DEVICE_SIZE) up to
 * 7.0; from 7.1 the floor is 128M (AS_STORAGE_MIN_DEVICE_SIZE), which a
 * conf reader that does not know the server version cannot hold against
 * it. write-block-size: a power of two from 1K to 8M (MIN_/
 * MAX_WRITE_BLOCK_SIZE, 5.x-7.0; obsolete from 7.1).
 */
#define CONF_FILESIZE_MIN	(1ull << 20)
#define CONF_FILESIZE_MAX	(2ull << 40)
#define CONF_WBLOCK_MIN		(1ull << 10)
#define CONF_WBLOCK_MAX		(8ull << 20)

/* `filesize SIZE` or `write-block-size SIZE`: strictly, with asd's bounds. */
static int size_statement(struct parser *p, char **tok, int n)
{
	struct conf_namespace *ns = current_ns(p);
	bool wbs = !strcmp(tok[0], "write-block-size");
	const char *like = wbs ? "1M" : "128M";
	uint64_t v;
	int ret;

	if (n != 2)
		return fail(p, p->line, "%s: expected one size like %s, got %d "
			    "values", tok[0], like, n - 1);
	ret = conf_size(tok[1], &v);
	if (ret == -ERANGE)
		return fail(p, p->line, "%s '%s': expected a size like %s (this "
			    "one does not fit in 64 bits)", tok[0], tok[1], like);
	if (ret < 0)
		return fail(p, p->line, "%s '%s': expected a size like %s "
			    "(digits, then K, M, G, T or P for powers of 1024)",
			    tok[0], tok[1], like);
	if (wbs && (v < CONF_WBLOCK_MIN || v > CONF_WBLOCK_MAX || (v & (v - 1))))
		return fail(p, p->line, "%s '%s': expected a size like %s (a "
			    "power of two from 1K to 8M, as asd requires)",
			    tok[0], tok[1], like);
	if (!wbs && (v < CONF_FILESIZE_MIN || v > CONF_FILESIZE_MAX))
		return fail(p, p->line, "%s '%s': expected a size like %s (from "
			    "1M to 2T, as asd requires)", tok[0], tok[1], like);
	if (wbs)
		ns->write_block_size = (uint32_t)v;
	else
		ns->filesize = v;
	return 0;
}

/* A statement inside `storage-engine device { }`. */
static int device_statement(struct parser *p, char **tok, int n)
{
	if (!strcmp(tok[0], "device") || !strcmp(tok[0], "file"))
		return add_device(p, tok, n);
	if (!strcmp(tok[0], "filesize") || !strcmp(tok[0], "write-block-size"))
		return size_statement(p, tok, n);
	return 0;	/* every other setting: not ours to judge */
}

/* `set NAME {` in the current namespace: the index of its entry. */
static int add_set(struct parser *p, const char *name, size_t *index)
{
	struct conf_namespace *ns = current_ns(p);
	struct conf_set *v;

	for (size_t i = 0; i < ns->nsets; i++)
		if (!strcmp(ns->sets[i].name, name)) {
			*index = i;
			return 0;
		}
	v = realloc(ns->sets, (ns->nsets + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ns->sets = v;
	v[ns->nsets].name = strdup(name);
	v[ns->nsets].disable_eviction = false;
	if (!v[ns->nsets].name)
		return -ENOMEM;
	*index = ns->nsets++;
	return 0;
}

/*
 * A statement inside `set NAME { }`: disable-eviction, read as asd's
 * cfg_bool reads it (true/yes, false/no, any case; anything else stops
 * asd); the last one wins.
 */
static int set_statement(struct parser *p, char **tok, int n)
{
	struct conf_set *s = &current_ns(p)->sets[p->stack[p->depth - 1].set];

	if (strcmp(tok[0], "disable-eviction"))
		return 0;	/* every other setting: not ours to judge */
	if (n == 2 && (!strcasecmp(tok[1], "true") || !strcasecmp(tok[1], "yes")))
		s->disable_eviction = true;
	else if (n == 2 && (!strcasecmp(tok[1], "false") ||
			    !strcasecmp(tok[1], "no")))
		s->disable_eviction = false;
	else
		return fail(p, p->line, "expected 'disable-eviction true' or "
			    "'disable-eviction false'");
	return 0;
}

/* `NAME VALUE` once: a second one replaces the first, as in asd. */
static int one_value(struct parser *p, char **tok, int n, char **slot)
{
	char *v;

	if (n != 2)
		return fail(p, p->line, "expected '%s VALUE', got %d values",
			    tok[0], n - 1);
	v = strdup(tok[1]);
	if (!v)
		return -ENOMEM;
	free(*slot);
	*slot = v;
	return 0;
}

/* A statement inside top-level `service { }` or `mod-lua { }`. */
static int service_statement(struct parser *p, enum ctx_kind kind,
			     char **tok, int n)
{
	struct conf_service *s = &p->c->service;

	if (kind == CTX_MOD_LUA)
		return strcmp(tok[0], "user-path") ? 0
			: one_value(p, tok, n, &s->lua_user_path);
	if (!strcmp(tok[0], "work-directory"))
		return one_value(p, tok, n, &s->work_directory);
	if (!strcmp(tok[0], "pidfile"))
		return one_value(p, tok, n, &s->pidfile);
	if (!strcmp(tok[0], "user"))
		return one_value(p, tok, n, &s->user);
	if (!strcmp(tok[0], "group"))
		return one_value(p, tok, n, &s->group);
	if (!strcmp(tok[0], "os-group-perms")) {
		if (n != 2 || (strcmp(tok[1], "true") && strcmp(tok[1], "false")))
			return fail(p, p->line, "expected 'os-group-perms true' "
				    "or 'os-group-perms false'");
		s->os_group_perms = !strcmp(tok[1], "true");
	}
	return 0;
}

static int open_context(struct parser *p, char **tok, int n)
{
	struct ctx *c;
	enum ctx_kind parent = p->depth ? p->stack[p->depth - 1].kind
					: CTX_OTHER;
	int ret;

	if (n == 0)
		return fail(p, p->line, "expected a context name before '{'");
	if (p->depth == MAX_DEPTH)
		return fail(p, p->line, "contexts nested more than %d deep",
			    MAX_DEPTH);
	c = &p->stack[p->depth];
	c->kind = CTX_OTHER;
	c->line = p->line;
	snprintf(c->name, sizeof(c->name), "%s%s%s", tok[0], n > 1 ? " " : "",
		 n > 1 ? tok[1] : "");
	if (!strcmp(tok[0], "namespace")) {
		if (p->depth != 0)
			return fail(p, p->line, "'namespace' inside '%s'",
				    p->stack[p->depth - 1].name);
		if (n != 2)
			return fail(p, p->line, "expected 'namespace NAME {'");
		ret = add_namespace(p, tok[1]);
		if (ret < 0)
			return ret;
		c->kind = CTX_NAMESPACE;
	} else if (p->depth == 0 && n == 1 && !strcmp(tok[0], "service")) {
		c->kind = CTX_SERVICE;
	} else if (p->depth == 0 && n == 1 && !strcmp(tok[0], "mod-lua")) {
		c->kind = CTX_MOD_LUA;
	} else if (!strcmp(tok[0], "storage-engine") && parent == CTX_NAMESPACE &&
		   n == 2 && !strcmp(tok[1], "device")) {
		c->kind = CTX_DEVICE_ENGINE;
	} else if (!strcmp(tok[0], "set") && parent == CTX_NAMESPACE &&
		   n == 2) {
		ret = add_set(p, tok[1], &c->set);
		if (ret < 0)
			return ret;
		c->kind = CTX_SET;
	}
	p->depth++;
	return 0;
}

/* One line's tokens: statements, context openings and closings. */
static int parse_tokens(struct parser *p, char **tok, int n)
{
	int start = 0;

	for (int i = 0; i <= n; i++) {
		bool brace = i < n && (!strcmp(tok[i], "{") || !strcmp(tok[i], "}"));
		int ret = 0;

		if (i < n && !brace)
			continue;
		if (i < n && tok[i][0] == '{') {
			ret = open_context(p, tok + start, i - start);
		} else {
			enum ctx_kind k = p->depth ? p->stack[p->depth - 1].kind
						   : CTX_OTHER;

			if (i > start && k == CTX_DEVICE_ENGINE)
				ret = device_statement(p, tok + start, i - start);
			else if (i > start && k == CTX_SET)
				ret = set_statement(p, tok + start, i - start);
			else if (i > start && (k == CTX_SERVICE ||
					       k == CTX_MOD_LUA))
				ret = service_statement(p, k, tok + start,
							i - start);
			else if (i > start && !p->depth)
				ret = fail(p, p->line, "expected 'NAME {' at top "
					   "level, got '%s'", tok[start]);
			if (!ret && i < n) {
				if (!p->depth)
					return fail(p, p->line, "unexpected '}' "
						    "(no context is open)");
				p->depth--;
			}
		}
		if (ret < 0)
			return ret;
		start = i + 1;
	}
	return 0;
}

/* asd's rule: a namespace's devices all have shadows, or none has. */
static int check_namespaces(struct parser *p)
{
	for (size_t i = 0; i < p->c->nns; i++) {
		struct conf_namespace *ns = &p->c->ns[i];
		size_t with = 0;

		for (size_t k = 0; k < ns->ndev; k++)
			with += ns->dev[k].shadow != NULL;
		if (with && with != ns->ndev) {
			for (size_t k = 0; k < ns->ndev; k++)
				if (!ns->dev[k].shadow)
					return fail(p, ns->dev[k].line,
						    "namespace '%s': '%s' has no "
						    "shadow but other devices do "
						    "(all or none)", ns->name,
						    ns->dev[k].local);
		}
		if (ns->ndev > 128)
			return fail(p, ns->line, "namespace '%s' has %zu "
				    "devices, at most 128", ns->name, ns->ndev);
	}
	return 0;
}

/*
 * Open path as a config: a regular file (a FIFO must not hang the open,
 * /dev/zero must not be read for ever) of at most AERO_CONF_MAX_BYTES.
 */
static FILE *open_conf(const char *path, char *err, size_t errlen, int *ret)
{
	struct stat st;
	const char *what = NULL;
	FILE *f;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		*ret = -errno;
		if (*ret == -ENXIO && stat(path, &st) == 0)
			what = "is not a regular file";	/* a socket */
		else
			snprintf(err, errlen, "cannot read config '%s': %s",
				 path, strerror(-*ret));
	} else if (fstat(fd, &st) < 0) {
		*ret = -errno;
		snprintf(err, errlen, "cannot read config '%s': %s", path,
			 strerror(-*ret));
	} else if (S_ISDIR(st.st_mode)) {
		what = "is a directory";
	} else if (!S_ISREG(st.st_mode)) {
		what = "is not a regular file";
	} else if (st.st_size > AERO_CONF_MAX_BYTES) {
		what = "is larger than 1 MiB: not an aerospike.conf";
	}
	if (what) {
		*ret = -EINVAL;
		snprintf(err, errlen, "config '%s' %s", path, what);
	}
	if (*ret < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		*ret = -errno;
		close(fd);
		snprintf(err, errlen, "cannot read config '%s': %s", path,
			 strerror(-*ret));
	}
	return f;
}

int aero_conf_load(const char *path, struct aero_conf *c, char *err,
		   size_t errlen)
{
	struct parser p = { .path = path, .c = c, .err = err, .errlen = errlen };
	char *line = NULL, *tok[MAX_TOKENS];
	size_t cap = 0, total = 0;
	ssize_t len;
	FILE *f;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	f = open_conf(path, err, errlen, &ret);
	if (!f)
		return ret;
	while ((len = getline(&line, &cap, f)) >= 0) {
		int n;

		p.line++;
		/* The file may grow after the size check: count as we go. */
		total += (size_t)len;
		if (total > AERO_CONF_MAX_BYTES) {
			ret = fail(&p, p.line, "larger than 1 MiB: not an "
				   "aerospike.conf");
			break;
		}
		if (memchr(line, '\0', (size_t)len)) {
			ret = fail(&p, p.line, "a NUL byte: not a text file");
			break;
		}
		if ((size_t)len > AERO_CONF_MAX_LINE) {
			ret = fail(&p, p.line, "a line of %zd bytes (at most "
				   "%u)", len, AERO_CONF_MAX_LINE);
			break;
		}
		line[strcspn(line, "#")] = '\0';
		n = tokenize(line, tok, MAX_TOKENS);
		if (n < 0) {
			ret = fail(&p, p.line, "more than %d words on a line",
				   MAX_TOKENS);
			break;
		}
		ret = parse_tokens(&p, tok, n);
		if (ret < 0)
			break;
	}
	if (!ret && ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "cannot read config '%s': %s", path,
			 strerror(EIO));
	}
	if (!ret && p.depth)
		ret = fail(&p, p.stack[p.depth - 1].line, "'%s {' is never "
			   "closed (expected '}')", p.stack[p.depth - 1].name);
	if (!ret)
		ret = check_namespaces(&p);
	free(line);
	fclose(f);
	if (ret < 0)
		aero_conf_release(c);
	return ret;
}

void aero_conf_release(struct aero_conf *c)
{
	for (size_t i = 0; i < c->nns; i++) {
		for (size_t k = 0; k < c->ns[i].ndev; k++) {
			free(c->ns[i].dev[k].local);
			free(c->ns[i].dev[k].shadow);
		}
		free(c->ns[i].dev);
		for (size_t k = 0; k < c->ns[i].nsets; k++)
			free(c->ns[i].sets[k].name);
		free(c->ns[i].sets);
		free(c->ns[i].name);
	}
	free(c->ns);
	free(c->service.work_directory);
	free(c->service.pidfile);
	free(c->service.user);
	free(c->service.group);
	free(c->service.lua_user_path);
	memset(c, 0, sizeof(*c));
}
