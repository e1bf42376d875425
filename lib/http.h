/*
 * http.h: the HTTP engine every crawler uses (libcurl multi), and the per-URL
 * `fetches` ledger.
 *
 * Requests are queued with wn_http_add() and come back, one at a time and in
 * completion order, from wn_http_next().  Between the two the engine reuses
 * connections (HTTP/2 multiplexing where offered), keeps each pool's rate and
 * concurrency limits, and retries 408/425/429/5xx answers and network errors
 * with exponential backoff and jitter, honouring Retry-After and
 * X-RateLimit-Reset.  Only http and https are allowed, redirects included (file
 * only behind the test-only allow_file option); TLS is verified.  Bodies are kept
 * in memory up to a cap.  URLs are never logged with their api_key.
 */
#ifndef WN_HTTP_H
#define WN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/db.h"
#include "lib/util.h"

#define WN_HTTP_MAX_BODY_DEFAULT	((size_t)256 * 1024 * 1024)
#define WN_HTTP_MAX_POOLS		16

struct wn_http;

struct wn_http_opts {
	int max_total;			/* transfers at once over all pools; 0 = 16 */
	long connect_timeout_ms;	/* 0 = 15000 */
	long timeout_ms;		/* whole transfer; 0 = 300000 */
	long stall_s;			/* abort below 1 byte/s for this long; 0 = 30 */
	int max_attempts;		/* tries per request; 0 = 6 */
	double backoff_s;		/* first retry delay; 0 = 1.0 */
	double backoff_max_s;		/* cap of one delay; 0 = 60 */
	double max_retry_after_s;	/* longer Retry-After: give up; 0 = 300 */
	size_t max_body;		/* 0 = WN_HTTP_MAX_BODY_DEFAULT */
	int allow_file;			/* TEST ONLY: also allow file:// URLs */
	const char *user_agent;		/* NULL = "winnow/VERSION" */
};

/* A request and, once wn_http_next() returned it, its result. */
struct wn_http_req {
	/* set by the caller (wn_http_req_new copies url) */
	char *url;			/* owned: may carry api_key */
	char *log_url;			/* owned: url with secrets removed */
	char *if_none_match;		/* owned, optional: conditional request */
	char *if_modified_since;	/* owned, optional */
	int pool;			/* from wn_http_pool_add(), or 0 */
	size_t max_body;		/* 0 = engine default */
	void *ud;			/* caller's */
	int kind;			/* caller's */

	/* result */
	long status;			/* last HTTP status, 0 if none */
	int err;			/* 0: a final HTTP answer (any status); else
					   -WN_ENET, -WN_EHTTP (retryable status, tries
					   spent), -WN_ETOOBIG, -EINVAL (URL refused) */
	char errmsg[256];		/* one line, no secrets */
	struct wn_buf body;		/* owned */
	char *etag;			/* owned: response ETag, quotes kept */
	char *last_modified;		/* owned */
	char *content_type;		/* owned */
	int attempts;			/* transfers made for this request */
	double elapsed_s;		/* since first start */

	/* private to the engine */
	struct wn_http_req *next;
	void *easy;
	void *hdrs;
	double not_before;
	double started;
	double retry_after;		/* from the last answer, seconds; <0 none */
	char curl_err[256];
};

int wn_http_new(const struct wn_http_opts *opts, struct wn_http **ret_http)
	__attribute__((warn_unused_result));
void wn_http_free(struct wn_http *h);

/* A pool of requests sharing limits: rate (requests per second, 0 = none) and
   concurrency (0 = only the global limit).  Pool 0 always exists (no limits). */
int wn_http_pool_add(struct wn_http *h, const char *name, double rate, int max_conns)
	__attribute__((warn_unused_result));

/* New request for url (http/https); NULL on OOM. */
struct wn_http_req *wn_http_req_new(const char *url, int pool, int kind, void *ud);
void wn_http_req_free(struct wn_http_req *r);

/* Queue a request; the engine owns it until wn_http_next() hands it back. */
void wn_http_add(struct wn_http *h, struct wn_http_req *r);

/*
 * Run transfers until one request is finished; 1 and *ret_req (caller owns it
 * again), 0 when nothing is queued or running, negative on an engine failure.
 */
int wn_http_next(struct wn_http *h, struct wn_http_req **ret_req)
	__attribute__((warn_unused_result));

/*
 * Queue a finished request again because its answer was unusable (checksum
 * mismatch, truncated content, an error inside a 200), with the same backoff as
 * a transport error.  Returns 1 if queued, 0 if its tries are spent (the caller
 * still owns it).
 */
int wn_http_retry(struct wn_http *h, struct wn_http_req *r, const char *why);

/* Requests queued or running. */
size_t wn_http_pending(const struct wn_http *h);

/* Copy of url without secrets (api_key, user:password@); NULL on OOM. */
char *wn_http_redact(const char *url);

/* Is this status worth retrying (408, 425, 429, 5xx)? */
int wn_http_status_retryable(long status);

/* ---- the fetches ledger ---------------------------------------------------- */

struct wn_fetch {
	int64_t id;
	char state[8];			/* pending, done, failed, gone */
	int attempts;
	long http_status;
	char *etag;			/* owned */
	char *last_modified;		/* owned */
	char *checksum;			/* owned */
	int64_t bytes;
	char *last_error;		/* owned */
};

struct wn_ledger {
	struct wn_db *db;		/* borrowed */
	void *get;			/* sqlite3_stmt, owned */
	void *put;
};

int wn_ledger_init(struct wn_ledger *l, struct wn_db *db)
	__attribute__((warn_unused_result));
void wn_ledger_release(struct wn_ledger *l);

/* 1 and *ret_f if url (redacted first) has a row, 0 if not. */
int wn_ledger_get(struct wn_ledger *l, const char *url, struct wn_fetch *ret_f)
	__attribute__((warn_unused_result));
void wn_fetch_release(struct wn_fetch *f);

/*
 * Insert or update the row of url (redacted first): state, attempts added,
 * status; etag, last_modified, checksum and bytes replace the old values only
 * when not NULL / >= 0; last_error always replaces (NULL clears).  Runs in the
 * caller's transaction, if any.
 */
int wn_ledger_put(struct wn_ledger *l, const char *url, const char *state,
		  int attempts, long status, const char *etag, const char *last_modified,
		  const char *checksum, int64_t bytes, const char *last_error)
	__attribute__((warn_unused_result));

#endif
