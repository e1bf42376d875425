/*
 * util.c: checked number parsing, growable buffers, files, hex.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

int
wn_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret_val)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '\t')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno != 0 || *end != '\0' || end == s)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret_val = v;
	return 0;
}

int
wn_parse_int(const char *s, int min, int max, int *ret_val)
{
	int64_t v;
	int rc = wn_parse_i64(s, min, max, &v);

	if (rc < 0)
		return rc;
	*ret_val = (int)v;
	return 0;
}

int
wn_parse_double(const char *s, double min, double max, double *ret_val)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || isnan(v))
		return errno == ERANGE ? -ERANGE : -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret_val = v;
	return 0;
}

int
wn_parse_shard(const char *s, int *ret_k, int *ret_n)
{
	char buf[64];
	char *slash;
	int k, n, rc;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return -EINVAL;
	*slash = '\0';
	if ((rc = wn_parse_int(buf, 0, INT_MAX, &k)) < 0 ||
	    (rc = wn_parse_int(slash + 1, 1, INT_MAX, &n)) < 0)
		return rc;
	if (k >= n)
		return -ERANGE;
	*ret_k = k;
	*ret_n = n;
	return 0;
}

void
wn_buf_init(struct wn_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
wn_buf_release(struct wn_buf *b)
{
	free(b->data);
	wn_buf_init(b, b->max);
}

void
wn_buf_reset(struct wn_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int
buf_grow(struct wn_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	need = b->len + extra + 1;
	if (b->max && need - 1 > b->max)
		return -WN_ETOOBIG;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
wn_buf_add(struct wn_buf *b, const void *data, size_t len)
{
	int rc = buf_grow(b, len);

	if (rc < 0)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
wn_buf_addstr(struct wn_buf *b, const char *s)
{
	return wn_buf_add(b, s, strlen(s));
}

int
wn_buf_printf(struct wn_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((rc = buf_grow(b, (size_t)n)) < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *
wn_buf_detach(struct wn_buf *b, size_t *ret_len)
{
	char *p = b->data;

	if (p == NULL)
		p = calloc(1, 1);
	if (ret_len)
		*ret_len = b->len;
	wn_buf_init(b, b->max);
	return p;
}

int
wn_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len)
{
	struct wn_buf b;
	char chunk[65536];
	FILE *f;
	size_t n;
	int rc = 0;

	f = fopen(path, "rb");
	if (f == NULL)
		return -errno;
	wn_buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if ((rc = wn_buf_add(&b, chunk, n)) < 0)
			goto out;
	}
	if (ferror(f)) {
		rc = -EIO;
		goto out;
	}
	*ret_data = wn_buf_detach(&b, ret_len);
	if (*ret_data == NULL)
		rc = -ENOMEM;
out:
	fclose(f);
	wn_buf_release(&b);
	return rc;
}

void
wn_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
wn_hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
wn_unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t i;

	if (hex == NULL || strlen(hex) != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int hi = wn_hexdigit(hex[2 * i]), lo = wn_hexdigit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
wn_mkdir_p(const char *path)
{
	char buf[4096];
	size_t len = strlen(path), i;

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return -errno;
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

uint64_t
wn_hash64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
wn_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int
wn_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}
