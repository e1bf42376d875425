/*
 * http.c: libcurl multi engine with pools, retries and the fetches ledger.
 *
 * One thread drives everything: wn_http_next() starts what the limits allow,
 * polls, and collects finished transfers.  A retry is the same request queued
 * again with a not_before time; the ledger is written by the caller, which knows
 * what a good answer is.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sqlite3.h>

#include "lib/http.h"
#include "lib/log.h"
#include "wn-config.h"
#include "lib/banned.h"

struct pool {
	char name[48];
	double interval;	/* seconds between starts; 0 = no rate limit */
	int max_conns;		/* 0 = unlimited */
	int active;
	double next_at;		/* earliest next start */
};

struct wn_http {
	struct wn_http_opts o;
	CURLM *multi;
	struct pool pools[WN_HTTP_MAX_POOLS];
	int npools;
	struct wn_http_req *wait_head, *wait_tail;	/* queued, not started */
	struct wn_http_req *done_head, *done_tail;	/* finished, not returned */
	struct wn_http_req *run_head;			/* transfers in progress */
	size_t nwait, nrun, ndone;
	uint64_t rng;
	char user_agent[64];
};

static void
q_push(struct wn_http_req **head, struct wn_http_req **tail, struct wn_http_req *r)
{
	r->next = NULL;
	if (*tail != NULL)
		(*tail)->next = r;
	else
		*head = r;
	*tail = r;
}

static double
rnd01(struct wn_http *h)
{
	/* xorshift64*: jitter only, no security use */
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return (double)((h->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

int
wn_http_status_retryable(long s)
{
	return s == 408 || s == 425 || s == 429 || s == 500 || s == 502 || s == 503 ||
	       s == 504;
}

static int
curl_retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP3:
		return 1;
	default:
		return 0;
	}
}

int
wn_http_new(const struct wn_http_opts *opts, struct wn_http **ret_http)
{
	static int global_done;
	struct wn_http *h;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -ENOMEM;
		global_done = 1;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	if (opts != NULL)
		h->o = *opts;
	if (h->o.max_total <= 0)
		h->o.max_total = 16;
	if (h->o.connect_timeout_ms <= 0)
		h->o.connect_timeout_ms = 15000;
	if (h->o.timeout_ms <= 0)
		h->o.timeout_ms = 300000;
	if (h->o.stall_s <= 0)
		h->o.stall_s = 30;
	if (h->o.max_attempts <= 0)
		h->o.max_attempts = 6;
	if (h->o.backoff_s <= 0)
		h->o.backoff_s = 1.0;
	if (h->o.backoff_max_s <= 0)
		h->o.backoff_max_s = 60;
	if (h->o.max_retry_after_s <= 0)
		h->o.max_retry_after_s = 300;
	if (h->o.max_body == 0)
		h->o.max_body = WN_HTTP_MAX_BODY_DEFAULT;
	snprintf(h->user_agent, sizeof(h->user_agent), "%s",
		 h->o.user_agent != NULL ? h->o.user_agent : "winnow/" WN_VERSION);
	h->o.user_agent = h->user_agent;
	h->rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid();
	if (h->rng == 0)
		h->rng = 1;
	h->multi = curl_multi_init();
	if (h->multi == NULL) {
		free(h);
		return -ENOMEM;
	}
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)h->o.max_total);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->o.max_total * 2);
	snprintf(h->pools[0].name, sizeof(h->pools[0].name), "default");
	h->npools = 1;
	*ret_http = h;
	return 0;
}

int
wn_http_pool_add(struct wn_http *h, const char *name, double rate, int max_conns)
{
	struct pool *p;

	if (h->npools >= WN_HTTP_MAX_POOLS || rate < 0 || max_conns < 0)
		return -EINVAL;
	p = &h->pools[h->npools];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->interval = rate > 0 ? 1.0 / rate : 0;
	p->max_conns = max_conns;
	return h->npools++;
}

struct wn_http_req *
wn_http_req_new(const char *url, int pool, int kind, void *ud)
{
	struct wn_http_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->url = strdup(url);
	r->log_url = wn_http_redact(url);
	if (r->url == NULL || r->log_url == NULL) {
		wn_http_req_free(r);
		return NULL;
	}
	r->pool = pool;
	r->kind = kind;
	r->ud = ud;
	r->retry_after = -1;
	wn_buf_init(&r->body, 0);
	return r;
}

static void
req_reset_result(struct wn_http_req *r)
{
	wn_buf_release(&r->body);
	free(r->etag);
	free(r->last_modified);
	free(r->content_type);
	r->etag = r->last_modified = r->content_type = NULL;
	r->status = 0;
	r->err = 0;
	r->errmsg[0] = '\0';
	r->retry_after = -1;
	r->curl_err[0] = '\0';
}

void
wn_http_req_free(struct wn_http_req *r)
{
	if (r == NULL)
		return;
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	req_reset_result(r);
	free(r->url);
	free(r->log_url);
	free(r->if_none_match);
	free(r->if_modified_since);
	free(r);
}

/* ---- redaction ------------------------------------------------------------ */

static int
secret_param(const char *p, size_t n)
{
	static const char *const names[] = { "api_key", "apikey", "access_token",
					     "password", "token", NULL };
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == n && strncasecmp(p, names[i], n) == 0)
			return 1;
	return 0;
}

char *
wn_http_redact(const char *url)
{
	struct wn_buf b;
	const char *p = url, *scheme_end, *auth_end, *at, *q;

	wn_buf_init(&b, 0);
	scheme_end = strstr(url, "://");
	if (scheme_end != NULL) {
		const char *host = scheme_end + 3;

		auth_end = host + strcspn(host, "/?#");
		at = memchr(host, '@', (size_t)(auth_end - host));
		if (wn_buf_add(&b, url, (size_t)(host - url)) < 0)
			goto oom;
		p = at != NULL ? at + 1 : host;
	}
	q = strchr(p, '?');
	if (q == NULL) {
		if (wn_buf_addstr(&b, p) < 0)
			goto oom;
		return wn_buf_detach(&b, NULL);
	}
	if (wn_buf_add(&b, p, (size_t)(q - p)) < 0)
		goto oom;
	q++;
	{
		int first = 1;

		while (*q != '\0' && *q != '#') {
			size_t n = strcspn(q, "&#"), k = strcspn(q, "=&#");

			if (n > 0 && !secret_param(q, k < n ? k : n)) {
				if (wn_buf_addstr(&b, first ? "?" : "&") < 0 ||
				    wn_buf_add(&b, q, n) < 0)
					goto oom;
				first = 0;
			}
			q += n;
			if (*q == '&')
				q++;
		}
		if (*q == '#' && wn_buf_addstr(&b, q) < 0)
			goto oom;
	}
	return wn_buf_detach(&b, NULL);
oom:
	wn_buf_release(&b);
	return NULL;
}

/* ---- transfers ------------------------------------------------------------ */

static size_t
on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct wn_http_req *r = ud;
	size_t n = size * nmemb;

	if (wn_buf_add(&r->body, data, n) < 0)
		return 0;	/* too big or OOM: abort with CURLE_WRITE_ERROR */
	return n;
}

static char *
header_value(const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *v, *e;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	v = line + nl + 1;
	e = line + len;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return strndup(v, (size_t)(e - v));
}

/* Seconds to wait from a Retry-After value: delta seconds or an HTTP date. */
static double
parse_retry_after(const char *v)
{
	char *end;
	double d;
	struct tm tm;

	errno = 0;
	d = strtod(v, &end);
	if (errno == 0 && end != v && *end == '\0' && d >= 0)
		return d;
	memset(&tm, 0, sizeof(tm));
	if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL) {
		time_t t = timegm(&tm);
		double delta = difftime(t, time(NULL));

		return delta > 0 ? delta : 0;
	}
	return -1;
}

static size_t
on_header(char *line, size_t size, size_t nmemb, void *ud)
{
	struct wn_http_req *r = ud;
	size_t n = size * nmemb;
	char *v;

	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* a new response (redirect, 100-continue): forget the old headers */
		free(r->etag);
		free(r->last_modified);
		free(r->content_type);
		r->etag = r->last_modified = r->content_type = NULL;
		r->retry_after = -1;
		return n;
	}
	if ((v = header_value(line, n, "ETag")) != NULL) {
		free(r->etag);
		r->etag = v;
	} else if ((v = header_value(line, n, "Last-Modified")) != NULL) {
		free(r->last_modified);
		r->last_modified = v;
	} else if ((v = header_value(line, n, "Content-Type")) != NULL) {
		free(r->content_type);
		r->content_type = v;
	} else if ((v = header_value(line, n, "Retry-After")) != NULL) {
		r->retry_after = parse_retry_after(v);
		free(v);
	} else if ((v = header_value(line, n, "X-RateLimit-Reset")) != NULL ||
		   (v = header_value(line, n, "RateLimit-Reset")) != NULL ||
		   (v = header_value(line, n, "X-Rate-Limit-Reset")) != NULL) {
		char *end;
		double d = strtod(v, &end);

		if (end != v && d >= 0 && r->retry_after < 0) {
			/* epoch seconds (large) or seconds from now (small) */
			if (d > 1e9)
				d = difftime((time_t)d, time(NULL));
			r->retry_after = d > 0 ? d : 0;
		}
		free(v);
	}
	return n;
}

static int
start_one(struct wn_http *h, struct wn_http_req *r, double now)
{
	CURL *e;
	struct curl_slist *hl = NULL;
	char buf[1100];

	req_reset_result(r);
	wn_buf_init(&r->body, r->max_body ? r->max_body : h->o.max_body);
	e = curl_easy_init();
	if (e == NULL)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, h->o.allow_file ? "http,https,file"
								     : "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 8L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->o.user_agent);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, h->o.stall_s);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)(r->max_body ? r->max_body : h->o.max_body));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_err);
	if (r->if_none_match != NULL) {
		snprintf(buf, sizeof(buf), "If-None-Match: %s", r->if_none_match);
		hl = curl_slist_append(hl, buf);
	}
	if (r->if_modified_since != NULL) {
		snprintf(buf, sizeof(buf), "If-Modified-Since: %s", r->if_modified_since);
		hl = curl_slist_append(hl, buf);
	}
	if (hl != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_slist_free_all(hl);
		curl_easy_cleanup(e);
		return -ENOMEM;
	}
	r->easy = e;
	r->hdrs = hl;
	r->next = h->run_head;
	h->run_head = r;
	if (r->attempts == 0)
		r->started = now;
	r->attempts++;
	h->pools[r->pool].active++;
	h->nrun++;
	return 0;
}

/* Start what the limits allow; returns seconds until something else could start. */
static double
start_ready(struct wn_http *h, double now)
{
	struct wn_http_req *r, *prev = NULL, *nx;
	double wait = 1.0;

	for (r = h->wait_head; r != NULL && h->nrun < (size_t)h->o.max_total; r = nx) {
		struct pool *p = &h->pools[r->pool];

		nx = r->next;
		if (r->not_before > now) {
			if (r->not_before - now < wait)
				wait = r->not_before - now;
			prev = r;
			continue;
		}
		if (p->max_conns > 0 && p->active >= p->max_conns) {
			prev = r;
			continue;
		}
		if (p->interval > 0 && p->next_at > now) {
			if (p->next_at - now < wait)
				wait = p->next_at - now;
			prev = r;
			continue;
		}
		/* unlink and start */
		if (prev != NULL)
			prev->next = nx;
		else
			h->wait_head = nx;
		if (h->wait_tail == r)
			h->wait_tail = prev;
		h->nwait--;
		if (start_one(h, r, now) < 0) {
			r->err = -ENOMEM;
			snprintf(r->errmsg, sizeof(r->errmsg), "cannot start transfer");
			q_push(&h->done_head, &h->done_tail, r);
			h->ndone++;
			continue;
		}
		if (p->interval > 0)
			p->next_at = (p->next_at > now ? p->next_at : now) + p->interval;
	}
	return wait < 0 ? 0 : wait;
}

static double
backoff(struct wn_http *h, const struct wn_http_req *r)
{
	double d = h->o.backoff_s * pow(2.0, r->attempts - 1);

	if (d > h->o.backoff_max_s)
		d = h->o.backoff_max_s;
	return d * (0.5 + 0.5 * rnd01(h));	/* jitter: [d/2, d] */
}

static void
requeue(struct wn_http *h, struct wn_http_req *r, double delay, double now)
{
	r->not_before = now + delay;
	q_push(&h->wait_head, &h->wait_tail, r);
	h->nwait++;
}

static void
finish(struct wn_http *h, struct wn_http_req *r)
{
	r->elapsed_s = wn_now() - r->started;
	q_push(&h->done_head, &h->done_tail, r);
	h->ndone++;
}

static void
on_done(struct wn_http *h, CURL *e, CURLcode cc)
{
	struct wn_http_req *r = NULL;
	struct pool *p;
	long status = 0;
	double now = wn_now(), delay;
	int retry = 0;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	{
		struct wn_http_req **pp = &h->run_head;

		while (*pp != NULL && *pp != r)
			pp = &(*pp)->next;
		if (*pp == r)
			*pp = r->next;
		r->next = NULL;
	}
	curl_multi_remove_handle(h->multi, e);
	curl_easy_cleanup(e);
	curl_slist_free_all(r->hdrs);
	r->easy = NULL;
	r->hdrs = NULL;
	p = &h->pools[r->pool];
	p->active--;
	h->nrun--;
	r->status = status;

	if (cc == CURLE_OK) {
		if (wn_http_status_retryable(status)) {
			snprintf(r->errmsg, sizeof(r->errmsg), "HTTP %ld", status);
			r->err = -WN_EHTTP;
			retry = 1;
		} else {
			r->err = 0;
		}
	} else if (cc == CURLE_WRITE_ERROR || cc == CURLE_FILESIZE_EXCEEDED) {
		r->err = r->body.max && r->body.len + 1 >= r->body.max ? -WN_ETOOBIG
			: cc == CURLE_FILESIZE_EXCEEDED ? -WN_ETOOBIG : -ENOMEM;
		snprintf(r->errmsg, sizeof(r->errmsg), "body larger than %zu bytes",
			 r->body.max);
	} else {
		snprintf(r->errmsg, sizeof(r->errmsg), "%s",
			 r->curl_err[0] != '\0' ? r->curl_err : curl_easy_strerror(cc));
		r->err = curl_retryable(cc) ? -WN_ENET : -EINVAL;
		retry = curl_retryable(cc);
		if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
			r->err = -WN_ENET;
	}
	if (retry && r->attempts < h->o.max_attempts) {
		delay = backoff(h, r);
		if (r->retry_after >= 0) {
			if (r->retry_after > h->o.max_retry_after_s) {
				snprintf(r->errmsg, sizeof(r->errmsg),
					 "HTTP %ld, asked to retry after %.0f s", status,
					 r->retry_after);
				finish(h, r);
				return;
			}
			delay = r->retry_after + 0.1 * rnd01(h);
			if (status == 429 && p->interval > 0 && p->next_at < now + delay)
				p->next_at = now + delay;	/* the whole pool waits */
		}
		wn_debug("retrying '%s' in %.2fs: %s", r->log_url, delay, r->errmsg);
		requeue(h, r, delay, now);
		return;
	}
	if (retry)
		snprintf(r->errmsg + strlen(r->errmsg),
			 sizeof(r->errmsg) - strlen(r->errmsg), " after %d attempts",
			 r->attempts);
	finish(h, r);
}

void
wn_http_add(struct wn_http *h, struct wn_http_req *r)
{
	r->attempts = 0;
	r->not_before = 0;
	q_push(&h->wait_head, &h->wait_tail, r);
	h->nwait++;
}

int
wn_http_retry(struct wn_http *h, struct wn_http_req *r, const char *why)
{
	if (r->attempts >= h->o.max_attempts)
		return 0;
	wn_debug("retrying '%s': %s", r->log_url, why);
	requeue(h, r, backoff(h, r), wn_now());
	return 1;
}

size_t
wn_http_pending(const struct wn_http *h)
{
	return h->nwait + h->nrun + h->ndone;
}

int
wn_http_next(struct wn_http *h, struct wn_http_req **ret_req)
{
	for (;;) {
		struct CURLMsg *m;
		int left, running;
		double wait;
		CURLMcode mc;

		if (h->done_head != NULL) {
			struct wn_http_req *r = h->done_head;

			h->done_head = r->next;
			if (h->done_head == NULL)
				h->done_tail = NULL;
			h->ndone--;
			r->next = NULL;
			*ret_req = r;
			return 1;
		}
		wait = start_ready(h, wn_now());
		if (h->done_head != NULL)
			continue;
		if (h->nrun == 0 && h->nwait == 0)
			return 0;
		mc = curl_multi_perform(h->multi, &running);
		if (mc != CURLM_OK)
			return -EIO;
		while ((m = curl_multi_info_read(h->multi, &left)) != NULL)
			if (m->msg == CURLMSG_DONE)
				on_done(h, m->easy_handle, m->data.result);
		if (h->done_head != NULL)
			continue;
		/* retries queued just now: start them or wait exactly until they are due */
		wait = start_ready(h, wn_now());
		if (h->done_head != NULL)
			continue;
		if (wait > 1.0)
			wait = 1.0;
		mc = curl_multi_poll(h->multi, NULL, 0, (int)(wait * 1000) + 1, NULL);
		if (mc != CURLM_OK)
			return -EIO;
	}
}

void
wn_http_free(struct wn_http *h)
{
	struct wn_http_req *r, *nx;

	if (h == NULL)
		return;
	for (r = h->wait_head; r != NULL; r = nx) {
		nx = r->next;
		wn_http_req_free(r);
	}
	for (r = h->done_head; r != NULL; r = nx) {
		nx = r->next;
		wn_http_req_free(r);
	}
	for (r = h->run_head; r != NULL; r = nx) {
		nx = r->next;
		if (r->easy != NULL)
			curl_multi_remove_handle(h->multi, r->easy);
		wn_http_req_free(r);
	}
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	free(h);
}

/* ---- ledger --------------------------------------------------------------- */

static const char sql_get[] =
	"SELECT id, state, attempts, http_status, etag, last_modified, checksum, bytes,"
	" last_error FROM fetches WHERE url = ?1";
static const char sql_put[] =
	"INSERT INTO fetches (url, state, attempts, http_status, etag, last_modified,"
	" checksum, bytes, last_error, last_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
	" ON CONFLICT (url) DO UPDATE SET state = excluded.state,"
	" attempts = attempts + excluded.attempts,"
	" http_status = COALESCE(excluded.http_status, http_status),"
	" etag = COALESCE(excluded.etag, etag),"
	" last_modified = COALESCE(excluded.last_modified, last_modified),"
	" checksum = COALESCE(excluded.checksum, checksum),"
	" bytes = COALESCE(excluded.bytes, bytes),"
	" last_error = excluded.last_error, last_at = excluded.last_at";

int
wn_ledger_init(struct wn_ledger *l, struct wn_db *db)
{
	sqlite3_stmt *g = NULL, *p = NULL;
	int rc;

	memset(l, 0, sizeof(*l));
	if ((rc = wn_db_prepare(db, sql_get, &g)) < 0)
		return rc;
	if ((rc = wn_db_prepare(db, sql_put, &p)) < 0) {
		sqlite3_finalize(g);
		return rc;
	}
	l->db = db;
	l->get = g;
	l->put = p;
	return 0;
}

void
wn_ledger_release(struct wn_ledger *l)
{
	if (l == NULL)
		return;
	sqlite3_finalize(l->get);
	sqlite3_finalize(l->put);
	memset(l, 0, sizeof(*l));
}

void
wn_fetch_release(struct wn_fetch *f)
{
	if (f == NULL)
		return;
	free(f->etag);
	free(f->last_modified);
	free(f->checksum);
	free(f->last_error);
	memset(f, 0, sizeof(*f));
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? strdup((const char *)t) : NULL;
}

int
wn_ledger_get(struct wn_ledger *l, const char *url, struct wn_fetch *ret_f)
{
	sqlite3_stmt *st = l->get;
	struct wn_fetch f = { 0 };
	char *ru = wn_http_redact(url);
	int rc;

	if (ru == NULL)
		return -ENOMEM;
	sqlite3_bind_text(st, 1, ru, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? 0 : wn_db_error(l->db);
		goto out;
	}
	f.id = sqlite3_column_int64(st, 0);
	if (sqlite3_column_text(st, 1) != NULL)
		snprintf(f.state, sizeof(f.state), "%s",
			 (const char *)sqlite3_column_text(st, 1));
	f.attempts = sqlite3_column_int(st, 2);
	f.http_status = sqlite3_column_int(st, 3);
	f.etag = col_dup(st, 4);
	f.last_modified = col_dup(st, 5);
	f.checksum = col_dup(st, 6);
	f.bytes = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7);
	f.last_error = col_dup(st, 8);
	*ret_f = f;
	rc = 1;
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(ru);
	return rc;
}

int
wn_ledger_put(struct wn_ledger *l, const char *url, const char *state, int attempts,
	      long status, const char *etag, const char *last_modified,
	      const char *checksum, int64_t bytes, const char *last_error)
{
	sqlite3_stmt *st = l->put;
	char *ru = wn_http_redact(url);
	int rc;

	if (ru == NULL)
		return -ENOMEM;
	sqlite3_bind_text(st, 1, ru, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, attempts);
	if (status > 0)
		sqlite3_bind_int64(st, 4, status);
	if (etag != NULL)
		sqlite3_bind_text(st, 5, etag, -1, SQLITE_TRANSIENT);
	if (last_modified != NULL)
		sqlite3_bind_text(st, 6, last_modified, -1, SQLITE_TRANSIENT);
	if (checksum != NULL)
		sqlite3_bind_text(st, 7, checksum, -1, SQLITE_TRANSIENT);
	if (bytes >= 0)
		sqlite3_bind_int64(st, 8, bytes);
	if (last_error != NULL)
		sqlite3_bind_text(st, 9, last_error, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(l->db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(ru);
	return rc;
}
