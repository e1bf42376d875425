/*
 * merge.h: join shard databases (winnow-<stage> --shard K/N) into one.
 */
#ifndef WN_DB_MERGE_H
#define WN_DB_MERGE_H

#include "lib/db.h"

/* Merge the database at src_path (and its store) into db; returns 0 or negative. */
int merge_shard(struct wn_db *db, const char *src_path);

#endif
