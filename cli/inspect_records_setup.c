/*
 * inspect_records_setup.c - inspect --records: which devices, which copy
 * of each asd will sweep, and the partition table (pmeta) it will use.
 * With --config: every device of every namespace, the cold-start verdict
 * of each pair (load-local sweeps the local, else the shadow), asd's
 * drive-set check, and the namespace's pmeta from the first non-fresh
 * header asd reads (the shadow's when there is one).
 */
#include "inspect_records.h"
#include "display.h"
#include "outcome.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int alloc_run(struct rrun *r, size_t nt, size_t nns)
{
	r->t = calloc(nt ? nt : 1, sizeof(*r->t));
	r->ns = calloc(nns ? nns : 1, sizeof(*r->ns));
	r->nt = nt;
	r->nns = nns;
	if (!r->t || !r->ns) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	return EXIT_MATCH;
}

int rrun_setup_devices(struct rrun *r)
{
	const struct records_args *a = r->a;

	if (alloc_run(r, a->ndevices, a->ndevices) != EXIT_MATCH)
		return EXIT_ERROR;
	for (size_t i = 0; i < a->ndevices; i++) {
		struct rtarget *t = &r->t[i];
		struct rns *ns = &r->ns[i];

		t->name = t->read_path = a->devices[i];
		t->read_role = "device";
		ns->first = i;
		ns->n = 1;
		if (rrun_read_header(t, t->read_path, a->io.engine, &t->d,
				     &t->region, &t->h) < 0)
			continue;
		t->open = true;
		t->asd_h = &t->h;
		t->asd_region = t->region;
		if (t->h.state == AS_STATE_AEROSPIKE)
			ns->name = t->h.namespace;
		if (rrun_records_readable(t, &t->h))
			as_ownership_from_region(t->region,
						 AS_HEADER_STRUCT_BYTES, &t->h,
						 &ns->own);
	}
	return EXIT_MATCH;
}

/*
 * Open both sides of a conf pair and decide. Afterwards t->d, t->h and
 * t->region are the copy asd sweeps (read_path), t->other_* the other
 * side, and t->asd_h / asd_region the header asd reads: the shadow's.
 */
static void setup_pair(struct rrun *r, struct rtarget *t, const char *ns,
		       const struct as_server *srv)
{
	const char *engine = r->a->io.engine;
	struct device shadow;
	struct cs_pair p;

	if (rrun_read_header(t, t->local, engine, &t->d, &t->region,
			     &t->h) < 0)
		return;
	t->open = true;
	t->read_path = t->local;
	t->read_role = "local";
	t->asd_h = &t->h;
	t->asd_region = t->region;
	if (!t->shadow) {		/* asd reads the local alone */
		rrun_records_readable(t, &t->h);
		return;
	}
	if (rrun_read_header(t, t->shadow, engine, &shadow, &t->other_region,
			     &t->other_h) < 0) {
		device_close(&t->d);
		t->open = false;
		return;
	}
	p = (struct cs_pair){
		.local_path = t->local, .shadow_path = t->shadow,
		.local = &t->h, .shadow = &t->other_h,
		.local_raw = t->region, .shadow_raw = t->other_region,
		.device_bytes = t->d.size_bytes, .config_namespace = ns,
	};
	cs_decide(srv, &p, &t->verdict);
	t->has_verdict = true;
	t->asd_h = &t->other_h;
	t->asd_region = t->other_region;
	if (t->verdict.verdict == CS_LOAD_LOCAL) {
		device_close(&shadow);
		rrun_records_readable(t, &t->h);
		return;
	}
	/* Every other verdict sweeps the shadow (or nothing). */
	{
		struct as_header h = t->h;
		unsigned char *reg = t->region;

		device_close(&t->d);
		t->d = shadow;
		t->h = t->other_h;
		t->region = t->other_region;
		t->other_h = h;
		t->other_region = reg;
		t->read_path = t->shadow;
		t->read_role = "shadow";
		t->asd_h = &t->h;
		t->asd_region = t->region;
	}
	if (t->verdict.verdict == CS_CRASH || t->verdict.verdict == CS_NONE) {
		device_close(&t->d);
		t->open = false;	/* asd sweeps nothing */
		return;
	}
	/* reinit-from-shadow: a zeroed header, the data still swept. */
	if (t->verdict.verdict != CS_REINIT_FROM_SHADOW)
		rrun_records_readable(t, &t->h);
}

/* The local's and the shadow's header of a pair set up above. */
static void pair_headers(const struct rtarget *t, const struct as_header **l,
			 const struct as_header **s)
{
	bool swept_local = !strcmp(t->read_role, "local");

	*l = swept_local ? &t->h : &t->other_h;
	*s = swept_local ? &t->other_h : &t->h;
}

int rrun_setup_config(struct rrun *r)
{
	char err[1024];
	size_t nt = 0, at = 0;
	int ret;

	ret = aero_conf_load(r->a->config, &r->conf, err, sizeof(err));
	if (ret < 0) {
		cli_error("%s", err);
		return EXIT_ERROR;
	}
	for (size_t k = 0; k < r->conf.nns; k++)
		nt += r->conf.ns[k].ndev;
	if (!nt) {
		cli_error("'%s' names no storage-engine device", r->a->config);
		return EXIT_ERROR;
	}
	if (alloc_run(r, nt, r->conf.nns) != EXIT_MATCH)
		return EXIT_ERROR;
	for (size_t k = 0; k < r->conf.nns; k++) {
		const struct conf_namespace *cn = &r->conf.ns[k];
		struct rns *ns = &r->ns[k];
		struct cs_pair *pairs = calloc(cn->ndev, sizeof(*pairs));
		struct as_server srv;
		size_t npairs = 0;
		long bad;

		if (!pairs) {
			cli_error("out of memory");
			return EXIT_ERROR;
		}
		as_server_parse("8.1", cn->write_block_size, &srv);
		ns->name = cn->name;
		ns->first = at;
		ns->n = cn->ndev;
		for (size_t j = 0; j < cn->ndev; j++, at++) {
			struct rtarget *t = &r->t[at];

			t->name = t->local = cn->dev[j].local;
			t->shadow = cn->dev[j].shadow;
			setup_pair(r, t, cn->name, &srv);
			if (t->has_verdict) {
				struct cs_pair *q = &pairs[npairs++];

				*q = (struct cs_pair){
					.local_path = t->local,
					.shadow_path = t->shadow,
				};
				pair_headers(t, &q->local, &q->shadow);
			}
		}
		bad = npairs ? cs_check_set(pairs, npairs, cn->name,
					    &ns->crash_r) : -1;
		free(pairs);
		if (bad >= 0)
			ns->crash = true;
		/* pmeta: the first header asd reads that is not fresh. */
		for (size_t i = ns->first; i < ns->first + ns->n; i++) {
			const struct rtarget *t = &r->t[i];

			if (t->asd_region && t->asd_h->state == AS_STATE_AEROSPIKE) {
				as_ownership_from_region(t->asd_region,
							 AS_HEADER_STRUCT_BYTES,
							 t->asd_h, &ns->own);
				break;
			}
		}
	}
	return EXIT_MATCH;
}

void rrun_release(struct rrun *r)
{
	for (size_t i = 0; i < r->nt; i++) {
		struct rtarget *t = &r->t[i];

		if (t->open)
			device_close(&t->d);
		free(t->region);
		free(t->other_region);
	}
	rrun_smd_release(r);
	for (size_t k = 0; k < r->nns; k++)
		free(r->ns[k].set_names);
	free(r->t);
	free(r->ns);
	if (r->a->config)
		aero_conf_release(&r->conf);
}
