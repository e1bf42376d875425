/*
 * s3.h: S3 ListObjectsV2 replies and S3 error documents (the PMC cloud bucket).
 */
#ifndef CRAWL_S3_H
#define CRAWL_S3_H

#include <stddef.h>
#include <stdint.h>

#define CRAWL_S3_MAX_REPLY	((size_t)16 * 1024 * 1024)
#define CRAWL_S3_MAX_ENTRIES	10000

struct crawl_s3_obj {
	char *key;		/* owned */
	char *etag;		/* owned: quotes removed */
	int64_t size;		/* -1 if absent */
};

struct crawl_s3_list {
	char **prefixes;	/* owned: CommonPrefixes/Prefix */
	size_t nprefixes;
	struct crawl_s3_obj *objs;	/* owned: Contents */
	size_t nobjs;
	int truncated;
	char *next_token;	/* owned: NextContinuationToken */
};

/* -WN_EREMOTE for an <Error> document (*ret_err "Code: Message"), -WN_EFORMAT
   for anything else that is not a ListBucketResult. */
int crawl_s3_list_parse(const char *data, size_t len, struct crawl_s3_list *ret,
			char **ret_err)
	__attribute__((warn_unused_result));
void crawl_s3_list_release(struct crawl_s3_list *l);

/* "NoSuchKey: The specified key does not exist." from an error body (owned), or
   NULL when the body is not an S3 error document. */
char *crawl_s3_error(const char *data, size_t len);

#endif
