/*
 * s3.c: ListObjectsV2 (list-type=2) replies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/s3.h"
#include "crawl/xmlutil.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

void
crawl_s3_list_release(struct crawl_s3_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nprefixes; i++)
		free(l->prefixes[i]);
	free(l->prefixes);
	for (i = 0; i < l->nobjs; i++) {
		free(l->objs[i].key);
		free(l->objs[i].etag);
	}
	free(l->objs);
	free(l->next_token);
	memset(l, 0, sizeof(*l));
}

static char *
error_text(const xmlNode *root)
{
	char *code = crawl_xml_text(crawl_xml_child(root, "Code"), 128);
	char *msg = crawl_xml_text(crawl_xml_child(root, "Message"), 512);
	char buf[700];

	snprintf(buf, sizeof(buf), "%s%s%s", code != NULL ? code : "S3 error",
		 msg != NULL && *msg != '\0' ? ": " : "", msg != NULL ? msg : "");
	free(code);
	free(msg);
	return strdup(buf);
}

char *
crawl_s3_error(const char *data, size_t len)
{
	xmlDoc *doc = crawl_xml_read(data, len, CRAWL_S3_MAX_REPLY, NULL);
	xmlNode *root;
	char *t = NULL;

	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	if (crawl_xml_is(root, "Error"))
		t = error_text(root);
	xmlFreeDoc(doc);
	return t;
}

int
crawl_s3_list_parse(const char *data, size_t len, struct crawl_s3_list *ret,
		    char **ret_err)
{
	struct crawl_s3_list l = { 0 };
	xmlDoc *doc;
	xmlNode *root, *c;
	char *err = NULL, *t;
	int rc = 0;

	doc = crawl_xml_read(data, len, CRAWL_S3_MAX_REPLY, &err);
	if (doc == NULL) {
		rc = -WN_EFORMAT;
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (crawl_xml_is(root, "Error")) {
		err = error_text(root);
		rc = -WN_EREMOTE;
		goto out;
	}
	if (!crawl_xml_is(root, "ListBucketResult")) {
		char buf[128];

		snprintf(buf, sizeof(buf), "not a bucket listing (root <%.60s>)",
			 root != NULL ? (const char *)root->name : "");
		err = strdup(buf);
		rc = -WN_EFORMAT;
		goto out;
	}
	t = crawl_xml_text(crawl_xml_child(root, "IsTruncated"), 16);
	l.truncated = t != NULL && strcmp(t, "true") == 0;
	free(t);
	l.next_token = crawl_xml_text(crawl_xml_child(root, "NextContinuationToken"), 2048);
	for (c = root->children; c != NULL; c = c->next) {
		if (l.nprefixes + l.nobjs >= CRAWL_S3_MAX_ENTRIES) {
			err = strdup("too many entries in one listing");
			rc = -WN_ETOOBIG;
			goto out;
		}
		if (crawl_xml_is(c, "CommonPrefixes")) {
			char **np;

			t = crawl_xml_text(crawl_xml_child(c, "Prefix"), 1024);
			if (t == NULL || *t == '\0') {
				free(t);
				continue;
			}
			np = realloc(l.prefixes, (l.nprefixes + 1) * sizeof(*np));
			if (np == NULL) {
				free(t);
				rc = -ENOMEM;
				goto out;
			}
			l.prefixes = np;
			l.prefixes[l.nprefixes++] = t;
		} else if (crawl_xml_is(c, "Contents")) {
			struct crawl_s3_obj o = { 0 }, *no;
			char *sz;

			o.key = crawl_xml_text(crawl_xml_child(c, "Key"), 1024);
			if (o.key == NULL || *o.key == '\0') {
				free(o.key);
				continue;
			}
			o.etag = crawl_xml_text(crawl_xml_child(c, "ETag"), 128);
			if (o.etag != NULL && o.etag[0] == '"') {
				size_t n = strlen(o.etag);

				memmove(o.etag, o.etag + 1, n);
				if (n >= 2 && o.etag[n - 2] == '"')
					o.etag[n - 2] = '\0';
			}
			sz = crawl_xml_text(crawl_xml_child(c, "Size"), 32);
			if (sz == NULL || wn_parse_i64(sz, 0, INT64_MAX, &o.size) < 0)
				o.size = -1;
			free(sz);
			no = realloc(l.objs, (l.nobjs + 1) * sizeof(*no));
			if (no == NULL) {
				free(o.key);
				free(o.etag);
				rc = -ENOMEM;
				goto out;
			}
			l.objs = no;
			l.objs[l.nobjs++] = o;
		}
	}
	*ret = l;
	l = (struct crawl_s3_list){ 0 };
out:
	crawl_s3_list_release(&l);
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (ret_err != NULL && rc < 0)
		*ret_err = err;
	else
		free(err);
	return rc;
}
