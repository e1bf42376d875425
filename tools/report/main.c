/*
 * winnow-report: static HTML pages for reviewing a winnow database: counts per
 * table and reason, every figure with its panel boxes drawn over the image, its
 * caption with the sub-captions marked, the pairs made from it (kept or dropped,
 * with the reason), and the duplicate groups side by side.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/log.h"
#include "lib/tool.h"
#include "lib/util.h"
#include "tools/report/html.h"
#include "lib/banned.h"

static const char usage_text[] =
	"usage: winnow-report [-qv] [-d FILE] [-o DIR] [--per-page N] [--limit N]\n"
	"\n"
	"Write static HTML pages for reviewing a winnow database.\n"
	"\n"
	"Options:\n"
	"  -d, --db FILE       database (default $WINNOW_DB, else ./winnow.db)\n"
	"  -o, --output DIR    where to write the pages (default ./report)\n"
	"      --per-page N    figures per page (default 50)\n"
	"      --limit N       at most N figures (default all)\n"
	"  -q, --quiet         errors only\n"
	"  -v, --verbose       more messages (repeatable)\n"
	"  -h, --help          show this help\n"
	"  -V, --version       show versions\n"
	"\n"
	"See winnow-report(1).\n";

struct opts {
	const char *db_path;
	const char *outdir;
	int per_page;
	int64_t limit;
};

struct report {
	const struct opts *o;
	struct wn_db *db;
	sqlite3_stmt *panels;	/* owned: panels of a figure */
	sqlite3_stmt *subs;	/* owned: sub-captions of a figure */
	sqlite3_stmt *pairs;	/* owned: pairs of a figure */
	int64_t figures, images_copied;
};

static const char figures_sql[] =
	"SELECT f.id, f.label, f.caption, f.status, f.reason, d.source, d.source_id,"
	"       d.title, d.license, d.is_retracted, i.path, i.width, i.height, f.url,"
	"       d.superseded_by IS NOT NULL"
	"  FROM figures f JOIN documents d ON d.id = f.document_id"
	"  LEFT JOIN images i ON i.id = f.image_id"
	" ORDER BY f.id LIMIT ?1";
static const char panels_sql[] =
	"SELECT x, y, w, h, label, score FROM panels WHERE figure_id = ?1 ORDER BY ordinal";
static const char subs_sql[] =
	"SELECT start, end, labels, is_shared FROM subcaptions WHERE figure_id = ?1"
	" ORDER BY start, ordinal";
static const char pairs_sql[] =
	"SELECT p.id, p.x, p.y, p.w, p.h, p.status, p.reason, p.split, p.caption"
	"  FROM pairs p WHERE p.figure_id = ?1 ORDER BY p.id";
static const char dups_sql[] =
	"SELECT x.group_id, x.kind, x.is_representative, x.method, x.distance, i.path,"
	"       x.panel_id"
	"  FROM duplicates x LEFT JOIN images i ON i.id = x.image_id"
	" ORDER BY x.group_id, x.is_representative DESC, x.id LIMIT 5000";

static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Hard-link (or copy) a store image into DIR/images/; returns 0 or -errno. */
static int
copy_image(struct report *r, const char *relpath, char *ret_href, size_t hrefsz)
{
	char src[4096], dst[4096], buf[65536];
	const char *base = strrchr(relpath, '/');
	int in = -1, out = -1, rc = 0;
	ssize_t n;

	base = base ? base + 1 : relpath;
	snprintf(src, sizeof(src), "%s/%s", r->db->store, relpath);
	snprintf(dst, sizeof(dst), "%s/images/%s", r->o->outdir, base);
	snprintf(ret_href, hrefsz, "images/%s", base);
	if (access(dst, F_OK) == 0)
		return 0;
	if (link(src, dst) == 0) {
		r->images_copied++;
		return 0;
	}
	if ((in = open(src, O_RDONLY)) < 0)
		return -errno;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		rc = -errno;
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			goto out;
		}
	}
	if (n < 0)
		rc = -errno;
	r->images_copied++;
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* A two-column table from a "SELECT key, count" query. */
static int
group_table(FILE *f, struct wn_db *db, const char *title, const char *sql)
{
	sqlite3_stmt *st;
	int rc, rows = 0;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return wn_db_error(db);
	fputs("<h3>", f);
	html_text(f, title);
	fputs("</h3>\n<table>\n", f);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fputs("<tr><td>", f);
		html_text(f, col(st, 0) ? col(st, 0) : "(none)");
		fprintf(f, "</td><td>%lld</td></tr>\n", (long long)sqlite3_column_int64(st, 1));
		rows++;
	}
	if (rows == 0)
		fputs("<tr><td colspan=\"2\">none</td></tr>\n", f);
	fputs("</table>\n", f);
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(db);
	sqlite3_finalize(st);
	return rc;
}

static void
write_caption(FILE *f, struct report *r, int64_t fig, const char *cap)
{
	sqlite3_stmt *st = r->subs;
	size_t pos = 0, len = cap ? strlen(cap) : 0;

	fputs("<p class=\"cap\">", f);
	if (cap == NULL) {
		fputs("<i>no caption</i></p>\n", f);
		return;
	}
	sqlite3_bind_int64(st, 1, fig);
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t s = utf8_offset(cap, sqlite3_column_int64(st, 0));
		size_t e = utf8_offset(cap, sqlite3_column_int64(st, 1));

		if (s < pos || e < s || e > len)
			continue;	/* overlapping or out of range: shown as plain text */
		html_textn(f, cap + pos, s - pos);
		if (sqlite3_column_int(st, 3)) {
			fputs("<span class=\"shared\" title=\"shared\">", f);
		} else {
			const char *l = col(st, 2);

			/* '["A","B"]' is shown as 'A,B' */
			fputs("<span class=\"sub\"><span class=\"lab\">", f);
			for (; l && *l; l++)
				if (*l != '[' && *l != ']' && *l != '"')
					html_textn(f, l, 1);
			fputs("</span> ", f);
		}
		html_textn(f, cap + s, e - s);
		fputs("</span>", f);
		pos = e;
	}
	html_textn(f, cap + pos, len - pos);
	fputs("</p>\n", f);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void
write_overlay(FILE *f, struct report *r, int64_t fig, int w, int h)
{
	sqlite3_stmt *st = r->panels;

	fprintf(f, "<svg viewBox=\"0 0 %d %d\" preserveAspectRatio=\"none\">", w, h);
	sqlite3_bind_int64(st, 1, fig);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int x = sqlite3_column_int(st, 0), y = sqlite3_column_int(st, 1);
		int stroke = w > h ? w / 300 + 1 : h / 300 + 1;

		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
			"stroke=\"#e00\" stroke-width=\"%d\"/>", x, y, sqlite3_column_int(st, 2),
			sqlite3_column_int(st, 3), stroke);
		if (col(st, 4) && *col(st, 4)) {
			fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#e00\" font-size=\"%d\">", x + 2,
				y + stroke * 12, stroke * 12);
			html_text(f, col(st, 4));
			fputs("</text>", f);
		}
	}
	fputs("</svg>", f);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void
write_pairs(FILE *f, struct report *r, int64_t fig)
{
	sqlite3_stmt *st = r->pairs;
	int n = 0;

	sqlite3_bind_int64(st, 1, fig);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *status = col(st, 5);

		if (n++ == 0)
			fputs("<table><tr><th>pair</th><th>box</th><th>status</th><th>split</th>"
			      "<th>caption</th></tr>\n", f);
		fprintf(f, "<tr><td>%lld</td><td>%d,%d %dx%d</td><td class=\"%s\">",
			(long long)sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1),
			sqlite3_column_int(st, 2), sqlite3_column_int(st, 3),
			sqlite3_column_int(st, 4),
			status && strcmp(status, "kept") == 0 ? "kept" : "dropped");
		html_text(f, status);
		if (col(st, 6)) {
			fputs(": ", f);
			html_text(f, col(st, 6));
		}
		fputs("</td><td>", f);
		html_text(f, col(st, 7));
		fputs("</td><td>", f);
		html_text(f, col(st, 8));
		fputs("</td></tr>\n", f);
	}
	if (n)
		fputs("</table>\n", f);
	else
		fputs("<p><i>not paired yet</i></p>\n", f);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static FILE *
open_page(const struct opts *o, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", o->outdir, name);
	f = fopen(path, "w");
	if (f == NULL)
		wn_error("cannot create '%s': %s", path, strerror(errno));
	return f;
}

static int
close_page(FILE *f, const struct opts *o, const char *name)
{
	html_end(f);
	if (ferror(f) | (fclose(f) != 0)) {
		wn_error("cannot write '%s/%s': %s", o->outdir, name, strerror(errno));
		return -EIO;
	}
	return 0;
}

static void
nav(FILE *f, int page, int npages)
{
	fputs("<nav><a href=\"index.html\">summary</a><a href=\"duplicates.html\">duplicates</a>",
	      f);
	for (int p = 1; p <= npages; p++) {
		if (p == page)
			fprintf(f, "<b>%d</b> ", p);
		else
			fprintf(f, "<a href=\"figures-%d.html\">%d</a>", p, p);
	}
	fputs("</nav>\n", f);
}

static int
write_figures(struct report *r, int npages)
{
	sqlite3_stmt *st = NULL;
	FILE *f = NULL;
	int rc, page = 0, on_page = 0;
	char name[64];

	if ((rc = wn_db_prepare(r->db, figures_sql, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, r->o->limit > 0 ? r->o->limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t fig = sqlite3_column_int64(st, 0);
		char href[4096];

		if (f == NULL || on_page == r->o->per_page) {
			if (f && (rc = close_page(f, r->o, name)) < 0) {
				f = NULL;
				goto out;
			}
			page++;
			on_page = 0;
			snprintf(name, sizeof(name), "figures-%d.html", page);
			if ((f = open_page(r->o, name)) == NULL) {
				rc = -EIO;
				goto out;
			}
			html_begin(f, name);
			nav(f, page, npages);
		}
		on_page++;
		r->figures++;
		fprintf(f, "<div class=\"fig\" id=\"f%lld\"><h3>figure %lld: ", (long long)fig,
			(long long)fig);
		html_text(f, col(st, 1));
		fputs(" &mdash; ", f);
		html_text(f, col(st, 5));
		fputs(" ", f);
		html_text(f, col(st, 6));
		fputs("</h3>\n<p>", f);
		html_text(f, col(st, 7));
		fputs(" (licence: ", f);
		html_text(f, col(st, 8) ? col(st, 8) : "unknown");
		fputs(")", f);
		if (sqlite3_column_int(st, 9))
			fputs(" <b class=\"dropped\">retracted</b>", f);
		if (sqlite3_column_int(st, 14))
			fputs(" <b class=\"dropped\">superseded</b>", f);
		fputs(" &middot; figure status: ", f);
		html_text(f, col(st, 3));
		if (col(st, 4)) {
			fputs(" (", f);
			html_text(f, col(st, 4));
			fputs(")", f);
		}
		fputs("</p>\n", f);
		if (col(st, 10) && copy_image(r, col(st, 10), href, sizeof(href)) == 0) {
			fputs("<div class=\"wrap\"><img loading=\"lazy\" alt=\"\" src=\"", f);
			html_text(f, href);
			fputs("\">", f);
			if (sqlite3_column_int(st, 11) > 0 && sqlite3_column_int(st, 12) > 0)
				write_overlay(f, r, fig, sqlite3_column_int(st, 11),
					      sqlite3_column_int(st, 12));
			fputs("</div>\n", f);
		} else {
			fputs("<p><i>no image</i> ", f);
			html_text(f, col(st, 13));
			fputs("</p>\n", f);
		}
		write_caption(f, r, fig, col(st, 2));
		write_pairs(f, r, fig);
		fputs("</div>\n", f);
	}
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(r->db);
	if (f) {
		int rc2 = close_page(f, r->o, name);

		f = NULL;
		if (rc == 0)
			rc = rc2;
	}
out:
	if (f)
		fclose(f);
	sqlite3_finalize(st);
	return rc;
}

static int
write_duplicates(struct report *r)
{
	sqlite3_stmt *st = NULL;
	FILE *f;
	int64_t group = -1;
	int rc;

	if ((f = open_page(r->o, "duplicates.html")) == NULL)
		return -EIO;
	html_begin(f, "duplicates");
	nav(f, 0, 0);
	fputs("<h2>Duplicate groups</h2>\n<p>The first image of a group is its representative; "
	      "the others leave the curated pairs.</p>\n", f);
	if ((rc = wn_db_prepare(r->db, dups_sql, &st)) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char href[4096];

		if (sqlite3_column_int64(st, 0) != group) {
			if (group >= 0)
				fputs("</div>\n", f);
			group = sqlite3_column_int64(st, 0);
			fprintf(f, "<div class=\"dup\"><h4>group %lld (", (long long)group);
			html_text(f, col(st, 1));
			fputs(")</h4>\n", f);
		}
		fputs("<figure style=\"display:inline-block\">", f);
		if (col(st, 5) && copy_image(r, col(st, 5), href, sizeof(href)) == 0) {
			fputs("<img loading=\"lazy\" alt=\"\" src=\"", f);
			html_text(f, href);
			fputs("\">", f);
		}
		fputs("<figcaption>", f);
		if (sqlite3_column_int(st, 2)) {
			fputs("representative", f);
		} else {
			html_text(f, col(st, 3));
			fprintf(f, " %.0f", sqlite3_column_double(st, 4));
		}
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			fprintf(f, " (panel %lld)", (long long)sqlite3_column_int64(st, 6));
		fputs("</figcaption></figure>\n", f);
	}
	if (group >= 0)
		fputs("</div>\n", f);
	else
		fputs("<p>none</p>\n", f);
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(r->db);
out:
	sqlite3_finalize(st);
	if (close_page(f, r->o, "duplicates.html") < 0 && rc == 0)
		rc = -EIO;
	return rc;
}

static int
write_index(struct report *r, int npages)
{
	static const char *const tables[] = { "documents", "figures", "images", "panels",
					      "subcaptions", "pairs", "duplicates", "fetches" };
	FILE *f = open_page(r->o, "index.html");
	int64_t n;
	int rc = 0;

	if (f == NULL)
		return -EIO;
	html_begin(f, "winnow report");
	nav(f, 0, npages);
	fputs("<h1>winnow report</h1>\n<p>Database: ", f);
	html_text(f, r->db->path);
	fputs("</p>\n<h3>Rows</h3>\n<table>\n", f);
	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++) {
		char sql[96];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		if ((rc = wn_db_query_int64(r->db, sql, &n)) < 0)
			goto out;
		fprintf(f, "<tr><td>%s</td><td>%lld</td></tr>\n", tables[i], (long long)n);
	}
	if ((rc = wn_db_query_int64(r->db, "SELECT count(*) FROM curated_pairs", &n)) < 0)
		goto out;
	fprintf(f, "<tr><th>curated pairs</th><th>%lld</th></tr>\n</table>\n", (long long)n);
	if ((rc = group_table(f, r->db, "Pairs dropped, by reason",
			      "SELECT reason, count(*) FROM pairs WHERE status = 'dropped'"
			      " GROUP BY 1 ORDER BY 2 DESC")) < 0 ||
	    (rc = group_table(f, r->db, "Curated pairs by licence",
			      "SELECT license, count(*) FROM curated_pairs GROUP BY 1 ORDER BY 2 DESC")) < 0 ||
	    (rc = group_table(f, r->db, "Curated pairs by split",
			      "SELECT split, count(*) FROM curated_pairs GROUP BY 1 ORDER BY 1")) < 0 ||
	    (rc = group_table(f, r->db, "Figures by status",
			      "SELECT status || coalesce(' (' || reason || ')', ''), count(*)"
			      " FROM figures GROUP BY 1 ORDER BY 2 DESC")) < 0 ||
	    (rc = group_table(f, r->db, "Fetches by state",
			      "SELECT state, count(*) FROM fetches GROUP BY 1 ORDER BY 1")) < 0 ||
	    (rc = group_table(f, r->db, "Documents by source",
			      "SELECT source, count(*) FROM documents GROUP BY 1 ORDER BY 1")) < 0)
		goto out;
out:
	if (close_page(f, r->o, "index.html") < 0 && rc == 0)
		rc = -EIO;
	return rc;
}

static int
run(const struct opts *o)
{
	struct wn_db_opts dbo = { .readonly = 1 };
	struct report r = { .o = o };
	char dir[4096];
	int64_t nfig = 0;
	int rc, npages;

	if ((rc = wn_db_open(o->db_path, &dbo, &r.db)) < 0) {
		wn_error("cannot open '%s': %s", o->db_path, wn_strerror(rc));
		return wn_exit_status(rc);
	}
	snprintf(dir, sizeof(dir), "%s/images", o->outdir);
	if ((rc = wn_mkdir_p(dir)) < 0) {
		wn_error("cannot create '%s': %s", dir, wn_strerror(rc));
		wn_db_close(r.db);
		return EX_CANTCREAT;
	}
	if ((rc = wn_db_query_int64(r.db, "SELECT count(*) FROM figures", &nfig)) < 0)
		goto out;
	if (o->limit > 0 && nfig > o->limit)
		nfig = o->limit;
	npages = (int)((nfig + o->per_page - 1) / o->per_page);
	if ((rc = wn_db_prepare(r.db, panels_sql, &r.panels)) < 0 ||
	    (rc = wn_db_prepare(r.db, subs_sql, &r.subs)) < 0 ||
	    (rc = wn_db_prepare(r.db, pairs_sql, &r.pairs)) < 0)
		goto out;
	if ((rc = write_index(&r, npages)) < 0 || (rc = write_figures(&r, npages)) < 0 ||
	    (rc = write_duplicates(&r)) < 0)
		goto out;
	wn_info("done: %lld figures on %d pages, %lld images in '%s'", (long long)r.figures,
		npages, (long long)r.images_copied, o->outdir);
out:
	if (rc < 0 && rc != -EIO)
		wn_error("cannot read '%s': %s", o->db_path, wn_db_errmsg(r.db));
	sqlite3_finalize(r.panels);
	sqlite3_finalize(r.subs);
	sqlite3_finalize(r.pairs);
	wn_db_close(r.db);
	return rc == -EIO ? EX_IOERR : wn_exit_status(rc);
}

int
main(int argc, char *argv[])
{
	enum { OPT_PER_PAGE = 256, OPT_LIMIT };
	static const struct option longopts[] = {
		{ "db",       required_argument, NULL, 'd' },
		{ "output",   required_argument, NULL, 'o' },
		{ "per-page", required_argument, NULL, OPT_PER_PAGE },
		{ "limit",    required_argument, NULL, OPT_LIMIT },
		{ "quiet",    no_argument,       NULL, 'q' },
		{ "verbose",  no_argument,       NULL, 'v' },
		{ "help",     no_argument,       NULL, 'h' },
		{ "version",  no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .db_path = wn_db_default_path(), .outdir = "report", .per_page = 50 };
	int c, verbosity = 1;

	signal(SIGPIPE, SIG_IGN);
	wn_log_init("winnow-report", verbosity);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:o:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db_path = optarg; break;
		case 'o': o.outdir = optarg; break;
		case OPT_PER_PAGE:
			if (wn_parse_int(optarg, 1, 100000, &o.per_page) < 0)
				return wn_usage_error("invalid --per-page '%s'", optarg);
			break;
		case OPT_LIMIT:
			if (wn_parse_i64(optarg, 1, INT64_MAX, &o.limit) < 0)
				return wn_usage_error("invalid --limit '%s'", optarg);
			break;
		default:
			if ((c = wn_common_option(c, argv, usage_text, &verbosity)) >= 0)
				return c;
			break;
		}
	}
	wn_log_init("winnow-report", verbosity);
	if (optind != argc)
		return wn_usage_error("unexpected argument '%s'", argv[optind]);
	return wn_finish_stdout(run(&o));
}
