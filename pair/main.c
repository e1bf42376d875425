/*
 * winnow-pair: pair panels with their sub-captions, filter, assign splits.
 *
 *   winnow-pair [--all | < figure ids]          database form (pairs rows)
 *   winnow-pair --json --image FILE --caption-file F   one figure, standalone
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/caption.h"
#include "lib/db.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/panels.h"
#include "lib/tool.h"
#include "lib/util.h"
#include "pair/assign.h"
#include "pair/pairdb.h"
#include "lib/banned.h"

static const char usage_text[] =
	"usage: winnow-pair [-qv] [-d FILE] [--all] [--redo] [--allow-license LIST]\n"
	"                   [--min-side N] [--val F] [--test F] [--max-errors N]\n"
	"       winnow-pair [-qv] [--json] [--panels FILE] [--subcaptions FILE]\n"
	"                   --image FILE --caption-file FILE\n"
	"\n"
	"Pair the panels of split figures with their sub-captions, drop what must not\n"
	"be used (with a reason code) and assign train/val/test splits.  Reads figure\n"
	"ids on standard input and prints the ids of the pairs it kept.\n"
	"\n"
	"Options:\n"
	"  -d, --db FILE            database (default $WINNOW_DB, else ./winnow.db)\n"
	"  -a, --all                every split figure that has no pairs yet\n"
	"      --redo               recompute figures that already have pairs\n"
	"      --allow-license LIST licence codes to keep, comma-separated\n"
	"                           (default: the CC codes and public domain)\n"
	"      --min-side N         drop panels below N pixels on a side (64)\n"
	"      --val F              fraction of articles in the val split (0.05)\n"
	"      --test F             fraction of articles in the test split (0.05)\n"
	"      --max-errors N       bad input lines tolerated before exit 1 (0)\n"
	"      --busy-timeout MS    wait this long for a locked database (10000)\n"
	"      --line-buffered      flush after every id\n"
	"      --image FILE         standalone: split and pair this figure\n"
	"      --caption-file FILE  standalone: its caption ('-' = standard input)\n"
	"      --json               standalone: print one JSON object\n"
	"      --model FILE         panel model (default: the shipped one)\n"
	"      --panels FILE        standalone: panels from winnow-split --json\n"
	"      --subcaptions FILE   standalone: spans from winnow-split --caption --json\n"
	"  -q, --quiet              errors only\n"
	"  -v, --verbose            more messages (repeatable)\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show versions\n"
	"\n"
	"See winnow-pair(1).\n";

struct opts {
	struct pairdb_opts db;
	const char *image;
	const char *caption_file;
	const char *model;
	const char *panels_file;	/* winnow-split --json output */
	const char *subs_file;		/* winnow-split --caption --json output */
	int json;
	char *licenses;			/* owned: --allow-license copy */
};

/* ---- standalone ----------------------------------------------------------- */

static int
read_caption(const char *path, char **ret, size_t *ret_len)
{
	struct wn_buf b;
	char tmp[65536];
	size_t n;

	if (strcmp(path, "-") != 0)
		return wn_read_file(path, WN_CAPTION_MAX_BYTES, ret, ret_len);
	wn_buf_init(&b, WN_CAPTION_MAX_BYTES);
	while ((n = fread(tmp, 1, sizeof(tmp), stdin)) > 0) {
		int rc = wn_buf_add(&b, tmp, n);

		if (rc < 0) {
			wn_buf_release(&b);
			return rc;
		}
	}
	if (ferror(stdin)) {
		wn_buf_release(&b);
		return -EIO;
	}
	if (wn_buf_add(&b, "", 0) < 0 || b.data == NULL) {
		wn_buf_release(&b);
		return -ENOMEM;
	}
	*ret = wn_buf_detach(&b, ret_len);
	return 0;
}

static json_t *
pairs_json(const struct pair_result *pr)
{
	json_t *root = json_object(), *arr = json_array();

	if (root == NULL || arr == NULL)
		goto fail;
	for (size_t i = 0; i < pr->n; i++) {
		const struct pair_out *p = &pr->v[i];
		json_t *o = json_object(), *labs = json_array();

		if (o == NULL || labs == NULL) {
			json_decref(o);
			json_decref(labs);
			goto fail;
		}
		json_object_set_new(o, "x", json_integer(p->x));
		json_object_set_new(o, "y", json_integer(p->y));
		json_object_set_new(o, "w", json_integer(p->w));
		json_object_set_new(o, "h", json_integer(p->h));
		for (int k = 0; k < p->nlabels; k++)
			json_array_append_new(labs, json_string(p->labels[k]));
		json_object_set_new(o, "labels", labs);
		json_object_set_new(o, "caption", json_string(p->caption));
		if (p->status == PAIR_UNLABELED)
			json_object_set_new(o, "dropped", json_string("unlabeled"));
		else if (p->status == PAIR_NO_CAPTION)
			json_object_set_new(o, "dropped", json_string("no-caption"));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "pairs", arr);
	return root;
fail:
	json_decref(root);
	json_decref(arr);
	return NULL;
}

#define JSON_MAX_BYTES	(16 * 1024 * 1024)

/* The first JSON object of a file (JSON Lines: its first line). */
static int
read_json(const char *path, json_t **ret)
{
	char *data = NULL, *err = NULL, *nl;
	size_t len = 0;
	json_t *j;
	int rc;

	if ((rc = wn_read_file(path, JSON_MAX_BYTES, &data, &len)) < 0) {
		wn_error("cannot read '%s': %s", path, wn_strerror(rc));
		return rc;
	}
	if ((nl = memchr(data, '\n', len)) != NULL && nl + 1 < data + len)
		len = (size_t)(nl - data);
	j = wn_json_parse(data, len, JSON_MAX_BYTES, &err);
	free(data);
	if (j == NULL || !json_is_object(j)) {
		wn_error("'%s': %s", path, err ? err : "not a JSON object");
		free(err);
		json_decref(j);
		return -WN_EFORMAT;
	}
	*ret = j;
	return 0;
}

static int
json_box(const json_t *o, int *x, int *y, int *w, int *h)
{
	long long v[4];
	static const char *const k[] = { "x", "y", "w", "h" };

	for (int i = 0; i < 4; i++) {
		v[i] = wn_json_int(o, k[i], -1);
		if (v[i] < 0 || v[i] > WN_IMG_MAX_SIDE)
			return -WN_EFORMAT;
	}
	*x = (int)v[0];
	*y = (int)v[1];
	*w = (int)v[2];
	*h = (int)v[3];
	return *w > 0 && *h > 0 ? 0 : -WN_EFORMAT;
}

/* Panels as winnow-split --json prints them. */
static int
load_panels(const char *path, struct wn_panel_set *ret)
{
	struct wn_panel_set ps = { 0 };
	json_t *root = NULL, *arr, *v;
	size_t i;
	int rc;

	if ((rc = read_json(path, &root)) < 0)
		return rc;
	arr = json_object_get(root, "panels");
	if (!json_is_array(arr) || json_array_size(arr) > WN_PANELS_MAX) {
		rc = -WN_EFORMAT;
		goto out;
	}
	ps.width = (int)wn_json_int(root, "width", 0);
	ps.height = (int)wn_json_int(root, "height", 0);
	ps.v = calloc(json_array_size(arr) + 1, sizeof(*ps.v));
	if (ps.v == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach(arr, i, v) {
		struct wn_panel *p = &ps.v[ps.n];
		const char *l = wn_json_str(v, "label");

		if ((rc = json_box(v, &p->x, &p->y, &p->w, &p->h)) < 0)
			goto out;
		snprintf(p->label, sizeof(p->label), "%s", l ? l : "");
		ps.n++;
	}
	ps.compound = ps.n > 1;
	*ret = ps;
	ps = (struct wn_panel_set){ 0 };
	rc = 0;
out:
	if (rc == -WN_EFORMAT)
		wn_error("'%s': not winnow-split --json output", path);
	wn_panel_set_release(&ps);
	json_decref(root);
	return rc;
}

static int
load_spans(json_t *arr, size_t ncp, int labelled,
	   struct wn_caption_span **ret_v,
	   size_t *ret_n)
{
	struct wn_caption_span *v;
	size_t i, k;
	json_t *s, *l;

	if (!json_is_array(arr) || json_array_size(arr) > PAIR_MAX_SUBS)
		return -WN_EFORMAT;
	if ((v = calloc(json_array_size(arr) + 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	json_array_foreach(arr, i, s) {
		long long a = wn_json_int(s, "start", -1), b = wn_json_int(s, "end", -1);

		if (a < 0 || b < a || (size_t)b > ncp)
			goto bad;
		v[i].start = (int)a;
		v[i].end = (int)b;
		if (!labelled)
			continue;
		json_array_foreach(json_object_get(s, "labels"), k, l) {
			if (v[i].nlabels == WN_CAPTION_MAX_LABELS || !json_is_string(l))
				continue;
			snprintf(v[i].labels[v[i].nlabels++],
				 WN_CAPTION_LABEL_SIZE, "%s",
				 json_string_value(l));
		}
	}
	*ret_v = v;
	*ret_n = json_array_size(arr);
	return 0;
bad:
	free(v);
	return -WN_EFORMAT;
}

/* Spans as winnow-split --caption --json prints them, for caption text. */
static int
load_subs(const char *path, const char *text, size_t len,
	  struct wn_caption_split *ret)
{
	struct wn_caption_split cs = { 0 };
	json_t *root = NULL;
	int rc;

	if ((rc = read_json(path, &root)) < 0)
		return rc;
	if ((rc = wn_caption_decode(text, len, &cs.cp, &cs.ncp)) < 0 ||
	    (rc = load_spans(json_object_get(root, "subcaptions"), cs.ncp, 1,
			     &cs.subs, &cs.nsubs)) < 0 ||
	    (rc = load_spans(json_object_get(root, "shared"), cs.ncp, 0,
			     &cs.shared, &cs.nshared)) < 0)
		goto out;
	*ret = cs;
	cs = (struct wn_caption_split){ 0 };
out:
	if (rc == -WN_EFORMAT)
		wn_error("'%s': not winnow-split --caption --json output for"
			 " this caption", path);
	wn_caption_split_release(&cs);
	json_decref(root);
	return rc;
}

static int
run_standalone(const struct opts *o)
{
	struct wn_panel_model *pm = NULL;
	struct wn_panel_set ps = { 0 };
	struct wn_caption_split cs = { 0 };
	struct wn_image img = { 0 };
	struct pair_panel *panels = NULL;
	struct pair_sub *subs = NULL;
	struct wn_buf *texts = NULL;
	struct pair_result pr = { 0 };
	char *caption = NULL;
	size_t len = 0, ns = 0, i;
	json_t *root = NULL;
	int rc, status = EX_OK;

	if ((rc = read_caption(o->caption_file, &caption, &len)) < 0) {
		wn_error("cannot read '%s': %s", o->caption_file, wn_strerror(rc));
		return wn_exit_status(rc);
	}
	if (o->panels_file) {
		if ((rc = load_panels(o->panels_file, &ps)) < 0) {
			status = wn_exit_status(rc);
			goto out;
		}
		if (ps.width <= 0 || ps.height <= 0) {
			struct wn_image im = { 0 };
			struct wn_img_opts io = { .channels = 1, .min_side = 1 };

			/* the size of the image, for the whole-image pair */
			if ((rc = wn_image_load_file(o->image, &io, &im)) < 0) {
				wn_error("cannot read '%s': %s", o->image,
					 wn_strerror(rc));
				status = wn_exit_status(rc);
				goto out;
			}
			ps.width = im.orig_width;
			ps.height = im.orig_height;
			wn_image_release(&im);
		}
	} else if ((rc = wn_panel_model_load(o->model, &pm)) < 0) {
		wn_error("cannot load the panel model '%s': %s",
			 o->model ? o->model : "(shipped)", wn_strerror(rc));
		status = o->model ? EX_CONFIG : EX_SOFTWARE;
		goto out;
	} else if ((rc = wn_panels_image_load(o->image, &img)) < 0) {
		wn_error("cannot split '%s': %s", o->image, wn_strerror(rc));
		status = wn_exit_status(rc);
		goto out;
	}
	if (o->subs_file) {
		if ((rc = load_subs(o->subs_file, caption, len, &cs)) < 0) {
			status = wn_exit_status(rc);
			goto out;
		}
	} else if ((rc = wn_caption_split(NULL, caption, len, &cs)) < 0) {
		wn_error("cannot split the caption '%s': %s", o->caption_file,
			 wn_strerror(rc));
		status = wn_exit_status(rc);
		goto out;
	}
	/* the caption names how many panels to look for */
	if (pm != NULL && (rc = wn_panels_detect_hint(pm, &img,
						      wn_caption_npanels(&cs),
						      &ps)) < 0) {
		wn_error("cannot split '%s': %s", o->image, wn_strerror(rc));
		status = wn_exit_status(rc);
		goto out;
	}
	panels = calloc(ps.n ? ps.n : 1, sizeof(*panels));
	subs = calloc(cs.nsubs + cs.nshared + 1, sizeof(*subs));
	texts = calloc(cs.nsubs + cs.nshared + 1, sizeof(*texts));
	if (panels == NULL || subs == NULL || texts == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < ps.n; i++) {
		panels[i].x = ps.v[i].x;
		panels[i].y = ps.v[i].y;
		panels[i].w = ps.v[i].w;
		panels[i].h = ps.v[i].h;
		snprintf(panels[i].label, sizeof(panels[i].label), "%s",
			 ps.v[i].label);
	}
	for (i = 0; i < cs.nsubs + cs.nshared; i++) {
		const struct wn_caption_span *sp = i < cs.nsubs ? &cs.subs[i] :
						&cs.shared[i - cs.nsubs];

		wn_buf_init(&texts[i], 0);
		ns++;
		if ((rc = wn_caption_utf8(&texts[i], cs.cp, sp->start,
					  sp->end)) < 0 ||
		    (rc = wn_buf_add(&texts[i], "", 0)) < 0)
			goto fail;
		subs[i].start = sp->start;
		subs[i].shared = i >= cs.nsubs;
		subs[i].nlabels = sp->nlabels < PAIR_MAX_LABELS ? sp->nlabels :
				  PAIR_MAX_LABELS;
		for (int k = 0; k < subs[i].nlabels; k++)
			snprintf(subs[i].labels[k], PAIR_LABEL_SIZE, "%s",
				 sp->labels[k]);
		subs[i].text = texts[i].data ? texts[i].data : "";
	}
	if ((rc = pair_assign(caption, subs, ns, panels, ps.n, ps.width,
			      ps.height, &pr)) < 0)
		goto fail;
	if (o->json) {
		if ((root = pairs_json(&pr)) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		rc = wn_json_write_line(stdout, root);
	} else {
		rc = 0;
		for (i = 0; i < pr.n && rc >= 0; i++) {
			const struct pair_out *p = &pr.v[i];

			if (printf("%d\t%d\t%d\t%d\t%s\t%s\n", p->x, p->y, p->w, p->h,
				   p->nlabels ? p->labels[0] : "", p->caption) < 0)
				rc = wn_stdout_error();
		}
	}
	if (rc == -EPIPE)
		rc = 0;
	if (rc < 0) {
		wn_error("cannot write the pairs: %s", wn_strerror(rc));
		status = wn_exit_status(rc);
	}
	goto out;
fail:
	wn_error("cannot pair '%s': %s", o->image, wn_strerror(rc));
	status = wn_exit_status(rc);
out:
	json_decref(root);
	pair_result_release(&pr);
	for (i = 0; texts && i < ns; i++)
		wn_buf_release(&texts[i]);
	free(texts);
	free(subs);
	free(panels);
	wn_caption_split_release(&cs);
	wn_panel_set_release(&ps);
	wn_image_release(&img);
	wn_panel_model_free(pm);
	free(caption);
	return status;
}

/* ---- options -------------------------------------------------------------- */

static int
parse_licenses(struct opts *o, const char *arg)
{
	char *s, *p, *comma;

	free(o->licenses);
	if ((o->licenses = s = strdup(arg)) == NULL)
		return -ENOMEM;
	o->db.nlicenses = 0;
	for (p = s; p != NULL; p = comma) {
		char *e;

		comma = strchr(p, ',');
		if (comma)
			*comma++ = '\0';
		while (*p == ' ')
			p++;
		e = p + strlen(p);
		while (e > p && e[-1] == ' ')
			*--e = '\0';
		if (*p == '\0')
			continue;
		if (o->db.nlicenses == PAIRDB_MAX_LICENSES)
			return -WN_ETOOBIG;
		o->db.licenses[o->db.nlicenses++] = p;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	enum {
		OPT_REDO = 256, OPT_LICENSE, OPT_MIN_SIDE, OPT_VAL, OPT_TEST,
		OPT_MAX_ERRORS, OPT_BUSY, OPT_LINE, OPT_IMAGE, OPT_CAPTION,
		OPT_JSON, OPT_MODEL, OPT_PANELS, OPT_SUBS,
	};
	static const struct option longopts[] = {
		{ "db",            required_argument, NULL, 'd' },
		{ "all",           no_argument,       NULL, 'a' },
		{ "redo",          no_argument,       NULL, OPT_REDO },
		{ "allow-license", required_argument, NULL, OPT_LICENSE },
		{ "min-side",      required_argument, NULL, OPT_MIN_SIDE },
		{ "val",           required_argument, NULL, OPT_VAL },
		{ "test",          required_argument, NULL, OPT_TEST },
		{ "max-errors",    required_argument, NULL, OPT_MAX_ERRORS },
		{ "busy-timeout",  required_argument, NULL, OPT_BUSY },
		{ "line-buffered", no_argument,       NULL, OPT_LINE },
		{ "image",         required_argument, NULL, OPT_IMAGE },
		{ "caption-file",  required_argument, NULL, OPT_CAPTION },
		{ "json",          no_argument,       NULL, OPT_JSON },
		{ "model",         required_argument, NULL, OPT_MODEL },
		{ "panels",        required_argument, NULL, OPT_PANELS },
		{ "subcaptions",   required_argument, NULL, OPT_SUBS },
		{ "quiet",         no_argument,       NULL, 'q' },
		{ "verbose",       no_argument,       NULL, 'v' },
		{ "help",          no_argument,       NULL, 'h' },
		{ "version",       no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = {
		.db = { .db_path = wn_db_default_path(), .min_side = 64,
			.val = 0.05, .test = 0.05, .max_errors = 0,
			.argc = argc, .argv = argv },
	};
	int c, verbosity = 1, status;

	signal(SIGPIPE, SIG_IGN);
	wn_log_init("winnow-pair", verbosity);
	for (size_t i = 0; pairdb_default_licenses[i]; i++)
		o.db.licenses[o.db.nlicenses++] = pairdb_default_licenses[i];
	opterr = 0;		/* wn_bad_option() says what was wrong */
	while ((c = getopt_long(argc, argv, "d:aqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db.db_path = optarg; break;
		case 'a': o.db.all = 1; break;
		case OPT_REDO: o.db.redo = 1; break;
		case OPT_LICENSE:
			if (parse_licenses(&o, optarg) < 0) {
				free(o.licenses);
				return wn_usage_error("invalid --allow-license '%s'", optarg);
			}
			break;
		case OPT_MIN_SIDE:
			if (wn_parse_int(optarg, 0, 1000000, &o.db.min_side) < 0)
				return wn_usage_error("invalid --min-side '%s'", optarg);
			break;
		case OPT_VAL:
			if (wn_parse_double(optarg, 0, 1, &o.db.val) < 0)
				return wn_usage_error("invalid --val '%s'", optarg);
			break;
		case OPT_TEST:
			if (wn_parse_double(optarg, 0, 1, &o.db.test) < 0)
				return wn_usage_error("invalid --test '%s'", optarg);
			break;
		case OPT_MAX_ERRORS:
			if (wn_parse_i64(optarg, -1, INT64_MAX, &o.db.max_errors) < 0)
				return wn_usage_error("invalid --max-errors '%s'", optarg);
			break;
		case OPT_BUSY:
			if (wn_parse_int(optarg, 0, 3600000, &o.db.busy_ms) < 0)
				return wn_usage_error("invalid --busy-timeout '%s'", optarg);
			break;
		case OPT_LINE: o.db.line_buffered = 1; break;
		case OPT_IMAGE: o.image = optarg; break;
		case OPT_CAPTION: o.caption_file = optarg; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_MODEL: o.model = optarg; break;
		case OPT_PANELS: o.panels_file = optarg; break;
		case OPT_SUBS: o.subs_file = optarg; break;
		default:
			if ((c = wn_common_option(c, argv, usage_text, &verbosity)) >= 0)
				return c;
			break;
		}
	}
	wn_log_init("winnow-pair", verbosity);
	if (optind != argc) {
		free(o.licenses);
		return wn_usage_error("unexpected argument '%s'", argv[optind]);
	}
	if (o.db.val + o.db.test > 1) {
		free(o.licenses);
		return wn_usage_error("--val and --test add up to more than 1");
	}
	if (o.image || o.caption_file) {
		if (o.image == NULL || o.caption_file == NULL) {
			free(o.licenses);
			return wn_usage_error("--image and --caption-file go together");
		}
		if (o.db.all || o.db.redo) {
			free(o.licenses);
			return wn_usage_error("--image does not use the database");
		}
		status = run_standalone(&o);
	} else if (o.json) {
		free(o.licenses);
		return wn_usage_error("--json needs --image and --caption-file");
	} else {
		status = pairdb_run(&o.db);
	}
	free(o.licenses);
	return wn_finish_stdout(status);
}
