/*
 * caption-model.c: the caption model's file format and the shipped model.
 *
 * A model is text, one item a line: "version NAME", then "prefix K W" and
 * "postfix K W" for each feature K.  On disk (split/models/caption-lr.inc)
 * every line is a C string literal, so that the same file is compiled into
 * the binary and can be loaded at run time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/caption.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

static const char shipped_text[] =
#include "split/models/caption-lr.inc"
	;

static struct wn_caption_model shipped;
static pthread_once_t shipped_once = PTHREAD_ONCE_INIT;

/* Copy one logical line of text (unquoting the .inc form) into buf. */
static size_t
model_line(const char *p, size_t len, char *buf, size_t size)
{
	size_t i = 0, k = 0, s, e;

	while (i < len && p[i] != '\n')
		i++;
	s = 0;
	e = i;
	while (s < e && (p[s] == ' ' || p[s] == '\t'))
		s++;
	if (s < e && p[s] == '"') {
		s++;
		while (e > s && p[e - 1] != '"')
			e--;
		if (e > s)
			e--;		/* closing quote */
		if (e >= s + 2 && p[e - 2] == '\\' && p[e - 1] == 'n')
			e -= 2;
	}
	for (; s < e && k + 1 < size; s++)
		buf[k++] = p[s];
	buf[k] = '\0';
	return i < len ? i + 1 : i;
}

int
wn_caption_model_parse(const char *text, size_t len,
		       struct wn_caption_model *ret)
{
	struct wn_caption_model m;
	char line[256];
	size_t pos = 0;
	int have_version = 0, nw = 0;

	memset(&m, 0, sizeof(m));
	while (pos < len) {
		char *end, *p;
		double *w = NULL;
		long k;

		pos += model_line(text + pos, len - pos, line, sizeof(line));
		p = line;
		if (*p == '\0' || *p == '#')
			continue;
		if (strncmp(p, "version ", 8) == 0) {
			snprintf(m.version, sizeof(m.version), "%.63s", p + 8);
			have_version = 1;
			continue;
		}
		if (strncmp(p, "prefix ", 7) == 0) {
			w = m.prefix;
			p += 7;
		} else if (strncmp(p, "postfix ", 8) == 0) {
			w = m.postfix;
			p += 8;
		} else {
			return -WN_EFORMAT;
		}
		errno = 0;
		k = strtol(p, &end, 10);
		if (end == p || errno != 0 || k < 0 || k >= WN_CAPTION_NFEAT)
			return -WN_EFORMAT;
		p = end;
		w[k] = strtod(p, &end);
		if (end == p || errno != 0)
			return -WN_EFORMAT;
		nw++;
	}
	if (!have_version || nw == 0)
		return -WN_EFORMAT;
	*ret = m;
	return 0;
}

int
wn_caption_model_load(const char *path, struct wn_caption_model *ret)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	rc = wn_read_file(path, 1 << 20, &data, &len);
	if (rc < 0)
		return rc;
	rc = wn_caption_model_parse(data, len, ret);
	free(data);
	return rc;
}

int
wn_caption_model_write(const struct wn_caption_model *m, FILE *out)
{
	int k;

	fprintf(out, "\"# winnow caption model: logistic weights over the "
			"candidate features of lib/caption.c\\n\"\n");
	fprintf(out, "\"# written by winnow-train captions; do not edit\\n\"\n");
	fprintf(out, "\"version %s\\n\"\n", m->version);
	for (k = 0; k < WN_CAPTION_NFEAT; k++)
		if (m->prefix[k] != 0)
			fprintf(out, "\"prefix %d %.6f\\n\"\n", k, m->prefix[k]);
	for (k = 0; k < WN_CAPTION_NFEAT; k++)
		if (m->postfix[k] != 0)
			fprintf(out, "\"postfix %d %.6f\\n\"\n", k, m->postfix[k]);
	return ferror(out) ? -EIO : 0;
}

static void
shipped_parse(void)
{
	if (wn_caption_model_parse(shipped_text, sizeof(shipped_text) - 1,
				   &shipped) < 0) {
		memset(&shipped, 0, sizeof(shipped));
		snprintf(shipped.version, sizeof(shipped.version), "invalid");
	}
}

const struct wn_caption_model *
wn_caption_model_shipped(void)
{
	pthread_once(&shipped_once, shipped_parse);
	return &shipped;
}
