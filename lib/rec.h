/*
 * rec.h: work lists between stages (see winnow-records.5).
 *
 * One record per line: a decimal id, optionally followed by TAB-separated fields
 * that consumers ignore when they do not know them.  ASCII, LF, no header.
 */
#ifndef WN_REC_H
#define WN_REC_H

#include <stdint.h>
#include <stdio.h>

struct wn_rec_reader {
	FILE *in;		/* borrowed */
	const char *name;	/* borrowed: "stdin" or a path, for messages */
	char *line;		/* owned: current line */
	size_t cap;
	int64_t lineno;
	int64_t bad;		/* lines rejected so far */
};

void wn_rec_reader_init(struct wn_rec_reader *r, FILE *in, const char *name);
void wn_rec_reader_release(struct wn_rec_reader *r);

/*
 * Next id: 1 and *ret_id on success, 0 at EOF, negative on read error.  A line
 * that is not a valid record is reported ("stdin:3: warning: ..., skipping"),
 * counted in r->bad, and skipped.  Blank lines are ignored.  *ret_rest (optional)
 * points into the line after the id's TAB, or is NULL.
 */
int wn_rec_next(struct wn_rec_reader *r, int64_t *ret_id, const char **ret_rest);

/* Write "id\n"; flushes when line-buffered.  -EPIPE when the reader left. */
int wn_rec_write(FILE *out, int64_t id);

/* Paths on stdin (one per line, or NUL-separated when zero is set). */
int wn_read_line(FILE *in, int zero, char **line, size_t *cap);

#endif
