/*
 * export.h: curated pairs out of the database, for training code.
 */
#ifndef WN_DB_EXPORT_H
#define WN_DB_EXPORT_H

#include "lib/db.h"

enum { EXPORT_JSONL = 1, EXPORT_CSV, EXPORT_WEBDATASET };

struct export_opts {
	int format;
	const char *output;	/* NULL = stdout; a directory for WebDataset */
	int shard_size;		/* WebDataset: samples per tar shard */
	const char *split;	/* NULL = all */
};

/* Returns an exit status. */
int export_pairs(struct wn_db *db, const struct export_opts *o);

#endif
