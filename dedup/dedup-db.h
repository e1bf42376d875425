/*
 * dedup-db.h: winnow-dedup's database forms (duplicates, embeddings, captions,
 * leakage).  Each returns an exit status (STYLE.md section 4).
 */
#ifndef DEDUP_DB_H
#define DEDUP_DB_H

#include <stdint.h>

#include "dedup/dedup-set.h"

/* How a database form was called. */
struct dedup_dbopts {
	const char *path;	/* database file */
	int busy_ms;		/* busy timeout, 0 = default */
	int argc;		/* for the runs table */
	char **argv;
};

/* Image and panel groups from `hashes` (ids on stdin, or all with all != 0). */
int dedup_db_run(const struct dedup_dbopts *d, const struct dedup_params *p, int all,
		 int regions, int jobs, const char *model, int64_t max_errors);

/* Import an .npy of embeddings for the images named by ids_file or paths_file. */
int dedup_db_import_embeddings(const struct dedup_dbopts *d, const char *npy_path,
			       const char *ids_file, const char *paths_file,
			       const char *model);

/* Caption near-duplicates (MinHash LSH) among figures' captions and post texts. */
int dedup_db_captions(const struct dedup_dbopts *d);

/* val/test pairs with a duplicate (image, panel or caption group) in train. */
int dedup_db_leakage(const struct dedup_dbopts *d, int drop);

#endif
