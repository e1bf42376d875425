/*
 * test-caption: caption splitting (lib/caption.c): UTF-8 decoding and code
 * point offsets, marker candidates and range expansion, the shipped model on
 * typical captions, inline references, shared text, JSON escaping, the model
 * file format, the baseline and random input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "lib/caption.h"
#include "lib/log.h"
#include "lib/util.h"

/* Labels of all sub-captions, "A,B|C" (| between sub-captions). */
static void
labels_of(const struct wn_caption_split *s, char *buf, size_t size)
{
	size_t i, n = 0;
	int k;

	buf[0] = '\0';
	for (i = 0; i < s->nsubs; i++) {
		for (k = 0; k < s->subs[i].nlabels; k++)
			n += (size_t)snprintf(buf + n, size - n, "%s%s",
					k ? "," : (i ? "|" : ""),
					s->subs[i].labels[k]);
	}
}

/* UTF-8 text of a span (static buffer). */
static const char *
text_of(const struct wn_caption_split *s, const struct wn_caption_span *sp)
{
	static char out[4096];
	struct wn_buf b;

	wn_buf_init(&b, sizeof(out) - 1);
	out[0] = '\0';
	if (wn_caption_utf8(&b, s->cp, sp->start, sp->end) == 0 && b.len > 0)
		memcpy(out, b.data, b.len + 1);
	wn_buf_release(&b);
	return out;
}

static int
split(const char *text, struct wn_caption_split *s)
{
	memset(s, 0, sizeof(*s));
	return wn_caption_split(NULL, text, strlen(text), s);
}

/* The panel count a caption gives the detector: distinct labels, ranges
   expanded, a label named twice counted once. */
static void
test_npanels(void)
{
	static const struct {
		const char *text;
		int n;
	} cases[] = {
		{ "Cells in culture. (A) Control. (B) Treated. (C) Both.", 3 },
		{ "Overview. (A-C) Sections of one brain. (D) Quantification.", 4 },
		{ "Western blots. (A) Input; (B) IP. (A, B) Two exposures.", 2 },
		{ "A single micrograph of the liver (n = 3).", 0 },
		{ "", 0 },
	};
	struct wn_caption_split s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(split(cases[i].text, &s), 0);
		if (wn_caption_npanels(&s) != cases[i].n)
			fprintf(stderr, "'%s': %d panels\n", cases[i].text,
				wn_caption_npanels(&s));
		CU_ASSERT_EQUAL(wn_caption_npanels(&s), cases[i].n);
		wn_caption_split_release(&s);
	}
}

static void
test_decode(void)
{
	uint32_t *cp = NULL;
	size_t n = 0;
	char *big;

	CU_ASSERT_EQUAL(wn_caption_decode("a\xc3\xa9\xe2\x80\x93\xf0\x9f\xa6\xa0z",
			11, &cp, &n), 0);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_EQUAL(cp[1], 0xe9);
	CU_ASSERT_EQUAL(cp[2], 0x2013);
	CU_ASSERT_EQUAL(cp[3], 0x1f9a0);
	CU_ASSERT_EQUAL(cp[4], 'z');
	free(cp);
	/* invalid: lone continuation, overlong, surrogate, truncated: one
	   U+FFFD per byte that does not start a valid sequence */
	CU_ASSERT_EQUAL(wn_caption_decode("\x80" "\xc0\xaf" "\xed\xa0\x80" "\xe2\x80",
			8, &cp, &n), 0);
	CU_ASSERT_EQUAL(n, 8);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(cp[i], 0xfffd);
	free(cp);
	/* NUL is a character like any other */
	CU_ASSERT_EQUAL(wn_caption_decode("a\0b", 3, &cp, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(cp[1], 0);
	free(cp);
	big = malloc(WN_CAPTION_MAX_BYTES + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'a', WN_CAPTION_MAX_BYTES + 1);
	cp = NULL;
	CU_ASSERT_EQUAL(wn_caption_decode(big, WN_CAPTION_MAX_BYTES + 1, &cp,
					  &n),
			-WN_ETOOBIG);
	CU_ASSERT_PTR_NULL(cp);
	free(big);
}

/* Labels of the candidate starting at the first '(' of text. */
static void
cand_labels(const char *text, char *buf, size_t size, int *ret_type)
{
	struct wn_caption_cand *v = NULL;
	uint32_t *cp = NULL;
	size_t n = 0, nv = 0, k, len = 0;

	buf[0] = '\0';
	*ret_type = -1;
	if (wn_caption_decode(text, strlen(text), &cp, &n) < 0)
		return;
	if (wn_caption_candidates(cp, n, &v, &nv) == 0 && nv > 0) {
		for (k = 0; k < (size_t)v[0].nlabels; k++)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
					k ? "," : "", v[0].labels[k]);
		*ret_type = v[0].type;
	}
	free(v);
	free(cp);
}

static void
test_candidates(void)
{
	static const struct {
		const char *text, *labels;
		int type;
	} t[] = {
		{ "Cells (A\xe2\x80\x93" "C) y", "A,B,C", CAPTION_T_PAREN },
		{ "Cells (A\xe2\x80\x93" "B, E\xe2\x80\x93" "F) y", "A,B,E,F",
			CAPTION_T_PAREN },
		{ "Cells (D and E) y", "D,E", CAPTION_T_PAREN },
		{ "Cells (a, c) y", "a,c", CAPTION_T_PAREN },
		{ "Cells (A~C) y", "A,B,C", CAPTION_T_PAREN },
		{ "Cells (Ai\xe2\x80\x93iii) y", "Ai,Aii,Aiii", CAPTION_T_PAREN },
		{ "Cells (D1\xe2\x80\x93" "D3) y", "D1,D2,D3", CAPTION_T_PAREN },
		{ "Cells (i\xe2\x80\x93iv) y", "i,ii,iii,iv", CAPTION_T_PAREN },
		{ "Cells (A,B) y", "A,B", CAPTION_T_PAREN },
		{ "Cells (B) and (E) y", "B,E", CAPTION_T_PAREN_JOIN },
		{ "Cells (H)\xe2\x80\x93(J) y", "H,I,J", CAPTION_T_PAREN_JOIN },
		{ "Cells (a\xe2\x80\x93l) y", "a,b,c,d,e,f,g,h,i,j,k,l",
			CAPTION_T_PAREN },
		{ "Cells (left) y", "left", CAPTION_T_POS_PAREN },
		{ "Cells (top panels) y", "top", CAPTION_T_POS_PAREN },
		{ "Title. a, b Schematic", "a,b", CAPTION_T_BARE },
		{ "Title. c\xe2\x80\x93" "e SEM", "c,d,e", CAPTION_T_BARE },
		{ "structures of A, THL", "A", CAPTION_T_BARE_COMMA },
		{ "Title. A: first", "A", CAPTION_T_BARE_COLON },
		{ "Title. b) second", "b", CAPTION_T_HALF },
		{ "Title. c,d, XPS spectra", "c,d", CAPTION_T_BARE_COMMA },
		{ "Title. a | Overall view", "a", CAPTION_T_BARE_COLON },
		{ "Title. Panels B and C show", "B,C", CAPTION_T_BARE },
		{ "Title. Panel A: first", "A", CAPTION_T_BARE_COLON },
		{ "Title. Left: first", "left", CAPTION_T_POS_WORD },
		{ "Title. The right panel shows", "right", CAPTION_T_POS_WORD },
	};
	static const char *const none[] = { "Cells (n = 3) y", "Cells (arrows) y",
		"Cells (MW) y", "see Figure 1B", "type A cells", "x [12] y",
		"Cells (A\xe2\x80\x93" "A) y", "Cells (Z\xe2\x80\x93" "A) y",
		"Title. A previous model", "Title. a further test" };
	char buf[256];
	size_t i;
	int type;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cand_labels(t[i].text, buf, sizeof(buf), &type);
		if (strcmp(buf, t[i].labels) != 0 || type != t[i].type)
			printf("\n  '%s': got '%s' type %d\n", t[i].text, buf, type);
		CU_ASSERT_STRING_EQUAL(buf, t[i].labels);
		CU_ASSERT_EQUAL(type, t[i].type);
	}
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		cand_labels(none[i], buf, sizeof(buf), &type);
		if (buf[0] != '\0')
			printf("\n  '%s': unexpected '%s'\n", none[i], buf);
		CU_ASSERT_STRING_EQUAL(buf, "");
	}
}

static void
test_split_basic(void)
{
	struct wn_caption_split s;
	char buf[256];

	CU_ASSERT_EQUAL_FATAL(split("Effects of X on Y. (A) Wild type. "
			"(B) Mutant, see Figure 1B. Scale bars, 10 \xc2\xb5m.", &s), 0);
	labels_of(&s, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "A|B");
	CU_ASSERT_EQUAL_FATAL(s.nsubs, 2);
	CU_ASSERT_STRING_EQUAL(text_of(&s, &s.subs[0]), "(A) Wild type.");
	CU_ASSERT_STRING_EQUAL(text_of(&s, &s.subs[1]),
			"(B) Mutant, see Figure 1B.");
	CU_ASSERT_EQUAL_FATAL(s.nshared, 2);
	CU_ASSERT_STRING_EQUAL(text_of(&s, &s.shared[0]), "Effects of X on Y.");
	CU_ASSERT_STRING_EQUAL(text_of(&s, &s.shared[1]),
			"Scale bars, 10 \xc2\xb5m.");
	/* offsets are code points: the micro sign is one */
	CU_ASSERT_EQUAL(s.shared[1].end, (int)s.ncp);
	wn_caption_split_release(&s);

	/* group header then list markers; refinements inside a group */
	CU_ASSERT_EQUAL_FATAL(split("Screens. (A\xe2\x80\x93" "C) Venn diagrams "
			"for: (A) hairpins; (B) genes and (C) sensitisers. (D, E) "
			"Plots for PDS (D) and PhenDC3 (E).", &s), 0);
	labels_of(&s, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "A,B,C|A|B|C|D,E");
	wn_caption_split_release(&s);

	/* a sentence head that introduces all markers is shared */
	CU_ASSERT_EQUAL_FATAL(split("Chemical structure of inhibitors. Chemical "
			"structures of A, THL and B, MmPPOX.", &s), 0);
	labels_of(&s, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "A|B");
	CU_ASSERT_EQUAL_FATAL(s.nshared, 1);
	CU_ASSERT_STRING_EQUAL(text_of(&s, &s.shared[0]), "Chemical structure "
			"of inhibitors. Chemical structures of");
	wn_caption_split_release(&s);

	/* Nature style */
	CU_ASSERT_EQUAL_FATAL(split("Electrocatalysis. a LSV curves of the "
			"catalysts. b, c Electron numbers (b) and Tafel plots (c) "
			"at 0.3 V in a. d Chronoamperometry.", &s), 0);
	labels_of(&s, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "a|b,c|d");
	wn_caption_split_release(&s);
}

static void
test_split_postfix(void)
{
	struct wn_caption_split s;
	char buf[256];

	CU_ASSERT_EQUAL_FATAL(split("Dietary exposure altered transcript "
			"levels for TSH (A) and GPH (B) in the pituitary gland. "
			"Levels are relative to 18S.", &s), 0);
	labels_of(&s, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "A|B");
	CU_ASSERT_EQUAL_FATAL(s.nsubs, 2);
	CU_ASSERT_STRING_EQUAL(text_of(&s, &s.subs[0]), "TSH (A)");
	CU_ASSERT_STRING_EQUAL(text_of(&s, &s.subs[1]),
			"GPH (B) in the pituitary gland.");
	CU_ASSERT_EQUAL_FATAL(s.nshared, 2);
	CU_ASSERT_STRING_EQUAL(text_of(&s, &s.shared[1]),
			"Levels are relative to 18S.");
	wn_caption_split_release(&s);

	CU_ASSERT_EQUAL_FATAL(split("Exposure to PBDE-47 depressed total T4 in "
			"males and females (A), but had no effect on total T3 in "
			"males (B).", &s), 0);
	CU_ASSERT_EQUAL_FATAL(s.nsubs, 2);
	CU_ASSERT_STRING_EQUAL(text_of(&s, &s.subs[0]),
			"depressed total T4 in males and females (A)");
	CU_ASSERT_STRING_EQUAL(text_of(&s, &s.subs[1]),
			"had no effect on total T3 in males (B).");
	CU_ASSERT_EQUAL_FATAL(s.nshared, 1);
	CU_ASSERT_STRING_EQUAL(text_of(&s, &s.shared[0]), "Exposure to PBDE-47");
	wn_caption_split_release(&s);
}

static void
test_split_no_markers(void)
{
	static const char *const t[] = {
		"",
		"   ",
		"A single micrograph of type A cells (arrows).",
		("Synthesis of the (E)-isomer and (Z)-isomer; SU(Z)12 binding "
			"(n = 3) as in Figure 2C."),
		"The biosynthesis of terpenoids (see Fig. 1A and Table 2).",
	};
	struct wn_caption_split s;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(split(t[i], &s), 0);
		CU_ASSERT_EQUAL(s.nsubs, 0);
		if (s.nsubs != 0)
			printf("\n  split: '%s'\n", t[i]);
		if (strspn(t[i], " ") == strlen(t[i])) {
			CU_ASSERT_EQUAL(s.nshared, 0);
		} else {
			CU_ASSERT_EQUAL_FATAL(s.nshared, 1);
			CU_ASSERT_STRING_EQUAL(text_of(&s, &s.shared[0]), t[i]);
		}
		wn_caption_split_release(&s);
	}
}

static void
test_json(void)
{
	struct wn_caption_split s;
	struct wn_buf b;
	const char text[] = "Q\"\\\t\x01. (A) x\0y. (B) z.";

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL_FATAL(wn_caption_split(NULL, text, sizeof(text) - 1,
					       &s), 0);
	wn_buf_init(&b, 0);
	CU_ASSERT_EQUAL_FATAL(wn_caption_split_json(&s, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "{\"subcaptions\": [{\"labels\": [\"A\"], "
			"\"start\": 7, \"end\": 15, \"text\": \"(A) x\\u0000y.\"}, "
			"{\"labels\": [\"B\"], \"start\": 16, \"end\": 22, "
			"\"text\": \"(B) z.\"}], "
			"\"shared\": [{\"start\": 0, \"end\": 6, \"text\": "
			"\"Q\\\"\\\\\\t\\u0001.\"}]}");
	wn_buf_release(&b);
	wn_caption_split_release(&s);
}

static void
test_model_file(void)
{
	const struct wn_caption_model *m = wn_caption_model_shipped();
	struct wn_caption_model m2;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int k;

	CU_ASSERT(strncmp(m->version, "caption-lr-", 11) == 0);
	f = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(wn_caption_model_write(m, f), 0);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(wn_caption_model_parse(text, len, &m2), 0);
	CU_ASSERT_STRING_EQUAL(m2.version, m->version);
	for (k = 0; k < WN_CAPTION_NFEAT; k++) {
		CU_ASSERT_DOUBLE_EQUAL(m2.prefix[k], m->prefix[k], 1e-6);
		CU_ASSERT_DOUBLE_EQUAL(m2.postfix[k], m->postfix[k], 1e-6);
	}
	free(text);
	CU_ASSERT_EQUAL(wn_caption_model_parse("junk\n", 5, &m2), -WN_EFORMAT);
	CU_ASSERT_EQUAL(wn_caption_model_parse("version x\nprefix 999 1\n", 23,
					       &m2), -WN_EFORMAT);
	CU_ASSERT_EQUAL(wn_caption_model_parse("prefix 1 1\n", 11, &m2),
			-WN_EFORMAT);
	/* plain text (not quoted) is accepted too */
	CU_ASSERT_EQUAL(wn_caption_model_parse("version t\nprefix 0 -2.5\n", 24,
					       &m2),
			0);
	CU_ASSERT_DOUBLE_EQUAL(m2.prefix[0], -2.5, 1e-12);
	CU_ASSERT_STRING_EQUAL(m2.version, "t");
}

static void
test_baseline(void)
{
	struct wn_caption_split s;
	uint32_t *cp = NULL;
	size_t n = 0;
	const char *t = "Title. (A) one (n) two. (B) three.";

	CU_ASSERT_EQUAL_FATAL(wn_caption_decode(t, strlen(t), &cp, &n), 0);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL_FATAL(wn_caption_split_baseline(cp, n, &s), 0);
	CU_ASSERT_EQUAL(s.nsubs, 3);	/* "(n)" too: that is the baseline */
	CU_ASSERT_EQUAL(s.nshared, 1);
	wn_caption_split_release(&s);
	free(cp);
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random text made of marker-like pieces: spans stay inside, in order. */
static void
test_random(void)
{
	static const char *const pieces[] = { "(A)", "(B", ")",
		("(a\xe2\x80\x93" "c)"), " and ", ", ", ". ", "Left: ", "a ", "A, ", "(left)",
		"\xe2\x80\x93", "x", "Cells", "\xff", "\xc3", "(i)", "(ii)", "d) ",
		"(D1)", "; ", "Scale bar", "(", "~", "\0", " " };
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	char buf[2048];
	int iter;

	for (iter = 0; iter < 3000; iter++) {
		struct wn_caption_split s;
		size_t len = 0, i;
		int np = (int)(rnd(&seed) % 60), k, prev = 0;

		for (k = 0; k < np; k++) {
			const char *p = pieces[rnd(&seed) %
				(sizeof(pieces) / sizeof(pieces[0]))];
			size_t pl = *p ? strlen(p) : 1;

			if (len + pl >= sizeof(buf))
				break;
			memcpy(buf + len, p, pl);
			len += pl;
		}
		memset(&s, 0, sizeof(s));
		CU_ASSERT_EQUAL_FATAL(wn_caption_split(NULL, buf, len, &s), 0);
			for (i = 0; i < s.nsubs; i++) {
			if (s.subs[i].nlabels == 0)
				printf("\n  no labels: '%.*s'\n", (int)len, buf);
			CU_ASSERT(s.subs[i].start >= prev);
			CU_ASSERT(s.subs[i].start < s.subs[i].end);
			CU_ASSERT(s.subs[i].end <= (int)s.ncp);
			CU_ASSERT(s.subs[i].nlabels > 0);
			prev = s.subs[i].start;
		}
		for (i = 0; i < s.nshared; i++) {
			CU_ASSERT(s.shared[i].start < s.shared[i].end);
			CU_ASSERT(s.shared[i].end <= (int)s.ncp);
		}
		wn_caption_split_release(&s);
	}
}

static void
test_long(void)
{
	struct wn_buf b;
	struct wn_caption_split s;
	int i;

	wn_buf_init(&b, 0);
	CU_ASSERT_EQUAL(wn_buf_addstr(&b, "Long caption."), 0);
	for (i = 0; b.len < 100000; i++)
		CU_ASSERT_EQUAL_FATAL(wn_buf_printf(&b, " (%c) Panel %d shows cells "
				"(n = %d) next to type %c cells.", 'A' + i % 26, i,
				i, 'A' + (i + 3) % 26), 0);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL_FATAL(wn_caption_split(NULL, b.data, b.len, &s), 0);
	CU_ASSERT(s.nsubs >= 26);
	wn_caption_split_release(&s);
	wn_buf_release(&b);
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;

	wn_log_init("test-caption", 0);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("caption", NULL, NULL);
	CU_add_test(s, "UTF-8 decoding", test_decode);
	CU_add_test(s, "marker candidates and ranges", test_candidates);
	CU_add_test(s, "splitting", test_split_basic);
	CU_add_test(s, "postfix markers", test_split_postfix);
	CU_add_test(s, "captions without markers", test_split_no_markers);
	CU_add_test(s, "JSON output", test_json);
	CU_add_test(s, "panel count", test_npanels);
	CU_add_test(s, "model file", test_model_file);
	CU_add_test(s, "baseline", test_baseline);
	CU_add_test(s, "random input", test_random);
	CU_add_test(s, "100 kB caption", test_long);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
