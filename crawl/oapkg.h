/*
 * oapkg.h: legacy PMC OA packages (PMCid.tar.gz), read in memory with
 * libarchive.  Hostile packages are refused as a whole: absolute paths, "..",
 * symbolic or hard links, device files, too many entries, and decompression
 * bombs (output far larger than the input, or past the size caps).
 */
#ifndef CRAWL_OAPKG_H
#define CRAWL_OAPKG_H

#include <stddef.h>

#define CRAWL_OAPKG_MAX_ENTRIES	5000
#define CRAWL_OAPKG_MAX_FILE	((size_t)64 * 1024 * 1024)
#define CRAWL_OAPKG_MAX_TOTAL	((size_t)512 * 1024 * 1024)
#define CRAWL_OAPKG_MAX_RATIO	200	/* uncompressed / compressed, past 16 MB */

struct crawl_oapkg_file {
	char *path;		/* owned: as in the package */
	const char *name;	/* borrowed: basename within path */
	unsigned char *data;	/* owned */
	size_t len;
};

struct crawl_oapkg {
	struct crawl_oapkg_file *files;	/* owned: the .nxml/.xml and images */
	size_t nfiles;
	const struct crawl_oapkg_file *nxml;	/* borrowed: the article, or NULL */
};

/* -WN_EFORMAT (not a readable archive), -WN_ECORRUPT (hostile entry or bomb;
   *ret_err says which), -WN_ETOOBIG, -ENOMEM.  ret_err is optional. */
int crawl_oapkg_read(const void *data, size_t len, struct crawl_oapkg *ret, char **ret_err)
	__attribute__((warn_unused_result));
void crawl_oapkg_release(struct crawl_oapkg *p);

/* The image a graphic href names: the exact file name, else href plus .jpg,
   .png, .gif, .tif (old nxml names figures without an extension). */
const struct crawl_oapkg_file *crawl_oapkg_find(const struct crawl_oapkg *p, const char *href);

#endif
