/*
 * mirror.h: winnow-mirror, a loopback replay server for the remote services
 * winnow crawls (E-utilities, the PMC cloud bucket, Europe PMC, Mastodon,
 * Bluesky), with deterministic fault injection.
 *
 * A data directory holds the corpus (see winnow-mirror(1), FILES):
 *   bucket/KEY                 objects of the PMC cloud bucket
 *   bucket.lastmod             Last-Modified of those objects (ISO 8601), optional
 *   eutils/esearch.tsv         TERM <TAB> id,id,...   (the ids a search returns)
 *   eutils/pmcrdat.tsv         ID <TAB> YYYY/MM/DD     (release dates, for mindate)
 *   recorded/index.tsv         recorded replies, looked up before anything else
 *   mastodon/TAG.json          a tag timeline (array of statuses, newest first)
 *   bluesky/posts.json         posts searchPosts answers from (array of postViews)
 *   scenarios/NAME/            overlays with the same layout, plus hide.txt (keys
 *                              that vanish) and faults.tsv (permanent faults)
 */
#ifndef WN_MIRROR_H
#define WN_MIRROR_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "lib/util.h"

#define MIRROR_MAX_FILE		(256u << 20)	/* largest object served */
#define MIRROR_MAX_INDEX	(16u << 20)	/* largest index or JSON file read */
#define MIRROR_MAX_UPLOAD	(1u << 20)	/* largest POST body accepted */
#define MIRROR_MAX_ARGS		256		/* query parameters per request */

enum mirror_fault_kind {
	MIRROR_F_NONE = 0,
	MIRROR_F_429,
	MIRROR_F_500,
	MIRROR_F_503,
	MIRROR_F_SLOW,
	MIRROR_F_TRUNCATE,
	MIRROR_F_BADMD5,
	MIRROR_F_DROP,
	MIRROR_F_GARBAGE,
	MIRROR_F_COUNT
};

struct mirror_obj {
	char *key;		/* owned: bucket key, e.g. "PMC123.1/PMC123.1.xml" */
	char *path;		/* owned: file on disk */
	int64_t size;
	char md5[33];		/* hex; the S3 ETag of a single-part object */
	time_t mtime;		/* Last-Modified */
};

struct mirror_rec {
	char *method;		/* owned */
	char *path;		/* owned */
	char *query;		/* owned: normalised query ("" for none) */
	int status;
	char *ctype;		/* owned */
	char *body;		/* owned: file path, or NULL for an empty body */
	char *headers;		/* owned: file of "Name: value" lines, or NULL */
};

struct mirror_search {
	char *term;		/* owned: lower case, spaces collapsed */
	char **ids;		/* owned */
	size_t nids;
};

struct mirror_pfault {
	char *path;		/* owned: request path, or bucket key with a leading '/' */
	enum mirror_fault_kind kind;
};

/* One scenario set: the base data directory plus overlays, merged. */
struct mirror_corpus {
	char *name;			/* owned: "" for the base, else "a,b" */
	char **dirs;			/* owned: base first, overlays after */
	size_t ndirs;
	struct mirror_obj *objs;	/* owned: sorted by key */
	size_t nobjs;
	struct mirror_rec *recs;	/* owned: later dirs first */
	size_t nrecs;
	struct mirror_search *searches;	/* owned */
	size_t nsearches;
	char **rdat_ids;		/* owned: pmcrdat.tsv */
	char **rdat_dates;		/* owned: YYYY/MM/DD */
	size_t nrdat;
	struct mirror_pfault *pfaults;	/* owned */
	size_t npfaults;
	struct mirror_corpus *next;	/* list of every corpus loaded, for freeing */
};

struct mirror_opts {
	const char *data;		/* borrowed: argv */
	const char *bind;
	const char *port_file;
	const char *log_path;
	const char *scenario;
	int port;
	double fault_rate;
	unsigned kinds;			/* bit mask of 1u << enum mirror_fault_kind */
	uint64_t seed;
	int latency_ms;
	int slow_ms;
	int retry_after;
	int max_consecutive;
};

struct mirror_attempt {
	uint64_t hash;			/* 0 = empty slot */
	uint32_t attempts;
	uint32_t consecutive;		/* faults in a row for this key */
};

/* E-utilities history server: one entry per WebEnv. */
struct mirror_hist {
	char webenv[40];
	char **ids;			/* owned */
	size_t nids;
};

#define MIRROR_MAX_HIST	256

struct mirror {
	const struct mirror_opts *o;
	pthread_mutex_t lock;		/* guards everything below */
	struct mirror_corpus *corpus;	/* current scenario set */
	struct mirror_corpus *all;	/* every corpus loaded */
	struct mirror_attempt *att;	/* open addressing on hash */
	size_t natt, catt;
	FILE *log;
	struct mirror_hist hist[MIRROR_MAX_HIST];	/* ring */
	size_t nhist;
	uint64_t nrequests;
	uint64_t nfaults;
};

/* A request, decoded. */
struct mirror_arg {
	char *key;			/* owned */
	char *val;			/* owned */
};

struct mirror_req {
	const char *method;		/* borrowed from libmicrohttpd */
	const char *path;		/* borrowed */
	struct mirror_arg *args;	/* owned, in arrival order */
	size_t nargs;
	char *norm;			/* owned: normalised query */
	const char *if_none_match;	/* borrowed, or NULL */
	const char *base;		/* borrowed: "http://127.0.0.1:PORT" */
};

struct mirror_hdr {
	char *name;			/* owned */
	char *val;			/* owned */
};

/* A reply before faults are applied. */
struct mirror_reply {
	int status;			/* 0 = not handled */
	char *ctype;			/* owned */
	char *body;			/* owned */
	size_t len;
	struct mirror_hdr *hdrs;	/* owned */
	size_t nhdrs;
	int binary;			/* body is file bytes (no text faults) */
};

/* corpus.c */
int mirror_corpus_load(const char *data, const char *scenario,
		       struct mirror_corpus **ret)
	__attribute__((warn_unused_result));
void mirror_corpus_free(struct mirror_corpus *c);
const struct mirror_obj *mirror_obj_find(const struct mirror_corpus *c, const char *key);
/* First object whose key is >= prefix; nobjs when none. */
size_t mirror_obj_lower(const struct mirror_corpus *c, const char *prefix);
/* Newest data file named rel (e.g. "mastodon/x.json") over the overlays, or NULL. */
char *mirror_corpus_file(const struct mirror_corpus *c, const char *rel);

/* request.c: arguments, normalisation, helpers shared by the services */
const char *mirror_arg(const struct mirror_req *r, const char *key);
int mirror_req_normalise(struct mirror_req *r) __attribute__((warn_unused_result));
void mirror_req_release(struct mirror_req *r);
/* Percent-encode everything but RFC 3986 unreserved characters. */
int mirror_pct_encode(struct wn_buf *b, const char *s) __attribute__((warn_unused_result));
int mirror_xml_escape(struct wn_buf *b, const char *s) __attribute__((warn_unused_result));
void mirror_reply_release(struct mirror_reply *rep);
int mirror_reply_set(struct mirror_reply *rep, int status, const char *ctype,
		     char *body, size_t len) __attribute__((warn_unused_result));
int mirror_reply_header(struct mirror_reply *rep, const char *name, const char *val)
	__attribute__((warn_unused_result));
void mirror_http_date(time_t t, char out[40]);
void mirror_iso_date(time_t t, char out[32]);
uint64_t mirror_mix64(uint64_t x);
int mirror_b64_encode(struct wn_buf *b, const void *data, size_t len)
	__attribute__((warn_unused_result));
int mirror_b64_decode(const char *s, char **ret) __attribute__((warn_unused_result));
/* Move a buffer into the reply body. */
int mirror_reply_buf(struct mirror_reply *rep, int status, const char *ctype,
		     struct wn_buf *b) __attribute__((warn_unused_result));
/* Serialise j (keys in insertion order) into the reply body. */
int mirror_reply_json(struct mirror_reply *rep, int status, json_t *j)
	__attribute__((warn_unused_result));
int mirror_reply_text(struct mirror_reply *rep, int status, const char *ctype,
		      const char *text) __attribute__((warn_unused_result));
int mirror_reply_subst(struct mirror_reply *rep, const char *base)
	__attribute__((warn_unused_result));
/* Read an object or data file into a reply body (200). */
int mirror_reply_file(struct mirror_reply *rep, const char *path, const char *ctype)
	__attribute__((warn_unused_result));

/* service handlers: 0 = not mine (rep untouched), 1 = reply set, <0 error */
int mirror_s3(const struct mirror_corpus *c, const struct mirror_req *r,
	      struct mirror_reply *rep);
int mirror_eutils(struct mirror *m, const struct mirror_corpus *c,
		  const struct mirror_req *r, struct mirror_reply *rep);
int mirror_social(const struct mirror_corpus *c, const struct mirror_req *r,
		  struct mirror_reply *rep);
int mirror_oa(const struct mirror_corpus *c, const struct mirror_req *r,
	      struct mirror_reply *rep);
int mirror_recorded(const struct mirror_corpus *c, const struct mirror_req *r,
		    struct mirror_reply *rep);

/* eutils.c, shared with Europe PMC */
int mirror_search_ids(const struct mirror_corpus *c, const char *term, const char ***ret_ids,
		      size_t *ret_n) __attribute__((warn_unused_result));
/* Newest version of PMC<id>: its JATS ("PMC<id>.<N>/PMC<id>.<N>.xml") or its
 * metadata ("metadata/PMC<id>.<N>.json"); NULL when the bucket has none. */
const struct mirror_obj *mirror_newest(const struct mirror_corpus *c, const char *id,
				       int metadata);

/* faults.c */
int mirror_parse_kinds(const char *s, unsigned *ret_mask) __attribute__((warn_unused_result));
const char *mirror_fault_name(enum mirror_fault_kind k);
enum mirror_fault_kind mirror_fault_from_name(const char *s);
enum mirror_fault_kind mirror_fault_decide(struct mirror *m, const struct mirror_corpus *c,
					   const struct mirror_req *r);

#endif
