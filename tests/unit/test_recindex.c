/*
 * Unit tests: the digest index on its own - the direct table against a
 * plain list, the logged and settled index (the walker's) against the
 * direct one record by record (the last settle only counting), with
 * rounds and without, and the settling table's tags and the objects'
 * prints with digests made to share them.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <grp.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../aerospike/recindex.h"

/* lcg: the next value of a 64-bit LCG (Knuth's MMIX constants). */
static uint64_t lcg(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	return *seed;
}

/* fill_digests: N pseudo-random 20-byte digests from *SEED. */
static void fill_digests(unsigned char (*dig)[20], unsigned n, uint64_t *seed)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < 20; j++)
			dig[i][j] = (unsigned char)(lcg(seed) >> 56);
}

/* The index against a plain list, through growth and deletions. */
static void index_consistent(void **state)
{
	static unsigned char dig[50000][20];
	struct as_recindex x;
	struct as_recver v;
	uint64_t seed = 42;

	(void)state;
	as_recindex_init(&x);
	for (unsigned i = 0; i < 50000; i++) {
		fill_digests(&dig[i], 1, &seed);
		v = (struct as_recver){ .lut = i, .generation = 1 };
		assert_int_equal(as_recindex_put(&x, dig[i], &v), 0);
	}
	for (unsigned i = 0; i < 50000; i += 2)
		as_recindex_drop(&x, dig[i]);
	assert_true(x.used == 25000);
	for (unsigned i = 0; i < 50000; i++) {
		bool found = as_recindex_find(&x, dig[i], &v);

		assert_int_equal(found, i % 2);
		if (found)
			assert_true(v.lut == i);
	}
	/* 2^17 slots of 24 bytes: 63 bytes an entry at this count. */
	assert_true(x.peak_bytes == (1ull << 17) * AS_RECINDEX_SLOT_BYTES);
	as_recindex_release(&x);
}

/*
 * Rounds: settled on the index's own thread while records are still
 * logged, one as soon as the last is done (round_min 1), checked for
 * after every record.
 */
static void rounds_on(struct as_recindex *x, int64_t now_cl,
		      uint64_t evict_void_time, const bool no_evict[256])
{
	assert_int_equal(as_recindex_rounds_start(x, now_cl, evict_void_time,
						  no_evict), 0);
	x->round_min = 1;
}

/*
 * Logged and settled (the walker's way) against the direct table, record
 * by record: three "devices" of versions of 40,000 digests, up to two on
 * one device (newer, older, equal, expiring, expired, evicted), settled
 * after each, with rounds or without; outcomes, objects and sets agree.
 */
static void logged_vs_direct(bool rounds)
{
	static unsigned char dig[40000][20];
	struct as_recindex direct, logged;
	uint64_t seed = 7, want[5] = { 0 }, got[5] = { 0 };
	uint64_t sd[256], sl[256];
	const int64_t now_cl = 1000000;

	as_recindex_init(&direct);
	as_recindex_init(&logged);
	if (rounds)
		rounds_on(&logged, now_cl, now_cl + 20, NULL);
	fill_digests(dig, 40000, &seed);
	for (unsigned dev = 0; dev < 3; dev++) {
		/* Twice over: two versions of a digest on one device. */
		for (unsigned k = 0; k < 80000; k++) {
			unsigned r, i = k % 40000;
			struct as_recver v;
			int ret;

			r = (unsigned)(lcg(&seed) >> 40);
			if (r % 4 == 0)
				continue;	/* not on this device */
			v = (struct as_recver){
				.lut = 100 + r % 3,
				.generation = (uint16_t)(1 + (r >> 4) % 3),
				.void_time = r % 5 == 0 ? 0 : (uint32_t)(now_cl -
					     50 + (r >> 8) % 200),
				.set_id = (uint8_t)(1 + i % 3),
			};
			ret = as_recindex_add(&direct, dig[i], &v, now_cl,
					      now_cl + 20);
			assert_true(ret >= 0);
			want[ret]++;
			assert_int_equal(as_recindex_log(&logged, dig[i], &v),
					 0);
			as_recindex_round_check(&logged);
		}
		/* The third is the last: counted, not kept. */
		logged.last_settle = dev == 2;
		assert_int_equal(as_recindex_settle(&logged, now_cl,
						    now_cl + 20, NULL, got), 0);
		assert_memory_equal(got, want, sizeof(got));
		assert_true(logged.used == direct.used);
		assert_true(logged.pending == 0);
	}
	assert_true(want[AS_OUT_REPLACED] && want[AS_OUT_OLDER] &&
		    want[AS_OUT_EXPIRED] && want[AS_OUT_EVICTED]);
	assert_true(rounds ? logged.rounds > 3 : logged.rounds == 0);
	as_recindex_count_sets(&direct, sd);
	as_recindex_count_sets(&logged, sl);
	assert_memory_equal(sd, sl, sizeof(sd));
	/* Nothing is logged or settled after the last settle. */
	{
		struct as_recver v = { .lut = 1, .generation = 1 };

		assert_int_equal(as_recindex_log(&logged, dig[0], &v), -EINVAL);
		assert_int_equal(as_recindex_settle(&logged, now_cl, 0, NULL,
						    got), -EINVAL);
	}
	as_recindex_release(&direct);
	as_recindex_release(&logged);
}

static void index_logged(void **state)
{
	(void)state;
	logged_vs_direct(false);
}

static void index_logged_rounds(void **state)
{
	(void)state;
	logged_vs_direct(true);
}

/*
 * Digests alike in the bytes that pick the bucket, the home slot and the
 * settling table's tag (12-19), apart in bytes 8-11: one object each,
 * settled on two threads with the census counted on the way; a second
 * version of each, newer, replaces it; and census rules that differ from
 * those settled with are counted afresh.
 */
static void index_tag_collisions(void **state)
{
	static const uint64_t set_lut[256] = { [1] = 150 }, none[256];
	uint64_t out[5] = { 0 }, counts[256];
	struct as_recindex x;
	struct as_census c;
	unsigned char dig[20] = { 0 };

	(void)state;
	as_recindex_init(&x);
	as_recindex_census_rules(&x, 0, set_lut);
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < 3000; i++) {
			struct as_recver v = { .lut = 100 + round * 100,
					       .generation = 1,
					       .set_id = 1 };

			memset(dig + 12, 0x5A, 8);
			dig[8] = (unsigned char)i;
			dig[9] = (unsigned char)(i >> 8);
			dig[0] = (unsigned char)(i * 7);
			assert_int_equal(as_recindex_log(&x, dig, &v), 0);
		}
		assert_int_equal(as_recindex_settle(&x, 0, 0, NULL, out), 0);
		assert_true(x.used == 3000);
		as_recindex_census(&x, 0, set_lut, &c);
		assert_true(c.objects[1] == 3000);
		assert_true(c.back_set[1] == (round ? 0 : 3000));
	}
	assert_true(out[AS_OUT_UNIQUE] == 3000 && out[AS_OUT_REPLACED] == 3000);
	as_recindex_count_sets(&x, counts);
	assert_true(counts[1] == 3000);
	/* Other thresholds: one pass over the objects. */
	as_recindex_census(&x, 250, set_lut, &c);
	assert_true(c.objects[1] == 3000 && c.back_ns[1] == 3000 &&
		    c.back_set[1] == 0);
	/* None: the objects by set, nothing back. */
	as_recindex_census(&x, 0, none, &c);
	assert_true(c.objects[1] == 3000 && c.back[1] == 0 &&
		    c.back_ns[1] == 0 && c.back_set[1] == 0);
	as_recindex_release(&x);
}

/*
 * The last settle keeps the objects by set current as it fills its
 * table (no pass over it) when no census is asked for, and passes it
 * when one is: both against the direct table, over two devices whose
 * versions of a digest move between sets (a REPLACED one leaves its old
 * set, an EXPIRED or EVICTED one drops the old version's), set 2 never
 * evicted.
 */
static void last_settle_sets(bool census, bool rounds)
{
	static unsigned char dig[20000][20];
	static const uint64_t set_lut[256] = { [3] = 101 }, none[256];
	static bool no_evict[256] = { [2] = true };
	struct as_recindex direct, logged;
	uint64_t seed = 11, want[5] = { 0 }, got[5] = { 0 };
	uint64_t sd[256], sl[256];
	const int64_t now_cl = 1000000;
	struct as_census c;

	as_recindex_init(&direct);
	as_recindex_init(&logged);
	if (census)
		as_recindex_census_rules(&logged, 0, set_lut);
	if (rounds)
		rounds_on(&logged, now_cl, now_cl + 20, no_evict);
	fill_digests(dig, 20000, &seed);
	for (unsigned dev = 0; dev < 2; dev++) {
		for (unsigned k = 0; k < 60000; k++) {
			unsigned r, i = k % 20000;
			struct as_recver v;
			int ret;

			r = (unsigned)(lcg(&seed) >> 40);
			if (r % 4 == 0)
				continue;
			v = (struct as_recver){
				.lut = 100 + r % 3,
				.generation = (uint16_t)(1 + (r >> 4) % 3),
				.void_time = r % 5 == 0 ? 0 : (uint32_t)(now_cl -
					     50 + (r >> 8) % 200),
				.set_id = (uint8_t)(1 + (r >> 12) % 3),
			};
			ret = as_recindex_add(&direct, dig[i], &v, now_cl,
					      no_evict[v.set_id] ? 0
					      : (uint64_t)now_cl + 20);
			assert_true(ret >= 0);
			want[ret]++;
			assert_int_equal(as_recindex_log(&logged, dig[i], &v),
					 0);
			as_recindex_round_check(&logged);
		}
		logged.last_settle = dev == 1;
		assert_int_equal(as_recindex_settle(&logged, now_cl,
						    now_cl + 20, no_evict,
						    got), 0);
		assert_memory_equal(got, want, sizeof(got));
		assert_true(logged.used == direct.used);
	}
	assert_true(want[AS_OUT_REPLACED] && want[AS_OUT_OLDER] &&
		    want[AS_OUT_EXPIRED] && want[AS_OUT_EVICTED]);
	as_recindex_count_sets(&direct, sd);
	as_recindex_count_sets(&logged, sl);
	assert_memory_equal(sd, sl, sizeof(sd));
	/* As settled: with the census's thresholds, or with none. */
	as_recindex_census(&logged, 0, census ? set_lut : none, &c);
	assert_memory_equal(c.objects, sd, sizeof(sd));
	if (census) {
		struct as_census dc;

		as_recindex_census(&direct, 0, set_lut, &dc);
		assert_memory_equal(&c, &dc, sizeof(c));
		assert_true(dc.back_set[3] > 0);
	}
	as_recindex_release(&direct);
	as_recindex_release(&logged);
}

static void last_settle_sets_counted(void **state)
{
	(void)state;
	last_settle_sets(false, false);
}

static void last_settle_sets_census(void **state)
{
	(void)state;
	last_settle_sets(true, false);
}

static void last_settle_sets_rounds(void **state)
{
	(void)state;
	last_settle_sets(false, true);
	last_settle_sets(true, true);
}

/*
 * v for dig into the direct table (its outcome counted in want) and the
 * logged index (a round checked for after it).
 */
static void add_both(struct as_recindex *direct, struct as_recindex *logged,
		     const unsigned char *dig, const struct as_recver *v,
		     int64_t now_cl, uint64_t want[5])
{
	int ret = as_recindex_add(direct, dig, v, now_cl, 0);

	assert_true(ret >= 0);
	want[ret]++;
	assert_int_equal(as_recindex_log(logged, dig, v), 0);
	as_recindex_round_check(logged);
}

/* A device's end for the logged index: its outcomes, objects as direct's. */
static void settle_both(const struct as_recindex *direct,
			struct as_recindex *logged, bool last, int64_t now_cl,
			const uint64_t want[5], uint64_t got[5])
{
	logged->last_settle = last;
	assert_int_equal(as_recindex_settle(logged, now_cl, 0, NULL, got), 0);
	assert_memory_equal(got, want, 5 * sizeof(got[0]));
	assert_true(logged->used == direct->used);
}

/*
 * Objects that all share the print the log's keys have (their digests
 * alike in bytes 12-19, apart in 8-11): the pass over the prints lets
 * every object through, more than the table was sized for, and the
 * bucket is settled again with room for all. Against the direct table:
 * 4,000 objects, then new versions of some (newer, older, expired) and
 * new digests, with rounds and without.
 */
static void prints_collide(void **state)
{
	static unsigned char dig[4100][20];
	const int64_t now_cl = 1000000;

	(void)state;
	for (unsigned i = 0; i < 4100; i++) {
		memset(dig[i], 0, 20);
		memset(dig[i] + 12, 0xA5, 8);
		dig[i][8] = (unsigned char)i;
		dig[i][9] = (unsigned char)(i >> 8);
	}
	for (unsigned rounds = 0; rounds < 2; rounds++) {
		struct as_recindex direct, logged;
		uint64_t want[5] = { 0 }, got[5] = { 0 }, sd[256], sl[256];

		as_recindex_init(&direct);
		as_recindex_init(&logged);
		if (rounds)
			rounds_on(&logged, now_cl, 0, NULL);
		for (unsigned dev = 0; dev < 2; dev++) {
			unsigned from = dev ? 3990 : 0, to = dev ? 4100 : 4000;

			for (unsigned i = from; i < to; i++) {
				struct as_recver v = {
					.lut = 100 + dev * (i % 3),
					.generation = 1,
					.void_time = dev && i % 7 == 0
						     ? (uint32_t)now_cl - 1 : 0,
					.set_id = (uint8_t)(1 + dev),
				};

				add_both(&direct, &logged, dig[i], &v, now_cl,
					 want);
			}
			settle_both(&direct, &logged, dev == 1, now_cl, want,
				    got);
		}
		assert_true(want[AS_OUT_REPLACED] && want[AS_OUT_OLDER] &&
			    want[AS_OUT_EXPIRED]);
		as_recindex_count_sets(&direct, sd);
		as_recindex_count_sets(&logged, sl);
		assert_memory_equal(sd, sl, sizeof(sd));
		as_recindex_release(&direct);
		as_recindex_release(&logged);
	}
}

/*
 * Randomized: namespaces of 1 to 5 devices (some empty), a pool of
 * digests of which half share bytes 12-19 in groups (one bucket, home,
 * tag and print a group), versions of every kind (newer, older, ties,
 * generation wrap, expired, evictable, a set never evicted), rounds
 * forced (round_min 1 to 100, checked after every record or now and
 * then) or none, with or without a census's thresholds: after each
 * device's settle the outcomes, objects, sets and census agree with the
 * direct table fed record by record; after the last, nothing is held.
 */
static void stress_one(uint64_t seed)
{
	static unsigned char dig[3000][20];
	static bool no_evict[256] = { [2] = true };
	uint64_t set_lut[256] = { 0 }, ns_lut = 0;
	const int64_t now_cl = 1000000;
	struct as_recindex direct, logged;
	unsigned ndev = 1 + (unsigned)(lcg(&seed) >> 40) % 5;
	unsigned pool = 50 + (unsigned)(lcg(&seed) >> 40) % 2950;
	unsigned mode = (unsigned)(lcg(&seed) >> 40) % 4;
	bool census = lcg(&seed) >> 63;

	fill_digests(dig, pool, &seed);
	for (unsigned i = 0; i < pool; i += 2) {	/* groups of 8 alike */
		memcpy(dig[i] + 12, dig[i / 16 * 16] + 12, 8);
		dig[i][8] = (unsigned char)i;
		dig[i][9] = (unsigned char)(i >> 8);
	}
	if (census) {
		ns_lut = lcg(&seed) >> 63 ? 103 : 0;
		set_lut[3] = 105;
	}
	as_recindex_init(&direct);
	as_recindex_init(&logged);
	if (census)
		as_recindex_census_rules(&logged, ns_lut, set_lut);
	if (mode)
		rounds_on(&logged, now_cl, now_cl + 20, no_evict);
	logged.round_min = mode == 1 ? 1 : mode == 2 ? 7 : 100;
	for (unsigned dev = 0; dev < ndev; dev++) {
		uint64_t want[5] = { 0 }, got[5] = { 0 }, sd[256], sl[256];
		unsigned n = (unsigned)(lcg(&seed) >> 40) % 4 == 0 ? 0 :
			     (unsigned)(lcg(&seed) >> 40) % 12000;
		struct as_census dc, lc;

		for (unsigned k = 0; k < n; k++) {
			uint64_t r = lcg(&seed) >> 16;
			unsigned i = (unsigned)(r % pool);
			struct as_recver v = {
				.lut = 100 + (r >> 12) % 8,
				.generation = (uint16_t)((r >> 16) % 4 == 0 ?
					0xFFFF - (r >> 20) % 3 :
					1 + (r >> 20) % 3),
				.void_time = (r >> 24) % 3 == 0 ? 0 :
					     (uint32_t)(now_cl - 40 +
							(r >> 28) % 100),
				.set_id = (uint8_t)((r >> 32) % 4),
			};
			int ret = as_recindex_add(&direct, dig[i], &v, now_cl,
						  no_evict[v.set_id] ? 0 :
						  (uint64_t)now_cl + 20);

			assert_true(ret >= 0);
			want[ret]++;
			assert_int_equal(as_recindex_log(&logged, dig[i], &v),
					 0);
			if (mode != 3 || (r >> 40) % 50 == 0)
				as_recindex_round_check(&logged);
		}
		logged.last_settle = dev == ndev - 1;
		assert_int_equal(as_recindex_settle(&logged, now_cl,
						    now_cl + 20, no_evict,
						    got), 0);
		assert_memory_equal(got, want, sizeof(got));
		assert_true(logged.used == direct.used);
		as_recindex_count_sets(&direct, sd);
		as_recindex_count_sets(&logged, sl);
		assert_memory_equal(sd, sl, sizeof(sd));
		as_recindex_census(&direct, ns_lut, set_lut, &dc);
		as_recindex_census(&logged, ns_lut, set_lut, &lc);
		if (logged.last_settle && !census)
			/* no threshold: only the objects by set */
			assert_memory_equal(lc.objects, dc.objects,
					    sizeof(dc.objects));
		else
			assert_memory_equal(&lc, &dc, sizeof(dc));
		if (!logged.last_settle)
			assert_true(logged.held_bytes >= logged.used * 26);
		assert_true(logged.peak_bytes >= logged.used *
			    AS_RECINDEX_HELD_BYTES);
	}
	assert_true(logged.held_bytes == 0);
	assert_true(logged.round == NULL);
	as_recindex_release(&direct);
	as_recindex_release(&logged);
}

static void stress_rounds(void **state)
{
	(void)state;
	for (uint64_t s = 1; s <= 60; s++)
		stress_one(s * 7919);
}

/*
 * Rounds settle records that no settle has taken yet: until one does,
 * the census is as of the last settle (here none: zeros), as used and
 * the objects by set are, however far the rounds got - as when the
 * device's read failed (an index cap, say) and the device's end never
 * settled. Two rounds started: the first is written back.
 */
static void census_before_settle(void **state)
{
	static unsigned char dig[20000][20];
	static const uint64_t set_lut[256] = { [1] = 150 };
	struct as_recindex logged;
	uint64_t seed = 5, sl[256], none[256] = { 0 };
	struct as_census c, zero;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	as_recindex_init(&logged);
	rounds_on(&logged, 1000000, 0, NULL);
	fill_digests(dig, 20000, &seed);
	/* The round thread is at idle priority: on a busy machine it may
	 * take a while (up to a minute here, the CPU left to it). */
	for (unsigned k = 0; logged.rounds < 2 && k < 20000 + 600000; k++) {
		struct as_recver v = { .lut = 100 + k % 100, .generation = 1,
				       .set_id = 1 };

		assert_int_equal(as_recindex_log(&logged, dig[k % 20000], &v),
				 0);
		as_recindex_round_check(&logged);
		if (k >= 20000)
			usleep(100);
	}
	assert_true(logged.rounds >= 2);
	as_recindex_census(&logged, 120, set_lut, &c);
	assert_memory_equal(&c, &zero, sizeof(c));
	as_recindex_count_sets(&logged, sl);
	assert_memory_equal(sl, none, sizeof(sl));
	assert_true(logged.used == 0);
	as_recindex_release(&logged);
}

/* Does a thread of this process run at SCHED_IDLE (/proc's policy)? */
static bool idle_thread(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	bool idle = false;

	assert_non_null(d);
	while (!idle && (e = readdir(d))) {
		char path[300], buf[1024], *p;
		FILE *f;
		int policy = 0;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;	/* gone */
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')'))) {
			/* fields from 3 on after the name; policy is 41 */
			for (unsigned k = 3; k <= 41 && p; k++)
				p = strchr(p + 1, ' ');
			if (p)
				policy = atoi(p + 1);
		}
		fclose(f);
		idle = policy == SCHED_IDLE;
	}
	closedir(d);
	return idle;
}

/* May a thread be taken back from SCHED_IDLE (sched_setscheduler(2))? */
static bool may_leave_idle(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };
	struct rlimit rl;

	if (syscall(SYS_capget, &h, d) == 0 &&
	    (d[CAP_SYS_NICE / 32].effective >> (CAP_SYS_NICE % 32) & 1))
		return true;
	return getrlimit(RLIMIT_NICE, &rl) == 0 &&
	       (rl.rlim_cur == RLIM_INFINITY ||
		(rlim_t)(20 - getpriority(PRIO_PROCESS, 0)) <= rl.rlim_cur);
}

/*
 * A round runs at idle priority (when the thread may be taken back from
 * it: root, or CAP_SYS_NICE; else at normal priority); halted by a
 * device's end, at normal priority from then on (the end waits for it:
 * an idle-priority thread on a busy machine may not get the CPU for
 * long), even when it was only starting: a round started and at once
 * halted, many times over, and after each settle no thread is left at
 * SCHED_IDLE (as root and as nobody).
 */
/*
 * Rounds started and at once halted, 3,000 times: into *idle the settles
 * after which a thread was left at SCHED_IDLE, into *busy the rounds
 * (one in 100 looked at) that started at normal priority. -1 on an
 * error of the index.
 */
static int halt_rounds(unsigned *idle, unsigned *busy)
{
	static unsigned char dig[64][20];
	struct as_recindex logged;
	uint64_t seed = 3, out[5] = { 0 };
	int ret = 0;

	*idle = *busy = 0;
	as_recindex_init(&logged);
	if (as_recindex_rounds_start(&logged, 1000000, 0, NULL))
		return -1;
	logged.round_min = 1;
	fill_digests(dig, 64, &seed);
	for (unsigned k = 0; k < 3000 && !ret; k++) {
		struct as_recver v = { .lut = k, .generation = 1 };
		uint64_t rounds = logged.rounds;

		ret = as_recindex_log(&logged, dig[k % 64], &v);
		as_recindex_round_check(&logged);
		if (logged.rounds > rounds && k % 100 == 0)
			*busy += !idle_thread();
		if (!ret)
			ret = as_recindex_settle(&logged, 1000000, 0, NULL,
						 out);
		*idle += idle_thread();
	}
	if (!logged.rounds)
		ret = -1;
	as_recindex_release(&logged);
	return ret ? -1 : 0;
}

static void halt_not_idle(void **state)
{
	unsigned idle, busy;
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(halt_rounds(&idle, &busy), 0);
	assert_int_equal(idle, 0);
	if (may_leave_idle())
		assert_int_equal(busy, 0);
	if (geteuid() != 0)
		return;
	/* As nobody, with no RLIMIT_NICE: never idle (it could not be
	 * taken back). */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit none = { 0, 0 };

		if (setrlimit(RLIMIT_NICE, &none) || setgroups(0, NULL) ||
		    setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534) || may_leave_idle())
			_exit(2);
		_exit(halt_rounds(&idle, &busy) == 0 && idle == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * Objects dropped (a newer version expired) are given back by the next
 * settles, not held until the last: a device writes 20,000 digests, the
 * next expires them all (nothing held after its settle), the next
 * writes them again, the next expires two in three (chunks given
 * back after it), and so on; against the direct table, with rounds and without.
 */
static void dropped_given_back(void **state)
{
	static unsigned char dig[20000][20];
	const int64_t now_cl = 1000000;

	(void)state;
	for (unsigned rounds = 0; rounds < 2; rounds++) {
		struct as_recindex direct, logged;
		uint64_t seed = 17, held_before = 0;

		as_recindex_init(&direct);
		as_recindex_init(&logged);
		if (rounds)
			rounds_on(&logged, now_cl, 0, NULL);
		fill_digests(dig, 20000, &seed);
		for (unsigned dev = 0; dev < 6; dev++) {
			uint64_t want[5] = { 0 }, got[5] = { 0 };

			for (unsigned i = 0; i < 20000; i++) {
				struct as_recver v = {
					.lut = 100 + dev, .generation = 1,
					.void_time = dev % 2 && (dev == 1 ||
						     i % 3 != 0) ? 10 : 0,
					.set_id = 1,
				};

				add_both(&direct, &logged, dig[i], &v, now_cl,
					 want);
			}
			settle_both(&direct, &logged, dev == 5, now_cl, want,
				    got);
			if (dev == 1)
				assert_true(logged.used == 0 &&
					    logged.held_bytes == 0);
			if (dev == 3)
				assert_true(logged.held_bytes * 5 <
					    held_before * 4);
			held_before = logged.held_bytes;
		}
		assert_true(logged.held_bytes == 0);
		as_recindex_release(&direct);
		as_recindex_release(&logged);
	}
}

/*
 * A cap reached on the second device while rounds run (the walker then
 * gives up: no settle for it): what the index says is as of the first
 * device's settle - objects, sets, census - whatever the rounds did, and
 * it is released with a round perhaps still running.
 */
static void cap_mid_round(void **state)
{
	static unsigned char dig[40000][20];
	static const uint64_t set_lut[256] = { [1] = 150 };
	struct as_recindex direct, logged;
	uint64_t seed = 9, out[5] = { 0 }, sd[256], sl[256];
	struct as_census dc, lc;
	int ret = 0;

	(void)state;
	as_recindex_init(&direct);
	as_recindex_init(&logged);
	as_recindex_census_rules(&logged, 120, set_lut);
	rounds_on(&logged, 1000000, 0, NULL);
	fill_digests(dig, 40000, &seed);
	for (unsigned i = 0; i < 20000; i++) {
		struct as_recver v = { .lut = 100 + i % 100, .generation = 1,
				       .set_id = 1 };

		assert_true(as_recindex_add(&direct, dig[i], &v, 1000000, 0)
			    >= 0);
		assert_int_equal(as_recindex_log(&logged, dig[i], &v), 0);
		as_recindex_round_check(&logged);
	}
	assert_int_equal(as_recindex_settle(&logged, 1000000, 0, NULL, out),
			 0);
	logged.cap_bytes = (logged.used + 10000) * AS_RECINDEX_HELD_BYTES;
	for (unsigned k = 0; ret == 0 && k < 1000000; k++) {
		struct as_recver v = { .lut = 300, .generation = 2,
				       .set_id = 1 };

		ret = as_recindex_log(&logged, dig[k % 40000], &v);
		as_recindex_round_check(&logged);
	}
	assert_int_equal(ret, -ENOBUFS);
	assert_true(logged.pending == 10000);
	assert_true(logged.rounds >= 1);
	assert_true(logged.used == direct.used);
	as_recindex_count_sets(&direct, sd);
	as_recindex_count_sets(&logged, sl);
	assert_memory_equal(sd, sl, sizeof(sd));
	as_recindex_census(&direct, 120, set_lut, &dc);
	as_recindex_census(&logged, 120, set_lut, &lc);
	assert_memory_equal(&dc, &lc, sizeof(dc));
	as_recindex_release(&direct);
	as_recindex_release(&logged);
}

/*
 * The cap and the peak are the index's own measure, 26 bytes a record
 * not yet settled and an object as of the last settle: the same with
 * rounds (forced after every record, their timing the scheduler's) or
 * without, and the walk fails at the same record. Two devices of 30,000
 * records of 20,000 digests, a cap that the second reaches.
 */
static void cap_same_with_rounds(void **state)
{
	static unsigned char dig[20000][20];
	uint64_t seed = 5, peak[2] = { 0 }, pending[2] = { 0 }, used[2];

	(void)state;
	fill_digests(dig, 20000, &seed);
	for (unsigned rounds = 0; rounds < 2; rounds++) {
		struct as_recindex x;
		uint64_t out[5] = { 0 };
		int ret = 0;

		as_recindex_init(&x);
		x.cap_bytes = 45000 * AS_RECINDEX_HELD_BYTES;
		if (rounds)
			rounds_on(&x, 1000000, 0, NULL);
		for (unsigned dev = 0; dev < 2 && ret == 0; dev++) {
			for (unsigned k = 0; ret == 0 && k < 30000; k++) {
				struct as_recver v = {
					.lut = 100 + dev, .generation = 1,
					.set_id = 1,
				};

				ret = as_recindex_log(&x, dig[(k * 7 + dev) %
							      20000], &v);
				as_recindex_round_check(&x);
			}
			if (ret == 0)
				assert_int_equal(as_recindex_settle(&x, 1000000,
								    0, NULL,
								    out), 0);
		}
		assert_int_equal(ret, -ENOBUFS);
		peak[rounds] = x.peak_bytes;
		pending[rounds] = x.pending;
		used[rounds] = x.used;
		as_recindex_release(&x);
	}
	/* 20,000 objects, then 25,000 records of the second device. */
	assert_true(used[0] == 20000 && used[1] == 20000);
	assert_true(pending[0] == 25000 && pending[1] == 25000);
	assert_true(peak[0] == 45000 * AS_RECINDEX_HELD_BYTES);
	assert_true(peak[1] == peak[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(index_consistent),
		cmocka_unit_test(index_logged),
		cmocka_unit_test(index_logged_rounds),
		cmocka_unit_test(index_tag_collisions),
		cmocka_unit_test(last_settle_sets_counted),
		cmocka_unit_test(last_settle_sets_census),
		cmocka_unit_test(last_settle_sets_rounds),
		cmocka_unit_test(prints_collide),
		cmocka_unit_test(stress_rounds),
		cmocka_unit_test(census_before_settle),
		cmocka_unit_test(halt_not_idle),
		cmocka_unit_test(cap_same_with_rounds),
		cmocka_unit_test(dropped_given_back),
		cmocka_unit_test(cap_mid_round),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
