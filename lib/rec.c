/*
 * rec.c: work lists between stages: one decimal id per line, optional TAB fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/rec.h"
#include "lib/util.h"
#include "lib/banned.h"

#define REC_MAX_LINE	(1 << 20)

void
wn_rec_reader_init(struct wn_rec_reader *r, FILE *in, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->name = name;
}

void
wn_rec_reader_release(struct wn_rec_reader *r)
{
	free(r->line);
	r->line = NULL;
	r->cap = 0;
}

int
wn_read_line(FILE *in, int zero, char **line, size_t *cap)
{
	ssize_t n;

	errno = 0;
	n = getdelim(line, cap, zero ? '\0' : '\n', in);
	if (n < 0)
		return errno && errno != EINVAL ? -errno : 0;
	if (n > 0 && (*line)[n - 1] == (zero ? '\0' : '\n'))
		(*line)[--n] = '\0';
	if (!zero && n > 0 && (*line)[n - 1] == '\r')
		(*line)[--n] = '\0';
	return 1;
}

int
wn_rec_next(struct wn_rec_reader *r, int64_t *ret_id, const char **ret_rest)
{
	for (;;) {
		char *tab;
		int64_t id;
		int rc = wn_read_line(r->in, 0, &r->line, &r->cap);

		if (rc <= 0)
			return rc;
		r->lineno++;
		if (r->line[0] == '\0')
			continue;
		if (strlen(r->line) > REC_MAX_LINE) {
			wn_warn("%s:%lld: line too long, skipping", r->name,
				(long long)r->lineno);
			r->bad++;
			continue;
		}
		tab = strchr(r->line, '\t');
		if (tab)
			*tab = '\0';
		if (wn_parse_i64(r->line, 1, INT64_MAX, &id) < 0) {
			wn_warn("%s:%lld: '%.40s' is not an id, skipping", r->name,
				(long long)r->lineno, r->line);
			r->bad++;
			continue;
		}
		*ret_id = id;
		if (ret_rest)
			*ret_rest = tab ? tab + 1 : NULL;
		return 1;
	}
}

int
wn_rec_write(FILE *out, int64_t id)
{
	if (fprintf(out, "%lld\n", (long long)id) < 0)
		return errno == EPIPE ? -EPIPE : -EIO;
	return 0;
}
