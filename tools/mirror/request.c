/*
 * request.c: request arguments, the normalised query that keys recorded
 * replies and fault decisions, and reply helpers.
 */
#define _GNU_SOURCE	/* memmem, strptime */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/util.h"
#include "tools/mirror/mirror.h"
#include "lib/banned.h"

const char *
mirror_arg(const struct mirror_req *r, const char *key)
{
	for (size_t i = 0; i < r->nargs; i++)
		if (strcmp(r->args[i].key, key) == 0)
			return r->args[i].val;
	return NULL;
}

int
mirror_pct_encode(struct wn_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char enc[3];

		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~') {
			if (wn_buf_add(b, p, 1) < 0)
				return -ENOMEM;
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[*p >> 4];
		enc[2] = hex[*p & 15];
		if (wn_buf_add(b, enc, 3) < 0)
			return -ENOMEM;
	}
	return 0;
}

int
mirror_xml_escape(struct wn_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		const char *rep = NULL;

		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		default: break;
		}
		if (rep ? wn_buf_addstr(b, rep) < 0 : wn_buf_add(b, p, 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Identification parameters do not change what a service answers. */
static int
ignored_param(const char *k)
{
	return strcmp(k, "api_key") == 0 || strcmp(k, "email") == 0 ||
	       strcmp(k, "tool") == 0;
}

static int
cmp_arg(const void *a, const void *b)
{
	const struct mirror_arg *x = *(struct mirror_arg *const *)a;
	const struct mirror_arg *y = *(struct mirror_arg *const *)b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->val, y->val);
}

int
mirror_req_normalise(struct mirror_req *r)
{
	struct mirror_arg **v = NULL;
	struct wn_buf b;
	size_t n = 0;
	int rc = -ENOMEM;

	wn_buf_init(&b, 0);
	if (wn_buf_addstr(&b, "") < 0)
		goto out;
	v = malloc((r->nargs ? r->nargs : 1) * sizeof(*v));
	if (v == NULL)
		goto out;
	for (size_t i = 0; i < r->nargs; i++)
		if (!ignored_param(r->args[i].key))
			v[n++] = &r->args[i];
	qsort(v, n, sizeof(*v), cmp_arg);
	for (size_t i = 0; i < n; i++) {
		if (i && wn_buf_addstr(&b, "&") < 0)
			goto out;
		if (mirror_pct_encode(&b, v[i]->key) < 0 || wn_buf_addstr(&b, "=") < 0 ||
		    mirror_pct_encode(&b, v[i]->val) < 0)
			goto out;
	}
	free(r->norm);
	r->norm = wn_buf_detach(&b, NULL);
	if (r->norm == NULL)
		r->norm = strdup("");
	rc = r->norm ? 0 : -ENOMEM;
out:
	free(v);
	wn_buf_release(&b);
	return rc;
}

void
mirror_req_release(struct mirror_req *r)
{
	for (size_t i = 0; i < r->nargs; i++) {
		free(r->args[i].key);
		free(r->args[i].val);
	}
	free(r->args);
	free(r->norm);
	r->args = NULL;
	r->nargs = 0;
	r->norm = NULL;
}

void
mirror_reply_release(struct mirror_reply *rep)
{
	free(rep->ctype);
	free(rep->body);
	for (size_t i = 0; i < rep->nhdrs; i++) {
		free(rep->hdrs[i].name);
		free(rep->hdrs[i].val);
	}
	free(rep->hdrs);
	memset(rep, 0, sizeof(*rep));
}

/* Takes ownership of body (NULL for empty). */
int
mirror_reply_set(struct mirror_reply *rep, int status, const char *ctype, char *body,
		 size_t len)
{
	char *ct = strdup(ctype);

	if (ct == NULL) {
		free(body);
		return -ENOMEM;
	}
	free(rep->ctype);
	free(rep->body);
	rep->status = status;
	rep->ctype = ct;
	rep->body = body;
	rep->len = body ? len : 0;
	return 1;
}

int
mirror_reply_header(struct mirror_reply *rep, const char *name, const char *val)
{
	struct mirror_hdr *v = realloc(rep->hdrs, (rep->nhdrs + 1) * sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	rep->hdrs = v;
	v[rep->nhdrs].name = strdup(name);
	v[rep->nhdrs].val = strdup(val);
	if (v[rep->nhdrs].name == NULL || v[rep->nhdrs].val == NULL) {
		free(v[rep->nhdrs].name);
		free(v[rep->nhdrs].val);
		return -ENOMEM;
	}
	rep->nhdrs++;
	return 0;
}

void
mirror_http_date(time_t t, char out[40])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void
mirror_iso_date(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* splitmix64 finaliser: a well-mixed 64-bit hash of x. */
uint64_t
mirror_mix64(uint64_t x)
{
	return wn_splitmix64(&x);
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
mirror_b64_encode(struct wn_buf *b, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		char out[4];

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[0] = b64[(v >> 18) & 63];
		out[1] = b64[(v >> 12) & 63];
		out[2] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		out[3] = i + 2 < len ? b64[v & 63] : '=';
		if (wn_buf_add(b, out, 4) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Decode standard base64 into a NUL-terminated string; -EINVAL if malformed. */
int
mirror_b64_decode(const char *s, char **ret)
{
	size_t n = strlen(s), o = 0;
	unsigned v = 0;
	int bits = 0;
	char *out;

	if (n % 4 != 0 || n > 4096)
		return -EINVAL;
	out = malloc(n / 4 * 3 + 1);
	if (out == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *q;

		if (s[i] == '=') {
			if (i < n - 2)
				goto bad;
			break;
		}
		q = strchr(b64, s[i]);
		if (q == NULL || s[i] == '\0')
			goto bad;
		v = (v << 6) | (unsigned)(q - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((v >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (strlen(out) != o)
		goto bad;
	*ret = out;
	return 0;
bad:
	free(out);
	return -EINVAL;
}

int
mirror_reply_buf(struct mirror_reply *rep, int status, const char *ctype, struct wn_buf *b)
{
	size_t len = b->len;

	return mirror_reply_set(rep, status, ctype, wn_buf_detach(b, NULL), len);
}

int
mirror_reply_json(struct mirror_reply *rep, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT);

	if (s == NULL)
		return -ENOMEM;
	return mirror_reply_set(rep, status, "application/json; charset=utf-8", s, strlen(s));
}

int
mirror_reply_text(struct mirror_reply *rep, int status, const char *ctype, const char *text)
{
	char *s = strdup(text);

	if (s == NULL)
		return -ENOMEM;
	return mirror_reply_set(rep, status, ctype, s, strlen(s));
}

/* Replace every "@MIRROR@" in the body by base (links that point back here). */
int
mirror_reply_subst(struct mirror_reply *rep, const char *base)
{
	static const char mark[] = "@MIRROR@";
	struct wn_buf b;
	const char *p, *q, *end;

	if (rep->body == NULL || rep->len < sizeof(mark) - 1 ||
	    !memmem(rep->body, rep->len, mark, sizeof(mark) - 1))
		return 0;
	wn_buf_init(&b, 0);
	end = rep->body + rep->len;
	for (p = rep->body; p < end; p = q + sizeof(mark) - 1) {
		q = memmem(p, (size_t)(end - p), mark, sizeof(mark) - 1);
		if (q == NULL) {
			if (wn_buf_add(&b, p, (size_t)(end - p)) < 0)
				goto nomem;
			break;
		}
		if (wn_buf_add(&b, p, (size_t)(q - p)) < 0 || wn_buf_addstr(&b, base) < 0)
			goto nomem;
	}
	free(rep->body);
	rep->len = b.len;
	rep->body = wn_buf_detach(&b, NULL);
	return 0;
nomem:
	wn_buf_release(&b);
	return -ENOMEM;
}
