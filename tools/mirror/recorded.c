/*
 * recorded.c: replies recorded in recorded/index.tsv, keyed by method, path and
 * normalised query ("*" matches any query; a path ending in "*" matches
 * every path it begins).  They are looked up before the generated services, so a
 * scenario can replace any reply (an <ERROR> inside a 200, malformed XML, ...).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/util.h"
#include "tools/mirror/mirror.h"
#include "lib/banned.h"

static int
add_headers(struct mirror_reply *rep, const char *path)
{
	char *data = NULL, *line, *next;
	size_t len;
	int rc;

	rc = wn_read_file(path, MIRROR_MAX_INDEX, &data, &len);
	if (rc < 0)
		return rc;
	for (line = data; line && *line; line = next) {
		char *colon, *val;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		colon = strchr(line, ':');
		if (colon == NULL || colon == line)
			continue;
		*colon = '\0';
		for (val = colon + 1; *val == ' '; val++)
			;
		/* the length is the mirror's business */
		if (strcasecmp(line, "content-length") == 0 ||
		    strcasecmp(line, "content-type") == 0)
			continue;
		rc = mirror_reply_header(rep, line, val);
		if (rc < 0)
			break;
	}
	free(data);
	return rc < 0 ? rc : 0;
}

int
mirror_recorded(const struct mirror_corpus *c, const struct mirror_req *r,
		struct mirror_reply *rep)
{
	const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
	int rc;

	for (size_t i = 0; i < c->nrecs; i++) {
		const struct mirror_rec *rec = &c->recs[i];

		size_t plen = strlen(rec->path);
		int pmatch = plen && rec->path[plen - 1] == '*'
			? strncmp(rec->path, r->path, plen - 1) == 0
			: strcmp(rec->path, r->path) == 0;

		if (strcmp(rec->method, method) != 0 || !pmatch ||
		    (strcmp(rec->query, "*") != 0 && strcmp(rec->query, r->norm) != 0))
			continue;
		if (rec->body) {
			rc = mirror_reply_file(rep, rec->body, rec->ctype);
			if (rc < 0)
				return rc;
			rep->status = rec->status;
		} else {
			rc = mirror_reply_set(rep, rec->status, rec->ctype, NULL, 0);
			if (rc < 0)
				return rc;
		}
		if (rec->headers && (rc = add_headers(rep, rec->headers)) < 0)
			return rc;
		if (mirror_reply_subst(rep, r->base) < 0)
			return -ENOMEM;
		return 1;
	}
	return 0;
}
