/*
 * oapkg.c: safe reading of OA tarballs.  Nothing is written to disk; entries
 * are checked before their bytes are read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>

#include "crawl/oapkg.h"
#include "lib/log.h"
#include "lib/banned.h"

void
crawl_oapkg_release(struct crawl_oapkg *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nfiles; i++) {
		free(p->files[i].path);
		free(p->files[i].data);
	}
	free(p->files);
	memset(p, 0, sizeof(*p));
}

static int
has_ext(const char *name, const char *const *exts)
{
	const char *dot = strrchr(name, '.');
	int i;

	if (dot == NULL)
		return 0;
	for (i = 0; exts[i] != NULL; i++)
		if (strcasecmp(dot + 1, exts[i]) == 0)
			return 1;
	return 0;
}

static const char *const keep_exts[] = { "nxml", "xml", "jpg", "jpeg", "png", "gif", "tif",
					 "tiff", "webp", NULL };

/* Why a path is refused, or NULL. */
static const char *
bad_path(const char *p)
{
	const char *s;

	if (p[0] == '/')
		return "absolute path";
	if (strchr(p, '\\') != NULL)
		return "backslash in path";
	for (s = p; s != NULL; s = strchr(s, '/')) {
		if (*s == '/')
			s++;
		if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0'))
			return "path traversal";
	}
	return NULL;
}

static char *
msg2(const char *what, const char *path)
{
	char buf[400];

	snprintf(buf, sizeof(buf), "refused package: %s '%.300s'", what, path);
	return strdup(buf);
}

int
crawl_oapkg_read(const void *data, size_t len, struct crawl_oapkg *ret, char **ret_err)
{
	struct crawl_oapkg p = { 0 };
	struct archive *a;
	struct archive_entry *e;
	size_t entries = 0, total = 0;
	char *err = NULL;
	int rc = 0, r;

	a = archive_read_new();
	if (a == NULL)
		return -ENOMEM;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_none(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		err = strdup(archive_error_string(a) ? archive_error_string(a) : "not an archive");
		rc = -WN_EFORMAT;
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(e);
		const char *why;
		mode_t type = archive_entry_filetype(e);
		struct crawl_oapkg_file f = { 0 }, *nf;
		int keep;
		la_int64_t size = archive_entry_size(e);

		if (++entries > CRAWL_OAPKG_MAX_ENTRIES) {
			err = strdup("refused package: too many entries");
			rc = -WN_ECORRUPT;
			goto out;
		}
		if (path == NULL || *path == '\0') {
			err = strdup("refused package: entry without a name");
			rc = -WN_ECORRUPT;
			goto out;
		}
		if ((why = bad_path(path)) != NULL) {
			err = msg2(why, path);
			rc = -WN_ECORRUPT;
			goto out;
		}
		if (archive_entry_hardlink(e) != NULL || type == AE_IFLNK) {
			err = msg2("link", path);
			rc = -WN_ECORRUPT;
			goto out;
		}
		if (type == AE_IFDIR)
			continue;
		if (type != AE_IFREG) {
			err = msg2("special file", path);
			rc = -WN_ECORRUPT;
			goto out;
		}
		if (size < 0 || (size_t)size > CRAWL_OAPKG_MAX_FILE ||
		    total + (size_t)size > CRAWL_OAPKG_MAX_TOTAL) {
			err = msg2("decompression bomb (entry too large)", path);
			rc = -WN_ECORRUPT;
			goto out;
		}
		total += (size_t)size;
		if (total > 16u * 1024 * 1024 && total / (len ? len : 1) > CRAWL_OAPKG_MAX_RATIO) {
			err = msg2("decompression bomb (expansion ratio)", path);
			rc = -WN_ECORRUPT;
			goto out;
		}
		keep = has_ext(path, keep_exts);
		if (!keep) {
			archive_read_data_skip(a);
			continue;
		}
		f.path = strdup(path);
		f.data = malloc(size > 0 ? (size_t)size : 1);
		if (f.path == NULL || f.data == NULL) {
			free(f.path);
			free(f.data);
			rc = -ENOMEM;
			goto out;
		}
		{
			la_ssize_t got = 0, n;

			while (got < size &&
			       (n = archive_read_data(a, f.data + got, (size_t)(size - got))) > 0)
				got += n;
			if (got != size) {
				free(f.path);
				free(f.data);
				err = msg2("truncated entry", path);
				rc = -WN_ECORRUPT;
				goto out;
			}
		}
		f.len = (size_t)size;
		f.name = strrchr(f.path, '/') != NULL ? strrchr(f.path, '/') + 1 : f.path;
		nf = realloc(p.files, (p.nfiles + 1) * sizeof(*nf));
		if (nf == NULL) {
			free(f.path);
			free(f.data);
			rc = -ENOMEM;
			goto out;
		}
		p.files = nf;
		p.files[p.nfiles++] = f;
	}
	if (r != ARCHIVE_EOF) {
		char buf[300];

		snprintf(buf, sizeof(buf), "damaged package: %s",
			 archive_error_string(a) ? archive_error_string(a) : "read error");
		err = strdup(buf);
		rc = -WN_EFORMAT;
		goto out;
	}
	{
		size_t i;
		static const char *const x1[] = { "nxml", NULL }, *const x2[] = { "xml", NULL };

		for (i = 0; i < p.nfiles && p.nxml == NULL; i++)
			if (has_ext(p.files[i].name, x1))
				p.nxml = &p.files[i];
		for (i = 0; i < p.nfiles && p.nxml == NULL; i++)
			if (has_ext(p.files[i].name, x2))
				p.nxml = &p.files[i];
	}
	*ret = p;
	p = (struct crawl_oapkg){ 0 };
out:
	archive_read_free(a);
	crawl_oapkg_release(&p);
	if (ret_err != NULL && rc < 0)
		*ret_err = err;
	else
		free(err);
	return rc;
}

const struct crawl_oapkg_file *
crawl_oapkg_find(const struct crawl_oapkg *p, const char *href)
{
	static const char *const exts[] = { "", ".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff" };
	size_t i, k, hl = strlen(href);

	for (k = 0; k < sizeof(exts) / sizeof(exts[0]); k++) {
		for (i = 0; i < p->nfiles; i++) {
			const char *n = p->files[i].name;

			if (&p->files[i] == p->nxml)
				continue;
			if (strncmp(n, href, hl) == 0 && strcasecmp(n + hl, exts[k]) == 0)
				return &p->files[i];
		}
	}
	return NULL;
}
