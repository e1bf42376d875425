/*
 * winnow-train: retrain the models winnow-split ships, and evaluate them on the
 * held-back part of the hand-annotated dev figures.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/tool.h"
#include "lib/trees.h"
#include "lib/util.h"
#include "split/caption-train.h"
#include "tools/train/train.h"
#include "lib/banned.h"

static const char usage_text[] =
	"usage: winnow-train [-qv] [-d FILE] [--dev DIR] [--data DIR] [-m FILE]\n"
	"                    [-o FILE] [--c-output FILE] [--glyphs FILE] [--seed N]\n"
	"                    [--synth N] [--epochs N] [--rounds N] [--trees N]\n"
	"                    [--real-weight N] [--fold K] COMMAND [ARG...]\n"
	"\n"
	"Commands:\n"
	"  panels        retrain the panel separator (cuts and regions)\n"
	"  labels        retrain the panel-letter glyph classifier\n"
	"  captions      retrain the sub-caption model\n"
	"  all           all of the above, in order, from a fixed initial model\n"
	"  eval          scores on the held-back dev figures, with a baseline\n"
	"  detect FILE...  panels of images as JSON Lines, with the -m model\n"
	"  synth DIR     write --synth N synthetic figures and their boxes\n"
	"\n"
	"Options:\n"
	"  -d, --db FILE       accepted for uniformity; no database is used\n"
	"      --dev DIR       annotated dev data (annotations/, compound/)\n"
	"      --data DIR      licensed single images for synthetic figures\n"
	"  -m, --model FILE    start from this model (default: the shipped one)\n"
	"  -o, --output FILE   model file to write (default: split/models/panels.model)\n"
	"      --c-output FILE C file embedding the model (default: lib/panels-model.c)\n"
	"      --glyphs FILE   glyph samples (default: rendered by render-glyphs.py)\n"
	"      --seed N        random seed (default 1)\n"
	"      --synth N       synthetic figures for panels (default 1200)\n"
	"      --epochs N      glyph training epochs (default 12)\n"
	"      --rounds N      panel rounds of 'all' (default 4)\n"
	"      --trees N       boosted trees on each of the three panel models\n"
	"                      (default 100)\n"
	"      --real-weight N weight of a real figure's examples against a\n"
	"                      synthetic one's (default 20)\n"
	"      --fold K        hold back part K of 3 of the dev figures (default 1,\n"
	"                      the fixed part)\n"
	"  -q, --quiet         errors only\n"
	"  -v, --verbose       more messages (repeatable)\n"
	"  -h, --help          this help\n"
	"  -V, --version       version and library versions\n"
	"\n"
	"See winnow-train(1).\n";

static int
usage(int status)
{
	if (status == EX_OK)
		return wn_print_help(usage_text);
	return status;
}

static int
run(struct train_opts *o, int argc, char **argv)
{
	const char *cmd = argv[0];
	int rc, i;

	/* options after the command would otherwise be lost, and the
	   sources overwritten by a run meant for a scratch file */
	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1] != '\0' &&
		    strcmp(cmd, "captions") != 0)
			return wn_usage_error("option '%s' after the command; "
					      "options go before it", argv[i]);
	if (argc > 1 && (strcmp(cmd, "panels") == 0 ||
			 strcmp(cmd, "labels") == 0 ||
			 strcmp(cmd, "all") == 0 || strcmp(cmd, "eval") == 0))
		return wn_usage_error("'%s' takes no arguments", cmd);
	if (strcmp(cmd, "panels") == 0)
		return train_panels_main(o);
	if (strcmp(cmd, "labels") == 0)
		return train_labels_main(o);
	if (strcmp(cmd, "captions") == 0)
		return caption_train_main(argc, argv);
	if (strcmp(cmd, "all") == 0) {
		if (o->model_in != NULL)
			return wn_usage_error("'all' starts from its fixed "
					      "initial model; -m is for the "
					      "other commands");
		if ((rc = train_all_main(o)) != EX_OK)
			return rc;
		{
			char cout[4096];
			char *cargv[] = { (char *)"captions", (char *)"-o",
					  cout, NULL };

			/* with -o the caption model goes beside FILE: a
			   scratch run leaves the sources alone */
			if ((size_t)snprintf(cout, sizeof(cout), "%s.caption-lr.inc",
					     o->model_out) >= sizeof(cout))
				return wn_usage_error("-o path too long");
			if ((rc = caption_train_main(o->scratch ? 3 : 1,
						     cargv)) != EX_OK)
				return rc;
		}
		return EX_OK;
	}
	if (strcmp(cmd, "eval") == 0) {
		rc = train_eval_main(o);
		if (rc == EX_OK) {
			char *cargv[] = { (char *)"eval", NULL };

			fflush(stdout);
			rc = caption_eval_main(1, cargv);
		}
		return rc;
	}
	if (strcmp(cmd, "detect") == 0)
		return train_detect_main(o, argc - 1, argv + 1);
	if (strcmp(cmd, "synth") == 0)
		return train_synth_main(o, argc - 1, argv + 1);
	return wn_usage_error("unknown command '%s'", cmd);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "db",       required_argument, NULL, 'd' },
		{ "dev",      required_argument, NULL, 1 },
		{ "data",     required_argument, NULL, 2 },
		{ "model",    required_argument, NULL, 'm' },
		{ "output",   required_argument, NULL, 'o' },
		{ "c-output", required_argument, NULL, 3 },
		{ "glyphs",   required_argument, NULL, 4 },
		{ "seed",     required_argument, NULL, 5 },
		{ "synth",    required_argument, NULL, 6 },
		{ "epochs",   required_argument, NULL, 7 },
		{ "rounds",   required_argument, NULL, 9 },
		{ "trees",    required_argument, NULL, 10 },
		{ "real-weight", required_argument, NULL, 11 },
		{ "fold",     required_argument, NULL, 12 },
		{ "json",     no_argument,       NULL, 8 },
		{ "quiet",    no_argument,       NULL, 'q' },
		{ "verbose",  no_argument,       NULL, 'v' },
		{ "help",     no_argument,       NULL, 'h' },
		{ "version",  no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct train_opts o = {
		.dev = WN_SOURCE_ROOT "/../shared/data/dev",
		.data = WN_SOURCE_ROOT "/tests/data/train",
		.model_out = WN_SOURCE_ROOT "/split/models/panels.model",
		.c_out = WN_SOURCE_ROOT "/lib/panels-model.c",
		.seed = 1,
		.synth = 1200,
		.epochs = 12,
		.rounds = 4,
		.trees = 100,
		.real_weight = 20,
		.fold = 1,
	};
	int c, verbosity = 1, out_given = 0, c_given = 0, v;
	int64_t seed;

	signal(SIGPIPE, SIG_IGN);
	/* the caption trainer finds its data through SOURCE_ROOT */
	if (setenv("SOURCE_ROOT", WN_SOURCE_ROOT, 0) != 0)
		return EX_OSERR;
	wn_log_init("winnow-train", verbosity);
	opterr = 0;	/* wn_bad_option() says it, once */
	/* "+": options stop at the command, so "detect" takes its own files */
	while ((c = getopt_long(argc, argv, "+d:m:o:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			break;
		case 1:
			o.dev = optarg;
			break;
		case 2:
			o.data = optarg;
			break;
		case 'm':
			o.model_in = optarg;
			break;
		case 'o':
			o.model_out = optarg;
			out_given = 1;
			break;
		case 3:
			o.c_out = optarg;
			c_given = 1;
			break;
		case 4:
			o.glyphs = optarg;
			break;
		case 5:
			if (wn_parse_i64(optarg, 0, INT64_MAX, &seed) < 0)
				return wn_usage_error("invalid --seed '%s'", optarg);
			o.seed = (uint64_t)seed;
			break;
		case 6:
			if (wn_parse_int(optarg, 0, 100000, &v) < 0)
				return wn_usage_error("invalid --synth '%s'", optarg);
			o.synth = v;
			break;
		case 7:
			if (wn_parse_int(optarg, 1, 1000, &v) < 0)
				return wn_usage_error("invalid --epochs '%s'", optarg);
			o.epochs = v;
			break;
		case 9:
			if (wn_parse_int(optarg, 1, 100, &v) < 0)
				return wn_usage_error("invalid --rounds '%s'", optarg);
			o.rounds = v;
			break;
		case 10:
			if (wn_parse_int(optarg, 0, WN_TREES_MAX, &v) < 0)
				return wn_usage_error("invalid --trees '%s'", optarg);
			o.trees = v;
			break;
		case 11:
			if (wn_parse_int(optarg, 1, 10000, &v) < 0)
				return wn_usage_error("invalid --real-weight '%s'",
						      optarg);
			o.real_weight = v;
			break;
		case 12:
			if (wn_parse_int(optarg, 1, 3, &v) < 0)
				return wn_usage_error("invalid --fold '%s'", optarg);
			o.fold = v;
			break;
		case 8:
			o.json = 1;
			break;
		case 'q':
			verbosity = 0;
			break;
		case 'v':
			verbosity++;
			break;
		case 'h':
			return wn_finish_stdout(usage(EX_OK));
		case 'V':
			wn_print_version();
			return wn_finish_stdout(EX_OK);
		default:
			return wn_bad_option(argv);
		}
	}
	if (optind >= argc)
		return wn_usage_error("missing command");
	/* an explicit model file without a C file: do not touch the sources */
	if (out_given && !c_given)
		o.c_out = NULL;
	o.scratch = out_given;
	wn_log_init("winnow-train", verbosity);
	return wn_finish_stdout(run(&o, argc - optind, argv + optind));
}
