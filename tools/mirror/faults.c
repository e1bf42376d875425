/*
 * faults.c: deterministic fault injection.
 *
 * Whether a request fails, and how, is a hash of the seed, the request key
 * (method, path, normalised query) and the attempt number of that key, so a
 * run with the same seed and the same requests fails in the same places, and
 * a retry gets a fresh draw.  No key fails more than --max-consecutive-faults
 * times in a row, so a client that retries enough always completes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"
#include "tools/mirror/mirror.h"
#include "lib/banned.h"

static const char *const names[MIRROR_F_COUNT] = {
	[MIRROR_F_NONE] = "none",
	[MIRROR_F_429] = "429",
	[MIRROR_F_500] = "500",
	[MIRROR_F_503] = "503",
	[MIRROR_F_SLOW] = "slow",
	[MIRROR_F_TRUNCATE] = "truncate",
	[MIRROR_F_BADMD5] = "bad-md5",
	[MIRROR_F_DROP] = "drop",
	[MIRROR_F_GARBAGE] = "garbage",
};

const char *
mirror_fault_name(enum mirror_fault_kind k)
{
	return k < MIRROR_F_COUNT ? names[k] : "?";
}

enum mirror_fault_kind
mirror_fault_from_name(const char *s)
{
	for (int k = MIRROR_F_NONE + 1; k < MIRROR_F_COUNT; k++)
		if (strcmp(s, names[k]) == 0)
			return (enum mirror_fault_kind)k;
	return MIRROR_F_NONE;
}

int
mirror_parse_kinds(const char *s, unsigned *ret_mask)
{
	unsigned mask = 0;
	const char *p = s;

	if (strcmp(s, "all") == 0) {
		*ret_mask = ((1u << MIRROR_F_COUNT) - 1) & ~1u;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		char name[32];
		enum mirror_fault_kind k;

		if (n == 0 || n >= sizeof(name))
			return -EINVAL;
		memcpy(name, p, n);
		name[n] = '\0';
		k = mirror_fault_from_name(name);
		if (k == MIRROR_F_NONE)
			return -EINVAL;
		mask |= 1u << k;
		p += n;
		if (*p == ',')
			p++;
	}
	if (mask == 0)
		return -EINVAL;
	*ret_mask = mask;
	return 0;
}

/* The attempt record of a key; NULL on OOM.  Called with m->lock held. */
static struct mirror_attempt *
attempt_slot(struct mirror *m, uint64_t h)
{
	size_t i;

	if ((m->natt + 1) * 10 >= m->catt * 7) {
		size_t cap = m->catt ? m->catt * 2 : 1024;
		struct mirror_attempt *v = calloc(cap, sizeof(*v));

		if (v == NULL)
			return NULL;
		for (size_t k = 0; k < m->catt; k++) {
			if (m->att[k].hash == 0)
				continue;
			for (i = m->att[k].hash & (cap - 1); v[i].hash; i = (i + 1) & (cap - 1))
				;
			v[i] = m->att[k];
		}
		free(m->att);
		m->att = v;
		m->catt = cap;
	}
	for (i = h & (m->catt - 1); m->att[i].hash; i = (i + 1) & (m->catt - 1))
		if (m->att[i].hash == h)
			return &m->att[i];
	m->att[i].hash = h;
	m->natt++;
	return &m->att[i];
}

enum mirror_fault_kind
mirror_fault_decide(struct mirror *m, const struct mirror_corpus *c,
		    const struct mirror_req *r)
{
	const struct mirror_opts *o = m->o;
	enum mirror_fault_kind kind = MIRROR_F_NONE;
	struct mirror_attempt *a;
	struct wn_buf key;
	uint64_t h, x;
	int enabled[MIRROR_F_COUNT], n = 0;

	for (size_t i = 0; i < c->npfaults; i++)
		if (strcmp(c->pfaults[i].path, r->path) == 0)
			return c->pfaults[i].kind;
	if (o->fault_rate <= 0.0)
		return MIRROR_F_NONE;
	for (int k = 1; k < MIRROR_F_COUNT; k++)
		if (o->kinds & (1u << k))
			enabled[n++] = k;
	if (n == 0)
		return MIRROR_F_NONE;
	wn_buf_init(&key, 0);
	if (wn_buf_printf(&key, "%s %s?%s", strcmp(r->method, "HEAD") == 0 ? "GET" : r->method,
			  r->path, r->norm) < 0) {
		wn_buf_release(&key);
		return MIRROR_F_NONE;
	}
	h = wn_hash64(key.data, key.len);
	wn_buf_release(&key);
	if (h == 0)
		h = 1;
	pthread_mutex_lock(&m->lock);
	a = attempt_slot(m, h);
	if (a != NULL) {
		x = mirror_mix64(o->seed ^ mirror_mix64(h ^ mirror_mix64(a->attempts)));
		a->attempts++;
		if ((double)(x >> 11) * 0x1.0p-53 < o->fault_rate &&
		    a->consecutive < (uint32_t)o->max_consecutive) {
			kind = (enum mirror_fault_kind)enabled[mirror_mix64(x) % (uint64_t)n];
			a->consecutive++;
		} else {
			a->consecutive = 0;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return kind;
}
