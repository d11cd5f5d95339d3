/*
 * fuzz_aeroconf.c - libFuzzer target: any bytes as aerospike.conf. What
 * aero_conf_load() accepts must hold asd's rules (at most 128 devices a
 * namespace, shadows for all or none, sizes within asd's bounds); what it
 * refuses must come as one line and leave nothing allocated.
 *
 * Built by `make fuzz` (build-fuzz/fuzz_aeroconf); the seeds in
 * tests/fuzz/corpus/aeroconf are replayed by the unit test
 * test_fuzz_corpus, which includes this file with FUZZ_REPLAY defined.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../aerospike/aeroconf.h"

#define FUZZ_CONF_ASSERT(c)                                                \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                           \
		}                                                          \
	} while (0)

static void fuzz_conf_rules(const struct aero_conf *c)
{
	for (size_t i = 0; i < c->nns; i++) {
		const struct conf_namespace *ns = &c->ns[i];
		uint64_t fs = ns->filesize, wbs = ns->write_block_size;
		size_t with = 0;

		FUZZ_CONF_ASSERT(ns->name && ns->line > 0);
		FUZZ_CONF_ASSERT(ns->ndev <= 128);
		FUZZ_CONF_ASSERT(!fs || (fs >= (1ull << 20) && fs <= (2ull << 40)));
		FUZZ_CONF_ASSERT(!wbs || (wbs >= 1024 && wbs <= (8u << 20) &&
					  !(wbs & (wbs - 1))));
		for (size_t k = 0; k < ns->ndev; k++) {
			FUZZ_CONF_ASSERT(ns->dev[k].local && ns->dev[k].line > 0);
			with += ns->dev[k].shadow != NULL;
		}
		FUZZ_CONF_ASSERT(with == 0 || with == ns->ndev);
	}
}

static int fuzz_aeroconf_one(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	char path[64], err[512];
	struct aero_conf c;
	size_t done = 0;

	FUZZ_CONF_ASSERT(fd >= 0);
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);

		FUZZ_CONF_ASSERT(w > 0);
		done += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err[0] = '\0';
	if (aero_conf_load(path, &c, err, sizeof(err)) == 0) {
		fuzz_conf_rules(&c);
		aero_conf_release(&c);
	} else {
		FUZZ_CONF_ASSERT(err[0] && !strchr(err, '\n'));
		FUZZ_CONF_ASSERT(c.nns == 0 && c.ns == NULL);
	}
	close(fd);
	return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_aeroconf_one(data, size);
}
#endif
