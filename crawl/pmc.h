/*
 * pmc.h: `winnow-crawl pmc`: PubMed Central through E-utilities (search, efetch
 * fallback) and the PMC cloud bucket (versions, metadata, XML, figures).
 */
#ifndef CRAWL_PMC_H
#define CRAWL_PMC_H

#include <stdint.h>
#include <stdio.h>

#include "lib/db.h"

#define PMC_EUTILS_BASE	"https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
#define PMC_S3_BASE	"https://pmc-oa-opendata.s3.amazonaws.com/"
#define PMC_CDN_BASE	"https://cdn.ncbi.nlm.nih.gov/pmc/"
#define PMC_OA_BASE	"https://www.ncbi.nlm.nih.gov/pmc/utils/oa/oa.fcgi"
#define PMC_FTP_BASE	"https://ftp.ncbi.nlm.nih.gov/"

struct pmc_opts {
	const char *query;		/* esearch term, or NULL with ids_file */
	const char *ids_file;		/* "-" for stdin */
	const char *since;		/* YYYY-MM-DD or YYYY/MM/DD */
	const char *until;
	int reldate;			/* days, 0 = none */
	int64_t max;			/* articles, 0 = no limit */
	int no_media;
	const char *api_key;		/* secret: never logged or stored */
	const char *email;
	const char *eutils_base;
	const char *s3_base;
	const char *cdn_base;
	int legacy_oa;			/* oa.fcgi records and tar.gz packages */
	const char *oa_base;		/* oa.fcgi URL */
	const char *ftp_base;		/* replaces ftp://ftp.ncbi.nlm.nih.gov/ */
	double eutils_rate;		/* requests/s; 0 = 3, or 10 with a key */
	int s3_conns;			/* 0 = 8 */
	int in_flight;			/* articles at once; 0 = 32 */
	int max_attempts;		/* per request; 0 = 6 */
	double backoff_s;		/* first retry delay; 0 = 1 */
	int allow_file;			/* test only: file:// bases */
	int64_t max_errors;		/* rejected records tolerated; <0 = any */
	int line_buffered;
	int shard_k, shard_n;		/* keep ids whose wn_hash64(PMCID) % n == k */
};

struct pmc_stats {
	int64_t articles;		/* article ids considered */
	int64_t new_docs;
	int64_t changed_docs;
	int64_t unchanged;
	int64_t images;			/* figure images stored */
	int64_t bytes;
	int64_t rejected;		/* per-record failures (404, bad XML, MD5) */
	int64_t transient;		/* failures worth a later retry (network) */
};

/* Run the crawl; prints ids of new or changed documents on out.  Returns 0, or a
   negative error (-WN_ENET when the service was unreachable, -WN_EBUSY...). */
int pmc_run(struct wn_db *db, const struct pmc_opts *o, FILE *out,
	    struct pmc_stats *ret_stats)
	__attribute__((warn_unused_result));

/* Is this PMCID ("PMC123") in the shard of o (always, without --shard)? */
int pmc_in_shard(const struct pmc_opts *o, const char *pmcid);

/* "s3://bucket/KEY?md5=HEX" -> KEY and HEX (either may be NULL on return). */
int pmc_parse_s3_url(const char *url, char **ret_key, char ret_md5[33]);

#endif
