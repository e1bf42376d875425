/*
 * dedup-main.c: winnow-dedup, duplicate groups of images, panels and captions.
 *
 * Standalone (--json): winnow-hash --json lines on stdin, one JSON object per group
 * on stdout.  Database: image and panel hashes of the `hashes` table (ids on stdin,
 * or --all), groups into `duplicates`, non-representatives' pairs dropped with reason
 * 'duplicate', the ids of images found to be duplicates on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dedup/dedup-db.h"
#include "dedup/dedup-set.h"
#include "dedup/embed.h"
#include "lib/db.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/tool.h"
#include "lib/util.h"
#include "lib/banned.h"

#define MAX_LINE	((size_t)1 << 20)

static const char help_text[] =
"usage: winnow-dedup [-qv] [-d FILE] [-j N] [--all] [--json] [--pairs] [--no-regions]\n"
"                    [--max-errors N] [threshold options] [< ids]\n"
"       winnow-dedup [-qv] [-d FILE] --leakage [--drop-leakage]\n"
"       winnow-dedup [-qv] [-d FILE] captions\n"
"       winnow-dedup [-qv] [-d FILE] embeddings import FILE.npy\n"
"                    (--ids FILE | --paths FILE) --model NAME\n"
"       winnow-dedup calibrate [--target P] [FILE]\n"
"\n"
"Find exact and near-duplicate images, panels and captions.\n"
"\n"
"  -d, --db FILE          database (default $WINNOW_DB, else ./winnow.db)\n"
"      --all              every hashed image, not only the ids on stdin\n"
"      --json             standalone: winnow-hash --json lines on stdin,\n"
"                         one JSON object per duplicate group on stdout\n"
"  -j, --jobs N           threads for region descriptors (default: CPUs)\n"
"      --no-regions       no crop/border/panel descriptors (hashes only)\n"
"      --pairs            standalone: print every candidate pair and its signals\n"
"                         instead of groups (input for calibrate)\n"
"      --pdq-threshold N  PDQ distance of a duplicate (default 15)\n"
"      --pdq-candidate N  PDQ distance of a candidate needing confirmation (31)\n"
"      --min-quality N    PDQ quality below which PDQ is not used (50)\n"
"      --phash-confirm N  pHash distance confirming a candidate (2)\n"
"      --region-threshold C  region correlation of a duplicate (0.98)\n"
"      --region-candidate C  correlation worth aligning a crop (0.85)\n"
"      --region-aligned C    aligned crop correlation of a duplicate (0.965)\n"
"      --embedding-threshold C  embedding cosine of a duplicate (0.95)\n"
"      --model NAME       embeddings of this model (import, grouping)\n"
"      --leakage          report val/test pairs with a duplicate in train\n"
"      --drop-leakage     and drop them with reason 'leakage'\n"
"      --ids FILE         embeddings import: image ids, one a line\n"
"      --paths FILE       embeddings import: image store paths, one a line\n"
"      --target P         calibrate: precision to reach (default 0.999)\n"
"      --max-errors N     bad input lines tolerated before exit 1 (default 0)\n"
"      --busy-timeout MS  wait MS milliseconds for a locked database (10000)\n"
"  -q, --quiet            errors only\n"
"  -v, --verbose          more messages (repeatable)\n"
"  -h, --help             this help\n"
"  -V, --version          version and library versions\n"
"\n"
"See winnow-dedup(1).\n";

enum {
	OPT_ALL = 256, OPT_JSON, OPT_NO_REGIONS, OPT_PDQ_T, OPT_PDQ_C, OPT_MINQ,
	OPT_PHASH, OPT_REGION_T, OPT_EMB_T, OPT_MODEL, OPT_LEAK, OPT_DROP_LEAK,
	OPT_IDS, OPT_PATHS, OPT_TARGET, OPT_MAX_ERRORS, OPT_PAIRS, OPT_BUSY, OPT_REGION_C, OPT_REGION_F,
};

struct opts {
	const char *db_path;
	int all, json, no_regions, leakage, drop_leakage, jobs, pairs;
	int64_t max_errors;
	int busy_ms;
	const char *model, *ids_file, *paths_file;
	double target;
	struct dedup_params p;
	const char *cmd;	/* NULL, "embeddings", "calibrate", "captions" */
	char **args;
	int nargs;
};

/* One compact JSON line; distances with 6 significant digits. */
static int
write_line(const json_t *o)
{
	if (json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER |
		       JSON_REAL_PRECISION(6)) != 0 || putchar('\n') == EOF)
		return errno == EPIPE ? -EPIPE : -EIO;
	return 0;
}

static int
emit_groups(struct dedup_set *s, struct dedup_groups *gs)
{
	for (size_t g = 0; g < gs->n; g++) {
		const struct dedup_group *gr = &gs->g[g];
		json_t *o = json_object(), *mem = json_array();
		int rc;

		if (o == NULL || mem == NULL) {
			json_decref(o);
			json_decref(mem);
			return -ENOMEM;
		}
		json_object_set_new(o, "group", json_integer((json_int_t)g + 1));
		json_object_set_new(o, "representative", json_string(s->it[gr->rep].path));
		for (size_t k = 0; k < gr->n; k++) {
			json_t *m = json_object();
			const struct dedup_member *dm = &gr->m[k];

			json_object_set_new(m, "path", json_string(s->it[dm->item].path));
			json_object_set_new(m, "method", json_string(dedup_method_name(dm->method)));
			if (dm->method == DEDUP_M_REGION || dm->method == DEDUP_M_EMBEDDING ||
			    dm->method == DEDUP_M_LINKED)
				json_object_set_new(m, "distance",
						    json_real(dm->dist));
			else
				json_object_set_new(m, "distance", json_integer((json_int_t)dm->dist));
			json_array_append_new(mem, m);
		}
		json_object_set_new(o, "members", mem);
		rc = write_line(o);
		json_decref(o);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
cmp_edge(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

/* --pairs: every candidate pair once with all its signals (for calibrate). */
static int
emit_pairs(struct dedup_set *s)
{
	for (size_t e = 0; e < s->nedges; e++) {
		uint32_t *p = s->edges + 2 * e;

		if (p[0] > p[1]) {
			uint32_t t = p[0];

			p[0] = p[1];
			p[1] = t;
		}
	}
	qsort(s->edges, s->nedges, 2 * sizeof(uint32_t), cmp_edge);
	for (size_t e = 0; e < s->nedges; e++) {
		const uint32_t *p = s->edges + 2 * e;
		struct dedup_features f;
		json_t *o;
		int method, rc;
		double dist;

		if (e > 0 && p[0] == p[-2] && p[1] == p[-1])
			continue;
		dedup_set_features(s, p[0], p[1], &f);
		o = json_object();
		if (o == NULL)
			return -ENOMEM;
		json_object_set_new(o, "a", json_string(s->it[p[0]].path));
		json_object_set_new(o, "b", json_string(s->it[p[1]].path));
		json_object_set_new(o, "pdq", json_integer(f.pdq));
		json_object_set_new(o, "pdq_method", json_string(f.pdq < 0 ? "" :
						dedup_method_name(f.pdq_method)));
		json_object_set_new(o, "phash", json_integer(f.phash));
		json_object_set_new(o, "dhash", json_integer(f.dhash));
		json_object_set_new(o, "region", json_real(f.region));
		json_object_set_new(o, "region_fine", json_real(f.region_fine));
		json_object_set_new(o, "embedding", json_real(f.emb));
		json_object_set_new(o, "match", json_boolean(
			dedup_set_match(s, p[0], p[1], &method, &dist) > 0));
		rc = write_line(o);
		json_decref(o);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
run_json(const struct opts *o)
{
	struct dedup_set s;
	struct dedup_groups gs = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int64_t lineno = 0, bad = 0, failed = 0;
	double t0 = wn_now(), t1;
	int rc = 0, status = EX_OK;

	dedup_set_init(&s, &o->p);
	while ((len = getline(&line, &cap, stdin)) != -1) {
		json_t *obj;
		const char *why = NULL;
		int64_t k;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if ((size_t)len > MAX_LINE) {
			wn_warn("stdin:%lld: line longer than %zu bytes, skipping",
				(long long)lineno, MAX_LINE);
			bad++;
			continue;
		}
		obj = wn_json_parse(line, (size_t)len, MAX_LINE, NULL);
		if (!json_is_object(obj)) {
			wn_warn("stdin:%lld: not a JSON object, skipping", (long long)lineno);
			json_decref(obj);
			bad++;
			continue;
		}
		k = dedup_set_add(&s);
		if (k < 0) {
			json_decref(obj);
			rc = (int)k;
			goto out;
		}
		rc = dedup_set_from_json(&s, (size_t)k, obj, &why);
		json_decref(obj);
		if (rc == -ENOMEM)
			goto out;
		if (rc < 0) {
			wn_warn("stdin:%lld: bad '%s' field, skipping", (long long)lineno,
				why ? why : "?");
			free(s.it[k].path);
			s.n--;
			bad++;
		} else if (rc == 0) {
			wn_info("'%s': not hashed (error), skipping", s.it[k].path);
			failed++;
		}
		rc = 0;
	}
	if (ferror(stdin)) {
		wn_error("cannot read standard input: %s", strerror(errno));
		rc = -EIO;
		goto out;
	}
	if (bad > 0 && s.n == 0) {
		wn_error("no usable winnow-hash line on standard input");
		status = EX_DATAERR;
		goto out;
	}
	if (!o->no_regions && s.n > DEDUP_REGION_MAX_ITEMS)
		wn_warn("%zu items: region descriptors skipped above %d (crops and borders "
			"are not searched)", s.n, DEDUP_REGION_MAX_ITEMS);
	if (!o->no_regions && s.n > 0 && s.n <= DEDUP_REGION_MAX_ITEMS) {
		size_t nf = 0;

		rc = dedup_set_regions(&s, o->jobs, NULL, &nf);
		if (rc < 0)
			goto out;
		if (nf)
			wn_info("%zu files without region descriptors (unreadable)", nf);
	}
	t1 = wn_now();
	rc = dedup_set_candidates(&s, NULL);
	if (rc < 0)
		goto out;
	wn_info("candidates in %.2fs: PDQ index of %u codes built in %.3fs, queried "
		"(8 dihedral hashes and complements, radius %d) in %.3fs, %llu codes "
		"verified, %llu buckets over the cap; region join %.2fs; %zu edges",
		wn_now() - t1, s.mih_codes, s.t_mih_build, s.p.pdq_cand, s.t_mih_query,
		(unsigned long long)s.mih_candidates, (unsigned long long)s.mih_skipped,
		s.t_region, s.nedges);
	if (o->pairs) {
		rc = emit_pairs(&s);
		if (rc == -EPIPE)
			rc = 0;
		goto out;
	}
	rc = dedup_set_group(&s, &gs);
	if (rc < 0)
		goto out;
	rc = emit_groups(&s, &gs);
	if (rc == -EPIPE) {
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	{
		size_t dups = 0;

		for (size_t g = 0; g < gs.n; g++)
			dups += gs.g[g].n;
		wn_info("done: %zu items, %zu groups, %zu duplicates, %zu candidate edges, "
			"%lld unhashed, %lld bad lines in %.1fs", s.n, gs.n, dups, s.nedges,
			(long long)failed, (long long)bad, wn_now() - t0);
	}
	if (bad > o->max_errors)
		status = WN_EX_PARTIAL;
out:
	free(line);
	dedup_groups_release(&gs);
	dedup_set_release(&s);
	if (rc < 0) {
		wn_error("%s", wn_strerror(rc));
		return wn_exit_status(rc);
	}
	return status;
}

static int
run_calibrate(const struct opts *o)
{
	FILE *in = stdin;
	const char *name = "stdin";
	char *line = NULL;
	size_t cap = 0, n = 0, ncap = 0;
	double *score = NULL, t, p, r;
	int *label = NULL, rc = EX_OK, found;
	int64_t lineno = 0, bad = 0;

	if (o->nargs > 1)
		return wn_usage_error("calibrate takes at most one file");
	if (o->nargs == 1 && strcmp(o->args[0], "-") != 0) {
		name = o->args[0];
		in = fopen(name, "r");
		if (in == NULL) {
			wn_error("cannot open '%s': %s", name, strerror(errno));
			return EX_NOINPUT;
		}
	}
	while (getline(&line, &cap, in) != -1) {
		char *tab, *end;
		double v;
		int64_t l;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		tab = strchr(line, '\t');
		if (tab == NULL)
			tab = strchr(line, ' ');
		if (tab == NULL) {
			wn_warn("%s:%lld: expected 'SCORE LABEL', skipping", name, (long long)lineno);
			bad++;
			continue;
		}
		*tab = '\0';
		end = tab + 1;
		while (*end == ' ' || *end == '\t')
			end++;
		if (wn_parse_double(line, -1e30, 1e30, &v) < 0 ||
		    wn_parse_i64(end, 0, 1, &l) < 0) {
			wn_warn("%s:%lld: expected 'SCORE LABEL' with label 0 or 1, skipping",
				name, (long long)lineno);
			bad++;
			continue;
		}
		if (n == ncap) {
			size_t nc = ncap ? 2 * ncap : 1024;
			double *s2;
			int *l2;

			if (nc > ((size_t)1 << 28)) {
				wn_error("%s: too many pairs", name);
				rc = EX_DATAERR;
				goto out;
			}
			s2 = realloc(score, nc * sizeof(*s2));
			if (s2 == NULL)
				goto oom;
			score = s2;
			l2 = realloc(label, nc * sizeof(*l2));
			if (l2 == NULL)
				goto oom;
			label = l2;
			ncap = nc;
		}
		score[n] = v;
		label[n] = (int)l;
		n++;
	}
	if (n == 0) {
		wn_error("%s: no labelled pairs", name);
		rc = EX_DATAERR;
		goto out;
	}
	found = dedup_calibrate(score, label, n, o->target, &t, &p, &r);
	if (found < 0)
		goto oom;
	if (!found) {
		wn_error("no threshold reaches precision %g on %zu pairs", o->target, n);
		rc = EX_DATAERR;
		goto out;
	}
	if (o->json) {
		json_t *obj = json_pack("{s:f,s:f,s:f,s:f,s:I}", "threshold", t, "precision",
					p, "recall", r, "target", o->target, "pairs", (json_int_t)n);

		if (obj == NULL)
			goto oom;
		(void)wn_json_write_line(stdout, obj);
		json_decref(obj);
	} else {
		printf("threshold\t%.6g\nprecision\t%.6f\nrecall\t%.6f\npairs\t%zu\n", t, p, r, n);
	}
	if (bad > o->max_errors)
		rc = WN_EX_PARTIAL;
	goto out;
oom:
	wn_error("%s", wn_strerror(-ENOMEM));
	rc = EX_OSERR;
out:
	if (in != stdin)
		fclose(in);
	free(line);
	free(score);
	free(label);
	return rc;
}

static int
parse_float_opt(const char *name, const char *arg, double lo, double hi, double *ret)
{
	if (wn_parse_double(arg, lo, hi, ret) < 0)
		return wn_usage_error("invalid %s '%s'", name, arg);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "db",			required_argument, NULL, 'd' },
		{ "jobs",		required_argument, NULL, 'j' },
		{ "quiet",		no_argument,       NULL, 'q' },
		{ "verbose",		no_argument,       NULL, 'v' },
		{ "help",		no_argument,       NULL, 'h' },
		{ "version",		no_argument,       NULL, 'V' },
		{ "all",		no_argument,       NULL, OPT_ALL },
		{ "json",		no_argument,       NULL, OPT_JSON },
		{ "no-regions",		no_argument,       NULL, OPT_NO_REGIONS },
		{ "pdq-threshold",	required_argument, NULL, OPT_PDQ_T },
		{ "pdq-candidate",	required_argument, NULL, OPT_PDQ_C },
		{ "min-quality",	required_argument, NULL, OPT_MINQ },
		{ "phash-confirm",	required_argument, NULL, OPT_PHASH },
		{ "region-threshold",	required_argument, NULL, OPT_REGION_T },
		{ "embedding-threshold", required_argument, NULL, OPT_EMB_T },
		{ "model",		required_argument, NULL, OPT_MODEL },
		{ "leakage",		no_argument,       NULL, OPT_LEAK },
		{ "drop-leakage",	no_argument,       NULL, OPT_DROP_LEAK },
		{ "ids",		required_argument, NULL, OPT_IDS },
		{ "paths",		required_argument, NULL, OPT_PATHS },
		{ "target",		required_argument, NULL, OPT_TARGET },
		{ "max-errors",		required_argument, NULL, OPT_MAX_ERRORS },
		{ "pairs",		no_argument,       NULL, OPT_PAIRS },
		{ "busy-timeout",	required_argument, NULL, OPT_BUSY },
		{ "region-candidate",	required_argument, NULL, OPT_REGION_C },
		{ "region-aligned",	required_argument, NULL, OPT_REGION_F },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .db_path = NULL, .target = 0.999 };
	struct dedup_dbopts d = { 0 };
	int c, verbosity = 1, iv;
	double dv;

	signal(SIGPIPE, SIG_IGN);
	wn_log_init("winnow-dedup", verbosity);
	dedup_params_default(&o.p);
	o.jobs = wn_ncpu();
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:j:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db_path = optarg; break;
		case 'j':
			if (wn_parse_int(optarg, 1, 64, &o.jobs) < 0)
				return wn_usage_error("invalid job count '%s'", optarg);
			break;
		case 'q': verbosity = 0; break;
		case 'v': verbosity++; break;
		case 'h': return wn_finish_stdout(wn_print_help(help_text));
		case 'V': wn_print_version(); return wn_finish_stdout(EX_OK);
		case OPT_ALL: o.all = 1; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_PAIRS: o.pairs = 1; o.json = 1; break;
		case OPT_NO_REGIONS: o.no_regions = 1; break;
		case OPT_PDQ_T:
		case OPT_PDQ_C:
		case OPT_MINQ:
		case OPT_PHASH:
			if (wn_parse_int(optarg, 0, c == OPT_MINQ ? 100 :
					 c == OPT_PHASH ? 64 : DEDUP_MIH_MAX_RADIUS, &iv) < 0)
				return wn_usage_error("invalid value '%s' for %s", optarg,
						      argv[optind - 1]);
			if (c == OPT_PDQ_T)
				o.p.pdq_dup = iv;
			else if (c == OPT_PDQ_C)
				o.p.pdq_cand = iv;
			else if (c == OPT_MINQ)
				o.p.min_quality = iv;
			else
				o.p.phash_confirm = iv;
			break;
		case OPT_REGION_T:
			if (parse_float_opt("region threshold", optarg, 0.0, 1.0, &dv))
				return EX_USAGE;
			o.p.region_dup = (float)dv;
			break;
		case OPT_REGION_C:
			if (parse_float_opt("region candidate threshold", optarg, 0.0, 1.0, &dv))
				return EX_USAGE;
			o.p.region_cand = (float)dv;
			break;
		case OPT_REGION_F:
			if (parse_float_opt("aligned region threshold", optarg, 0.0, 1.0, &dv))
				return EX_USAGE;
			o.p.region_fine_dup = (float)dv;
			break;
		case OPT_EMB_T:
			if (parse_float_opt("embedding threshold", optarg, -1.0, 1.0, &dv))
				return EX_USAGE;
			o.p.emb_dup = (float)dv;
			break;
		case OPT_MODEL: o.model = optarg; break;
		case OPT_LEAK: o.leakage = 1; break;
		case OPT_DROP_LEAK: o.leakage = 1; o.drop_leakage = 1; break;
		case OPT_IDS: o.ids_file = optarg; break;
		case OPT_PATHS: o.paths_file = optarg; break;
		case OPT_TARGET:
			if (parse_float_opt("target precision", optarg, 0.0, 1.0, &o.target))
				return EX_USAGE;
			break;
		case OPT_BUSY:
			if (wn_parse_int(optarg, 1, 3600000, &o.busy_ms) < 0)
				return wn_usage_error("invalid busy timeout '%s'", optarg);
			break;
		case OPT_MAX_ERRORS:
			if (wn_parse_i64(optarg, 0, INT64_MAX, &o.max_errors) < 0)
				return wn_usage_error("invalid error count '%s'", optarg);
			break;
		default:
			return wn_bad_option(argv);
		}
	}
	if (o.p.pdq_dup > o.p.pdq_cand)
		o.p.pdq_cand = o.p.pdq_dup;
	wn_log_init("winnow-dedup", verbosity);
	if (optind < argc) {
		o.cmd = argv[optind];
		o.args = argv + optind + 1;
		o.nargs = argc - optind - 1;
	}
	if (o.db_path == NULL)
		o.db_path = wn_db_default_path();
	d.path = o.db_path;
	d.busy_ms = o.busy_ms;
	d.argc = argc;
	d.argv = argv;

	if (o.cmd == NULL) {
		if (o.json) {
			if (o.leakage || o.all)
				return wn_usage_error("--json reads winnow-hash lines; "
						      "--all and --leakage need the database");
			return wn_finish_stdout(run_json(&o));
		}
		if (o.leakage)
			return wn_finish_stdout(dedup_db_leakage(&d, o.drop_leakage));
		return wn_finish_stdout(dedup_db_run(&d, &o.p, o.all, !o.no_regions,
						     o.jobs, o.model, o.max_errors));
	}
	if (strcmp(o.cmd, "calibrate") == 0)
		return wn_finish_stdout(run_calibrate(&o));
	if (strcmp(o.cmd, "captions") == 0) {
		if (o.nargs != 0)
			return wn_usage_error("captions takes no arguments");
		return wn_finish_stdout(dedup_db_captions(&d));
	}
	if (strcmp(o.cmd, "embeddings") == 0) {
		if (o.nargs != 2 || strcmp(o.args[0], "import") != 0)
			return wn_usage_error("usage: embeddings import FILE.npy "
					      "(--ids FILE | --paths FILE) --model NAME");
		if ((o.ids_file == NULL) == (o.paths_file == NULL))
			return wn_usage_error("embeddings import needs one of --ids and --paths");
		if (o.model == NULL || o.model[0] == '\0')
			return wn_usage_error("embeddings import needs --model NAME");
		return wn_finish_stdout(dedup_db_import_embeddings(&d, o.args[1],
				o.ids_file, o.paths_file, o.model));
	}
	return wn_usage_error("unknown command '%s'", o.cmd);
}
