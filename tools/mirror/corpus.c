/*
 * corpus.c: load a data directory and its scenario overlays into memory.
 *
 * Only the index is kept in memory (keys, sizes, MD5s, recorded reply table);
 * bodies are read from disk per request, so a corpus of any size starts fast.
 */
#define _GNU_SOURCE	/* memmem, strptime */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/digest.h"
#include "lib/log.h"
#include "lib/util.h"
#include "tools/mirror/mirror.h"
#include "lib/banned.h"

#define DEFAULT_LASTMOD	"2026-01-08T11:47:59.000Z"	/* from the bucket inventory */
#define MAX_OBJS	(1u << 22)
#define MAX_DEPTH	8

struct objvec {
	struct mirror_obj *v;	/* owned */
	size_t n, cap;
	size_t *order;		/* owned: dir index per object, for "later wins" */
};

static char *
path_join(const char *a, const char *b)
{
	struct wn_buf buf;

	wn_buf_init(&buf, 0);
	if (wn_buf_printf(&buf, "%s/%s", a, b) < 0) {
		wn_buf_release(&buf);
		return NULL;
	}
	return wn_buf_detach(&buf, NULL);
}

static int
parse_iso(const char *s, time_t *ret)
{
	struct tm tm = { 0 };
	const char *end;

	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return -EINVAL;
	*ret = timegm(&tm);
	return 0;
}

/* Read a small text file; NULL data and 0 when it does not exist. */
static int
read_opt(const char *path, char **ret_data)
{
	size_t len;
	int rc;

	*ret_data = NULL;
	rc = wn_read_file(path, MIRROR_MAX_INDEX, ret_data, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	return 1;
}

/* Split s at TABs in place; returns the number of fields (at most max). */
static size_t
split_tabs(char *s, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = s;
		s = strchr(s, '\t');
		if (s == NULL)
			break;
		*s++ = '\0';
	}
	return n;
}

static int
file_md5(const char *path, int64_t size, char out[33])
{
	char *data = NULL;
	size_t len;
	int rc;

	if (size > (int64_t)MIRROR_MAX_FILE)
		return -WN_ETOOBIG;
	rc = wn_read_file(path, MIRROR_MAX_FILE, &data, &len);
	if (rc < 0)
		return rc;
	rc = wn_md5_hex(data, len, out);
	free(data);
	return rc;
}

static int
objvec_add(struct objvec *ov, const char *key, const char *path, int64_t size,
	   time_t mtime, size_t dir)
{
	struct mirror_obj *o;

	if (ov->n == ov->cap) {
		size_t cap = ov->cap ? ov->cap * 2 : 256;
		struct mirror_obj *v;
		size_t *ord;

		if (cap > MAX_OBJS)
			return -WN_ETOOBIG;
		v = realloc(ov->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		ov->v = v;
		ord = realloc(ov->order, cap * sizeof(*ord));
		if (ord == NULL)
			return -ENOMEM;
		ov->order = ord;
		ov->cap = cap;
	}
	o = &ov->v[ov->n];
	memset(o, 0, sizeof(*o));
	o->key = strdup(key);
	o->path = strdup(path);
	if (o->key == NULL || o->path == NULL) {
		free(o->key);
		free(o->path);
		return -ENOMEM;
	}
	o->size = size;
	o->mtime = mtime;
	ov->order[ov->n] = dir;
	ov->n++;
	return file_md5(path, size, o->md5);
}

static int
walk(struct objvec *ov, const char *dirpath, const char *prefix, time_t mtime,
     size_t dir, int depth)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (depth > MAX_DEPTH)
		return -WN_ETOOBIG;
	d = opendir(dirpath);
	if (d == NULL)
		return errno == ENOENT && depth == 0 ? 0 : -errno;
	while ((e = readdir(d)) != NULL) {
		char *path = NULL, *key = NULL;
		struct stat st;
		struct wn_buf kb;

		if (e->d_name[0] == '.')
			continue;
		path = path_join(dirpath, e->d_name);
		wn_buf_init(&kb, 0);
		if (path == NULL || wn_buf_printf(&kb, "%s%s", prefix, e->d_name) < 0) {
			free(path);
			wn_buf_release(&kb);
			rc = -ENOMEM;
			break;
		}
		key = kb.data;
		if (stat(path, &st) < 0) {
			rc = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			if (wn_buf_addstr(&kb, "/") < 0)
				rc = -ENOMEM;
			else
				rc = walk(ov, path, kb.data, mtime, dir, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			rc = objvec_add(ov, key, path, st.st_size, mtime, dir);
		}
		free(path);
		wn_buf_release(&kb);
		if (rc < 0)
			break;
	}
	closedir(d);
	return rc;
}

static int
cmp_obj_idx(const void *a, const void *b, void *ctx)
{
	const struct objvec *ov = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(ov->v[i].key, ov->v[j].key);

	if (c)
		return c;
	return ov->order[i] < ov->order[j] ? -1 : ov->order[i] > ov->order[j];
}

static const struct objvec *sort_ctx;

static int
cmp_idx(const void *a, const void *b)
{
	return cmp_obj_idx(a, b, (void *)sort_ctx);
}

static void
obj_release(struct mirror_obj *o)
{
	free(o->key);
	free(o->path);
}

static int
is_hidden(char **hidden, size_t nhidden, const char *key)
{
	for (size_t i = 0; i < nhidden; i++)
		if (strcmp(hidden[i], key) == 0)
			return 1;
	return 0;
}

/* Merge: sort by key then dir, keep the last of each key, drop hidden keys. */
static int
objs_finish(struct mirror_corpus *c, struct objvec *ov, char **hidden, size_t nhidden)
{
	size_t *idx, n = 0;

	c->objs = calloc(ov->n ? ov->n : 1, sizeof(*c->objs));
	idx = malloc((ov->n ? ov->n : 1) * sizeof(*idx));
	if (c->objs == NULL || idx == NULL) {
		free(idx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ov->n; i++)
		idx[i] = i;
	sort_ctx = ov;
	qsort(idx, ov->n, sizeof(*idx), cmp_idx);
	for (size_t i = 0; i < ov->n; i++) {
		struct mirror_obj *o = &ov->v[idx[i]];
		int last = i + 1 == ov->n || strcmp(o->key, ov->v[idx[i + 1]].key) != 0;

		if (last && !is_hidden(hidden, nhidden, o->key)) {
			c->objs[n++] = *o;
			memset(o, 0, sizeof(*o));
		}
	}
	for (size_t i = 0; i < ov->n; i++)
		obj_release(&ov->v[i]);
	free(idx);
	c->nobjs = n;
	return 0;
}

static void
lower_collapse(char *s)
{
	char *w = s;
	int sp = 1;

	for (char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (isspace(ch)) {
			if (!sp)
				*w++ = ' ';
			sp = 1;
			continue;
		}
		*w++ = (char)tolower(ch);
		sp = 0;
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

/*
 * Call fn for every line of the text file path that is neither empty nor a
 * comment ('#'), split in place at TABs into at most maxf fields.  A missing
 * file is no error.  fn returns < 0 to stop with that error.
 */
typedef int (*line_fn)(void *ud, const char *path, char **f, size_t nf);

static int
for_each_line(const char *path, size_t maxf, line_fn fn, void *ud)
{
	char *data = NULL, *line, *next, *f[8];
	int rc;

	if (path == NULL)
		return -ENOMEM;
	if (maxf > sizeof(f) / sizeof(f[0]))
		return -EINVAL;
	rc = read_opt(path, &data);
	if (rc <= 0)
		return rc;
	rc = 0;
	for (line = data; line && *line && rc >= 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		rc = fn(ud, path, f, split_tabs(line, f, maxf));
	}
	free(data);
	return rc < 0 ? rc : 0;
}

/* Grow the array *v of *n entries of size bytes by one zeroed entry;
   that entry, or NULL when out of memory. */
static void *
push_slot(void *v, size_t *n, size_t size)
{
	void **pv = v;
	char *nv = realloc(*pv, (*n + 1) * size);

	if (nv == NULL)
		return NULL;
	*pv = nv;
	memset(nv + *n * size, 0, size);
	return nv + (*n)++ * size;
}

/* Append a copy of s to the string array *v of *n entries. */
static int
push_str(char ***v, size_t *n, const char *s)
{
	char **slot = push_slot(v, n, sizeof(**v));

	if (slot == NULL || (*slot = strdup(s)) == NULL)
		return -ENOMEM;
	return 0;
}

/* eutils/esearch.tsv: TERM, then the PMC ids it finds, comma-separated. */
static int
search_line(void *ud, const char *path, char **f, size_t nf)
{
	struct mirror_corpus *c = ud;
	struct mirror_search *s;
	char *id, *save = NULL;

	(void)path;
	if (nf != 2)
		return 0;
	s = push_slot(&c->searches, &c->nsearches, sizeof(*s));
	if (s == NULL || (s->term = strdup(f[0])) == NULL)
		return -ENOMEM;
	lower_collapse(s->term);
	for (id = strtok_r(f[1], ", ", &save); id;
	     id = strtok_r(NULL, ", ", &save))
		if (push_str(&s->ids, &s->nids, id) < 0)
			return -ENOMEM;
	return 0;
}

/* eutils/pmcrdat.tsv: PMC id, release date. */
static int
rdat_line(void *ud, const char *path, char **f, size_t nf)
{
	struct mirror_corpus *c = ud;
	size_t n = c->nrdat;

	(void)path;
	if (nf != 2)
		return 0;
	if (push_str(&c->rdat_ids, &n, f[0]) < 0 ||
	    push_str(&c->rdat_dates, &c->nrdat, f[1]) < 0)
		return -ENOMEM;
	return 0;
}

struct recorded_ctx {
	struct mirror_corpus *c;
	const char *rdir;
};

/* recorded/index.tsv: METHOD PATH QUERY STATUS TYPE BODY [HEADERS]. */
static int
recorded_line(void *ud, const char *path, char **f, size_t nf)
{
	struct recorded_ctx *x = ud;
	struct mirror_corpus *c = x->c;
	struct mirror_rec *r;
	int status;

	if (nf < 6 || wn_parse_int(f[3], 100, 599, &status) < 0) {
		wn_warn("%s: bad line '%.40s', skipping", path, f[0]);
		return 0;
	}
	if ((r = push_slot(&c->recs, &c->nrecs, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->status = status;
	r->method = strdup(f[0]);
	r->path = strdup(f[1]);
	r->query = strdup(strcmp(f[2], "-") == 0 ? "" : f[2]);
	r->ctype = strdup(f[4]);
	if (strcmp(f[5], "-") != 0)
		r->body = path_join(x->rdir, f[5]);
	if (nf > 6 && strcmp(f[6], "-") != 0 && f[6][0] != '\0')
		r->headers = path_join(x->rdir, f[6]);
	if (!r->method || !r->path || !r->query || !r->ctype ||
	    (strcmp(f[5], "-") != 0 && !r->body))
		return -ENOMEM;
	return 0;
}

/* faults.tsv: PATH, fault name. */
static int
pfault_line(void *ud, const char *path, char **f, size_t nf)
{
	struct mirror_corpus *c = ud;
	struct mirror_pfault *pf;
	enum mirror_fault_kind k;

	if (nf != 2 || (k = mirror_fault_from_name(f[1])) == MIRROR_F_NONE) {
		wn_warn("%s: bad line '%.40s', skipping", path, f[0]);
		return 0;
	}
	if ((pf = push_slot(&c->pfaults, &c->npfaults, sizeof(*pf))) == NULL)
		return -ENOMEM;
	pf->kind = k;
	if ((pf->path = strdup(f[0])) == NULL)
		return -ENOMEM;
	return 0;
}

struct hidden_ctx {
	char ***v;
	size_t *n;
};

/* hide.txt: one path per line. */
static int
hidden_line(void *ud, const char *path, char **f, size_t nf)
{
	struct hidden_ctx *x = ud;

	(void)path;
	(void)nf;
	return push_str(x->v, x->n, f[0]);
}

static int
load_lines(const char *dir, const char *name, size_t maxf, line_fn fn,
	   void *ud)
{
	char *path = path_join(dir, name);
	int rc = for_each_line(path, maxf, fn, ud);

	free(path);
	return rc;
}

static int
load_searches(struct mirror_corpus *c, const char *dir)
{
	return load_lines(dir, "eutils/esearch.tsv", 2, search_line, c);
}

static int
load_rdat(struct mirror_corpus *c, const char *dir)
{
	return load_lines(dir, "eutils/pmcrdat.tsv", 2, rdat_line, c);
}

static int
load_recorded(struct mirror_corpus *c, const char *dir)
{
	struct recorded_ctx x = { c, path_join(dir, "recorded") };
	int rc = x.rdir == NULL ? -ENOMEM
		 : load_lines(x.rdir, "index.tsv", 7, recorded_line, &x);

	free((char *)x.rdir);
	return rc;
}

static int
load_pfaults(struct mirror_corpus *c, const char *dir)
{
	return load_lines(dir, "faults.tsv", 2, pfault_line, c);
}

static int
load_hidden(const char *dir, char ***hidden, size_t *nhidden)
{
	struct hidden_ctx x = { hidden, nhidden };

	return load_lines(dir, "hide.txt", 1, hidden_line, &x);
}

static int
dir_lastmod(const char *dir, time_t *ret)
{
	char *path = path_join(dir, "bucket.lastmod"), *data = NULL;
	int rc;

	if (path == NULL)
		return -ENOMEM;
	rc = read_opt(path, &data);
	free(path);
	if (rc < 0)
		return rc;
	rc = parse_iso(rc ? data : DEFAULT_LASTMOD, ret);
	free(data);
	return rc;
}

static int
add_dir(struct mirror_corpus *c, const char *dir)
{
	return push_str(&c->dirs, &c->ndirs, dir);
}

int
mirror_corpus_load(const char *data, const char *scenario, struct mirror_corpus **ret)
{
	struct mirror_corpus *c = calloc(1, sizeof(*c));
	struct objvec ov = { 0 };
	char **hidden = NULL, *list = NULL, *save = NULL, *name;
	size_t nhidden = 0;
	struct stat st;
	int rc;

	if (c == NULL)
		return -ENOMEM;
	c->name = strdup(scenario ? scenario : "");
	if (c->name == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (stat(data, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rc = stat(data, &st) < 0 ? -errno : -ENOTDIR;
		goto out;
	}
	rc = add_dir(c, data);
	if (rc < 0)
		goto out;
	if (scenario && *scenario) {
		list = strdup(scenario);
		if (list == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
			struct wn_buf b;

			if (strchr(name, '/') || name[0] == '.') {
				rc = -EINVAL;
				goto out;
			}
			wn_buf_init(&b, 0);
			if (wn_buf_printf(&b, "%s/scenarios/%s", data, name) < 0) {
				wn_buf_release(&b);
				rc = -ENOMEM;
				goto out;
			}
			if (stat(b.data, &st) < 0 || !S_ISDIR(st.st_mode)) {
				wn_error("no scenario '%s' in '%s/scenarios'", name, data);
				wn_buf_release(&b);
				rc = -ENOENT;
				goto out;
			}
			rc = add_dir(c, b.data);
			wn_buf_release(&b);
			if (rc < 0)
				goto out;
		}
	}
	/* Later overlays first for recorded replies, so that they win. */
	for (size_t i = c->ndirs; i-- > 0;) {
		rc = load_recorded(c, c->dirs[i]);
		if (rc < 0)
			goto out;
		rc = load_searches(c, c->dirs[i]);
		if (rc < 0)
			goto out;
		rc = load_rdat(c, c->dirs[i]);
		if (rc < 0)
			goto out;
		rc = load_pfaults(c, c->dirs[i]);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < c->ndirs; i++) {
		char *bdir = path_join(c->dirs[i], "bucket");
		time_t mt;

		if (bdir == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		rc = dir_lastmod(c->dirs[i], &mt);
		if (rc == 0)
			rc = walk(&ov, bdir, "", mt, i, 0);
		free(bdir);
		if (rc < 0)
			goto out;
		if (i > 0) {
			rc = load_hidden(c->dirs[i], &hidden, &nhidden);
			if (rc < 0)
				goto out;
		}
	}
	rc = objs_finish(c, &ov, hidden, nhidden);
	if (rc < 0)
		goto out;
	*ret = c;
	c = NULL;
	rc = 0;
out:
	if (rc < 0)
		for (size_t i = 0; i < ov.n; i++)
			obj_release(&ov.v[i]);
	free(ov.v);
	free(ov.order);
	for (size_t i = 0; i < nhidden; i++)
		free(hidden[i]);
	free(hidden);
	free(list);
	mirror_corpus_free(c);
	return rc;
}

void
mirror_corpus_free(struct mirror_corpus *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nobjs; i++)
		obj_release(&c->objs[i]);
	free(c->objs);
	for (size_t i = 0; i < c->nrecs; i++) {
		struct mirror_rec *r = &c->recs[i];

		free(r->method);
		free(r->path);
		free(r->query);
		free(r->ctype);
		free(r->body);
		free(r->headers);
	}
	free(c->recs);
	for (size_t i = 0; i < c->nsearches; i++) {
		for (size_t j = 0; j < c->searches[i].nids; j++)
			free(c->searches[i].ids[j]);
		free(c->searches[i].ids);
		free(c->searches[i].term);
	}
	free(c->searches);
	for (size_t i = 0; i < c->nrdat; i++) {
		free(c->rdat_ids[i]);
		free(c->rdat_dates[i]);
	}
	free(c->rdat_ids);
	free(c->rdat_dates);
	for (size_t i = 0; i < c->npfaults; i++)
		free(c->pfaults[i].path);
	free(c->pfaults);
	for (size_t i = 0; i < c->ndirs; i++)
		free(c->dirs[i]);
	free(c->dirs);
	free(c->name);
	free(c);
}

size_t
mirror_obj_lower(const struct mirror_corpus *c, const char *prefix)
{
	size_t lo = 0, hi = c->nobjs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(c->objs[mid].key, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct mirror_obj *
mirror_obj_find(const struct mirror_corpus *c, const char *key)
{
	size_t i = mirror_obj_lower(c, key);

	if (i < c->nobjs && strcmp(c->objs[i].key, key) == 0)
		return &c->objs[i];
	return NULL;
}

char *
mirror_corpus_file(const struct mirror_corpus *c, const char *rel)
{
	for (size_t i = c->ndirs; i-- > 0;) {
		char *p = path_join(c->dirs[i], rel);
		struct stat st;

		if (p == NULL)
			return NULL;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			return p;
		free(p);
	}
	return NULL;
}
