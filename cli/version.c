/*
 * version.c - `shadowsync --version [PATH]`: what this binary was built
 * with, what it runs against, and what this host allows (the first
 * thing to ask for in a bug report, and the answer to "why psync?").
 */
#include "cli.h"
#include "display.h"
#include "../engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <link.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <xxhash.h>

#define STR2(x) #x
#define STR(x) STR2(x)

#ifndef LIBURING_BUILD_VERSION
#define LIBURING_BUILD_VERSION "unknown"
#endif
#ifndef LIBAIO_BUILD_VERSION
#define LIBAIO_BUILD_VERSION "unknown"
#endif

/* The real file name of the loaded shared object whose name starts with
 * prefix ("liburing.so"), e.g. "liburing.so.2.3", or NULL. */
struct find_lib {
	const char *prefix;
	char found[PATH_MAX];
};

static int find_lib_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find_lib *f = arg;
	const char *base = strrchr(info->dlpi_name, '/');
	char real[PATH_MAX];

	(void)size;
	base = base ? base + 1 : info->dlpi_name;
	if (strncmp(base, f->prefix, strlen(f->prefix)))
		return 0;
	if (realpath(info->dlpi_name, real)) {
		base = strrchr(real, '/');
		snprintf(f->found, sizeof(f->found), "%s", base ? base + 1 : real);
	} else {
		snprintf(f->found, sizeof(f->found), "%s", base);
	}
	return 1;
}

static const char *loaded(const char *prefix, char *buf, size_t len)
{
	struct find_lib f = { prefix, "" };

	dl_iterate_phdr(find_lib_cb, &f);
	snprintf(buf, len, "%s", f.found[0] ? f.found : "not loaded");
	return buf;
}

static void xxh_version(unsigned v, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u", v / 10000, v / 100 % 100, v % 100);
}

/* Can backend name start here? "yes" or why not, in words. */
static void engine_host(const char *name, char *out, size_t len)
{
	struct engine e = { 0 };
	struct engine_setup s = { .depth = 1 };
	int ret = engine_open(&e, name, &s);
	char sysctl[16] = "";
	FILE *f;

	if (!ret) {
		engine_close(&e);
		snprintf(out, len, "yes");
		return;
	}
	if (ret == -ENOSYS && strcmp(name, "psync")) {
		snprintf(out, len, "no: not built in (its library was missing "
			 "at build time)");
		return;
	}
	f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	if (f) {
		if (!fgets(sysctl, sizeof(sysctl), f))
			sysctl[0] = 0;
		sysctl[strcspn(sysctl, "\n")] = 0;
		fclose(f);
	}
	if (!strcmp(name, "io_uring") && sysctl[0] && strcmp(sysctl, "0"))
		snprintf(out, len, "no: kernel.io_uring_disabled = %s (%s)",
			 sysctl, strerror(-ret));
	else if (!strcmp(name, "libaio") && ret == -EAGAIN)
		snprintf(out, len, "no: fs.aio-max-nr reached (%s)",
			 strerror(-ret));
	else
		snprintf(out, len, "no: %s", strerror(-ret));
}

/* Does PATH take O_DIRECT reads (open and one aligned read)? A
 * directory is asked through an O_TMPFILE in it. */
static void direct_host(const char *path, char *out, size_t len)
{
	struct stat st;
	void *buf = NULL;
	int fd;

	if (stat(path, &st) < 0) {
		snprintf(out, len, "cannot examine: %s", strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode))
		fd = open(path, O_TMPFILE | O_RDWR | O_DIRECT, 0600);
	else
		fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		int err = errno;

		snprintf(out, len, err == EINVAL
			 ? "no: %s (reads will be buffered; engine auto "
			   "picks psync)" : "cannot tell: %s", strerror(err));
		return;
	}
	if (!S_ISDIR(st.st_mode) && st.st_size != 0 &&
	    !posix_memalign(&buf, 4096, 4096) && pread(fd, buf, 4096, 0) < 0 &&
	    errno == EINVAL)
		snprintf(out, len, "no: reads with O_DIRECT fail (EINVAL); "
			 "reads will be buffered");
	else
		snprintf(out, len, "yes");
	free(buf);
	close(fd);
}

int cli_version(int argc, char **argv)
{
	char a[PATH_MAX], b[PATH_MAX], x1[32], x2[32], x3[32];

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs("usage: shadowsync --version [PATH]\n"
		      "The version, the libraries built with and loaded, and what\n"
		      "this host allows: io_uring, libaio, and O_DIRECT on PATH\n"
		      "(a device, file or directory) when given.\n", stdout);
		return cli_flush_stdout() < 0 ? EXIT_ERROR : EXIT_MATCH;
	}
	if (argc > 2) {
		cli_error("--version takes at most one PATH");
		return EXIT_ERROR;
	}
	xxh_version(XXH_VERSION_NUMBER, x1, sizeof(x1));
	xxh_version(XXH_versionNumber(), x2, sizeof(x2));
	snprintf(x3, sizeof(x3), "%d.%d.%d", archive_version_number() / 1000000,
		 archive_version_number() / 1000 % 1000,
		 archive_version_number() % 1000);
	printf("shadowsync %s\n", SHADOWSYNC_VERSION);
	printf("built with: liburing %s, libaio %s, xxHash %s, jansson %s, "
	       "libcurl %s, %s, libarchive %s\n",
	       LIBURING_BUILD_VERSION, LIBAIO_BUILD_VERSION, x1, JANSSON_VERSION,
	       LIBCURL_VERSION, OPENSSL_VERSION_TEXT, ARCHIVE_VERSION_ONLY_STRING);
	printf("runs with:  %s, %s, xxHash %s, jansson %s, libcurl %s, %s, "
	       "libarchive %s\n",
	       loaded("liburing.so", a, sizeof(a)),
	       loaded("libaio.so", b, sizeof(b)), x2, jansson_version_str(),
	       curl_version_info(CURLVERSION_NOW)->version,
	       OpenSSL_version(OPENSSL_VERSION), x3);
	engine_host("io_uring", a, sizeof(a));
	printf("this host:\n  io_uring  %s\n", a);
	engine_host("libaio", a, sizeof(a));
	printf("  libaio    %s\n", a);
	if (argc > 1) {
		direct_host(argv[1], a, sizeof(a));
		printf("  O_DIRECT on '%s': %s\n", disp(argv[1]), a);
	}
	return cli_flush_stdout() < 0 ? EXIT_ERROR : EXIT_MATCH;
}
