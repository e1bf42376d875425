/*
 * europepmc.h: `winnow-crawl europepmc`: the Europe PMC REST API as a second
 * route (search with cursorMark, fullTextXML), for articles the PMC bucket
 * lacks or for users who prefer EBI's service.
 */
#ifndef CRAWL_EUROPEPMC_H
#define CRAWL_EUROPEPMC_H

#include <stdint.h>
#include <stdio.h>

#include "crawl/pmc.h"
#include "lib/db.h"

#define EPMC_BASE	"https://www.ebi.ac.uk/europepmc/webservices/rest/"
#define EPMC_FILES_BASE	"https://europepmc.org/articles/"

/*
 * Uses from pmc_opts: query, ids_file, max, no_media, email, max_attempts,
 * backoff_s, allow_file, s3_conns; and the two bases below.  Documents are
 * recorded with source 'europepmc' and the PMCID as source_id.
 */
int epmc_run(struct wn_db *db, const struct pmc_opts *o, const char *base,
	     const char *files_base, FILE *out, struct pmc_stats *ret_stats)
	__attribute__((warn_unused_result));

#endif
