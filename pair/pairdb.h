/*
 * pairdb.h: winnow-pair's database form: pairs rows for split figures, kept
 * or dropped with a reason code, each in a train/val/test split.
 */
#ifndef WN_PAIR_PAIRDB_H
#define WN_PAIR_PAIRDB_H

#include <stddef.h>
#include <stdint.h>

#define PAIRDB_MAX_LICENSES	64

struct pairdb_opts {
	const char *db_path;		/* borrowed */
	int all;			/* select the figures (else ids on stdin) */
	int redo;			/* recompute figures that have pairs */
	int busy_ms;			/* 0 = default */
	int min_side;			/* too-small below this many pixels */
	double val, test;		/* split fractions */
	const char *licenses[PAIRDB_MAX_LICENSES];	/* borrowed */
	size_t nlicenses;
	int64_t max_errors;		/* bad input lines tolerated (-1: any) */
	int line_buffered;
	int argc;			/* for the runs record */
	char *const *argv;
};

/* The licence codes allowed by default: Creative Commons and public domain. */
extern const char *const pairdb_default_licenses[];

/* Run; returns the exit status (and logs the errors). */
int pairdb_run(const struct pairdb_opts *o);

/* "train", "val" or "test" for a split key (a document's base id). */
const char *pairdb_split_of(const char *key, double val, double test);

#endif
