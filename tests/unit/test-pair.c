/*
 * test-pair: panel-to-sub-caption assignment, text cleaning, label markers,
 * splits; on hand-written cases and on the dev ground truth
 * (tests/data/pair/dev-gt.jsonl: panels and sub-captions written by hand).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "lib/util.h"
#include "pair/assign.h"
#include "pair/pairdb.h"

/* ---- helpers ------------------------------------------------------------ */

static void
set_sub(struct pair_sub *s, int start, int shared, const char *labels,
	const char *text)
{
	char buf[64], *p, *q;

	memset(s, 0, sizeof(*s));
	s->start = start;
	s->shared = shared;
	s->text = text;
	if (labels == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s", labels);
	for (p = buf; p && *p; p = q) {
		q = strchr(p, ' ');
		if (q)
			*q++ = '\0';
		if (strlen(p) < PAIR_LABEL_SIZE)
			memcpy(s->labels[s->nlabels++], p, strlen(p) + 1);
	}
}

static void
set_panel(struct pair_panel *p, int x, int y, int w, int h, const char *label)
{
	p->x = x;
	p->y = y;
	p->w = w;
	p->h = h;
	snprintf(p->label, sizeof(p->label), "%s", label);
}

static char *
clean(const char *s)
{
	return pair_clean_text(s, strlen(s));
}

static const char *
after_marker(const char *text, const char *labels)
{
	struct pair_sub s;

	set_sub(&s, 0, 0, labels, text);
	return text + pair_marker_len(text, (const char (*)[PAIR_LABEL_SIZE])s.labels,
				      s.nlabels);
}

/* ---- hand-written cases ---------------------------------------------------- */

static void
test_label_norm(void)
{
	char out[PAIR_LABEL_SIZE];

	CU_ASSERT_EQUAL(pair_label_norm("A", out), 1);
	CU_ASSERT_STRING_EQUAL(out, "A");
	pair_label_norm(" (b) ", out);
	CU_ASSERT_STRING_EQUAL(out, "b");
	pair_label_norm("A\xe2\x80\xb2", out);	/* A prime */
	CU_ASSERT_STRING_EQUAL(out, "A'");
	pair_label_norm("A\xe2\x80\x99", out);	/* right quote as prime */
	CU_ASSERT_STRING_EQUAL(out, "A'");
	pair_label_norm("iii.", out);
	CU_ASSERT_STRING_EQUAL(out, "iii");
	pair_label_norm("Left", out);
	CU_ASSERT_STRING_EQUAL(out, "left");
	CU_ASSERT_EQUAL(pair_label_norm("", out), 0);
	CU_ASSERT_EQUAL(pair_label_norm("0123456789abcdefghijk", out), 15);
}

static void
test_clean(void)
{
	char *s;

	s = clean("  Scale bar,\n\t50\xc2\xa0\xc2\xb5m.  ");
	CU_ASSERT_STRING_EQUAL(s, "Scale bar, 50 \xc2\xb5m.");
	free(s);
	s = clean("<italic>E. coli</italic> cells &amp; <sup>3</sup>H, p &lt; 0.05");
	CU_ASSERT_STRING_EQUAL(s, "E. coli cells & 3H, p < 0.05");
	free(s);
	/* comparisons are not tags */
	s = clean("p <0.05 and a<b or c > d");
	CU_ASSERT_STRING_EQUAL(s, "p <0.05 and a<b or c > d");
	free(s);
	s = clean("<xref ref-type=\"fig\" rid=\"f1\">Figure 1</xref>&#x2009;B");
	CU_ASSERT_STRING_EQUAL(s, "Figure 1 B");
	free(s);
	/* zero-width space and soft hyphen vanish; bad UTF-8 becomes U+FFFD */
	s = clean("co\xe2\x80\x8blo\xc2\xad" "cal\xff");
	CU_ASSERT_STRING_EQUAL(s, "colocal\xef\xbf\xbd");
	free(s);
	s = clean("");
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
}

static void
test_markers(void)
{
	CU_ASSERT_STRING_EQUAL(after_marker("(A) Western blot.", "A"), "Western blot.");
	CU_ASSERT_STRING_EQUAL(after_marker("A, Western blot.", "A"), "Western blot.");
	CU_ASSERT_STRING_EQUAL(after_marker("a: confocal image", "a"), "confocal image");
	CU_ASSERT_STRING_EQUAL(after_marker("b) confocal image", "b"), "confocal image");
	CU_ASSERT_STRING_EQUAL(after_marker("A. Western blot.", "A"), "Western blot.");
	CU_ASSERT_STRING_EQUAL(after_marker("(B\xe2\x80\x93" "D) Sections", "B C D"),
			       "Sections");
	CU_ASSERT_STRING_EQUAL(after_marker("(B and C) Sections", "B C"), "Sections");
	CU_ASSERT_STRING_EQUAL(after_marker("(A) and (B) Sections", "A B"), "Sections");
	CU_ASSERT_STRING_EQUAL(after_marker("(A\xe2\x80\xb2) Inset", "A'"), "Inset");
	CU_ASSERT_STRING_EQUAL(after_marker("(ii) Inset", "ii"), "Inset");
	CU_ASSERT_STRING_EQUAL(after_marker("Panel A: Inset", "A"), "Inset");
	CU_ASSERT_STRING_EQUAL(after_marker("Left: control", "left"), "control");
	CU_ASSERT_STRING_EQUAL(after_marker("Top panels: control", "top"), "control");
	CU_ASSERT_STRING_EQUAL(after_marker("a Western blot", "a"), "Western blot");
	/* not markers: an article, another panel's letter, a word */
	CU_ASSERT_STRING_EQUAL(after_marker("A representative image", "A"),
			       "A representative image");
	CU_ASSERT_STRING_EQUAL(after_marker("(B) Sections", "A"), "(B) Sections");
	CU_ASSERT_STRING_EQUAL(after_marker("(n = 3) cells", "A"), "(n = 3) cells");
	CU_ASSERT_STRING_EQUAL(after_marker("Axial view", "A"), "Axial view");
	CU_ASSERT_STRING_EQUAL(after_marker("(A) text", NULL), "(A) text");
}

/* The caption of the sections below, with offsets in code points = bytes. */
static const char cap3[] =
	"Lung histology. (A) H&E section; (B) Masson trichrome; (C) CD68 staining. "
	"Scale bars, 50 um.";

static void
subs3(struct pair_sub *s, const char *la, const char *lb, const char *lc)
{
	set_sub(&s[0], 0, 1, NULL, "Lung histology.");
	set_sub(&s[1], 16, 0, la, "(A) H&E section;");
	set_sub(&s[2], 33, 0, lb, "(B) Masson trichrome;");
	set_sub(&s[3], 55, 0, lc, "(C) CD68 staining.");
	set_sub(&s[4], 74, 1, NULL, "Scale bars, 50 um.");
}

static void
test_assign_labels(void)
{
	struct pair_sub s[5];
	struct pair_panel p[3];
	struct pair_result r = { 0 };

	subs3(s, "A", "B", "C");
	/* reading order differs from the label order on purpose */
	set_panel(&p[0], 0, 0, 100, 100, "B");
	set_panel(&p[1], 110, 0, 100, 100, "a");	/* case folded: unambiguous */
	set_panel(&p[2], 0, 110, 210, 100, "C");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 3, 210, 210, &r), 0);
	CU_ASSERT_EQUAL_FATAL(r.n, 3);
	CU_ASSERT_EQUAL(r.whole, 0);
	CU_ASSERT_STRING_EQUAL(r.v[0].labels[0], "B");
	CU_ASSERT_STRING_EQUAL(r.v[0].caption,
			       "Lung histology. Masson trichrome. Scale bars, 50 um.");
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "A");
	CU_ASSERT_STRING_EQUAL(r.v[1].caption,
			       "Lung histology. H&E section. Scale bars, 50 um.");
	CU_ASSERT_STRING_EQUAL(r.v[2].caption,
			       "Lung histology. CD68 staining. Scale bars, 50 um.");
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(r.v[i].status, PAIR_OK);
		CU_ASSERT_EQUAL(r.v[i].panel, i);
	}
	CU_ASSERT_EQUAL(r.v[2].w, 210);
	pair_result_release(&r);

	/* a label with no sub-caption while the others have one */
	set_panel(&p[2], 0, 110, 210, 100, "D");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 3, 210, 210, &r), 0);
	CU_ASSERT_EQUAL(r.v[0].status, PAIR_OK);
	CU_ASSERT_EQUAL(r.v[2].status, PAIR_UNLABELED);
	CU_ASSERT_EQUAL(r.v[2].nlabels, 0);
	pair_result_release(&r);
}

static void
test_assign_ambiguous_case(void)
{
	struct pair_sub s[5];
	struct pair_panel p[4];
	struct pair_result r = { 0 };

	/* the caption uses both "A" and "a": "a" on a panel must not take "A" */
	subs3(s, "A", "a", "B");
	set_panel(&p[0], 0, 0, 100, 100, "A");
	set_panel(&p[1], 110, 0, 100, 100, "a");
	set_panel(&p[2], 0, 110, 100, 100, "b");	/* folds to "B": unique */
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 3, 210, 210, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.v[0].labels[0], "A");
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "a");
	CU_ASSERT_STRING_EQUAL(r.v[2].labels[0], "B");
	pair_result_release(&r);
	set_panel(&p[0], 0, 0, 100, 100, "x");
	set_panel(&p[1], 110, 0, 100, 100, "B");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 2, 210, 100, &r), 0);
	/* "x" could be "A" or "a": not guessed */
	CU_ASSERT_EQUAL(r.v[0].status, PAIR_UNLABELED);
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "B");
	pair_result_release(&r);
	/* the panel after the last label, with none missing, is another unit
	   of "B" */
	subs3(s, "A", "B", "C");
	set_panel(&p[0], 0, 0, 100, 100, "A");
	set_panel(&p[1], 110, 0, 100, 100, "B");
	set_panel(&p[2], 220, 0, 100, 100, "C");
	set_panel(&p[3], 330, 0, 100, 100, "");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 4, 430, 100, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.v[3].labels[0], "C");
	pair_result_release(&r);
}

static void
test_assign_unlabelled(void)
{
	struct pair_sub s[5];
	struct pair_panel p[4];
	struct pair_result r = { 0 };

	subs3(s, "C", "A", "B");	/* sequence from the labels, not the text */
	set_panel(&p[0], 0, 0, 100, 100, "");
	set_panel(&p[1], 110, 0, 100, 100, "");
	set_panel(&p[2], 220, 0, 100, 100, "");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 3, 320, 100, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.v[0].labels[0], "A");
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "B");
	CU_ASSERT_STRING_EQUAL(r.v[2].labels[0], "C");
	/* "(B)" is not a marker of "A": it stays */
	CU_ASSERT_STRING_EQUAL(r.v[0].caption,
			       "Lung histology. (B) Masson trichrome. Scale bars, 50 um.");
	pair_result_release(&r);

	/* four panels in three rows: one label per row */
	subs3(s, "A", "B", "C");
	set_panel(&p[0], 0, 0, 100, 100, "");
	set_panel(&p[1], 0, 110, 100, 100, "");
	set_panel(&p[2], 110, 110, 100, 100, "");
	set_panel(&p[3], 0, 220, 210, 100, "");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 4, 210, 320, &r), 0);
	CU_ASSERT_EQUAL(r.whole, 0);
	CU_ASSERT_STRING_EQUAL(r.v[0].labels[0], "A");
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "B");
	CU_ASSERT_STRING_EQUAL(r.v[2].labels[0], "B");
	CU_ASSERT_STRING_EQUAL(r.v[3].labels[0], "C");
	pair_result_release(&r);

	/* counts disagree every way: the whole caption to the whole image */
	set_panel(&p[0], 0, 0, 100, 100, "");
	set_panel(&p[1], 110, 0, 100, 100, "");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 2, 210, 100, &r), 0);
	CU_ASSERT_EQUAL(r.whole, 1);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_EQUAL(r.v[0].panel, -1);
	CU_ASSERT_EQUAL(r.v[0].w, 210);
	CU_ASSERT_EQUAL(r.v[0].h, 100);
	CU_ASSERT_STRING_EQUAL(r.v[0].caption, cap3);
	pair_result_release(&r);
}

static void
test_assign_reading_order(void)
{
	struct pair_sub s[5];
	struct pair_panel p[8];
	struct pair_result r = { 0 };

	subs3(s, "A", "B", "C");
	/* a tall panel left, two stacked right: A left, then B over C */
	set_panel(&p[0], 300, 210, 200, 190, "");
	set_panel(&p[1], 0, 0, 280, 400, "");
	set_panel(&p[2], 300, 0, 200, 190, "");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 3, 500, 400, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.v[0].labels[0], "C");
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "A");
	CU_ASSERT_STRING_EQUAL(r.v[2].labels[0], "B");
	pair_result_release(&r);

	/* fragments (an axis title, a legend) cut off two plots: the plots
	   take the labels, each fragment its nearest plot's */
	subs3(s, "A", "B", "B");
	set_panel(&p[0], 0, 40, 20, 60, "");		/* A's y-axis title */
	set_panel(&p[1], 30, 0, 400, 300, "");		/* A */
	set_panel(&p[2], 30, 320, 400, 300, "");	/* B */
	set_panel(&p[3], 200, 630, 60, 20, "");		/* B's x-axis title */
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 4, p, 4, 430, 650, &r), 0);
	CU_ASSERT_EQUAL(r.whole, 0);
	CU_ASSERT_STRING_EQUAL(r.v[0].labels[0], "A");
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "A");
	CU_ASSERT_STRING_EQUAL(r.v[2].labels[0], "B");
	CU_ASSERT_STRING_EQUAL(r.v[3].labels[0], "B");
	pair_result_release(&r);
}

static void
test_assign_gaps(void)
{
	struct pair_sub s[5];
	struct pair_panel p[4];
	struct pair_result r = { 0 };

	/* "B" was not read: it lies between A and C */
	subs3(s, "A", "B", "C");
	set_panel(&p[0], 0, 0, 100, 100, "A");
	set_panel(&p[1], 110, 0, 100, 100, "");
	set_panel(&p[2], 220, 0, 100, 100, "C");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 3, 320, 100, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "B");
	CU_ASSERT_EQUAL(r.v[1].status, PAIR_OK);
	pair_result_release(&r);
	/* read as "D", which the caption does not have: a misread B */
	set_panel(&p[1], 110, 0, 100, 100, "D");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 3, 320, 100, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "B");
	pair_result_release(&r);
	/* a misread "c" for "A", out of sequence while another panel carries
	   "C": noise, and the gap it leaves is A's */
	set_panel(&p[0], 0, 0, 100, 100, "c");
	set_panel(&p[1], 110, 0, 100, 100, "B");
	set_panel(&p[2], 220, 0, 100, 100, "C");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 3, 320, 100, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.v[0].labels[0], "A");
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "B");
	CU_ASSERT_STRING_EQUAL(r.v[2].labels[0], "C");
	pair_result_release(&r);
	/* a label spread to the neighbour of a column-wise grid (a c / b d):
	   read column by column, the spread "a" is "c" */
	{
		static const char capd[] = "T. (a) one (b) two (c) three (d) four";
		struct pair_sub sd[5];
		struct pair_panel pd[4];

		set_sub(&sd[0], 0, 1, NULL, "T.");
		set_sub(&sd[1], 3, 0, "a", "(a) one");
		set_sub(&sd[2], 11, 0, "b", "(b) two");
		set_sub(&sd[3], 19, 0, "c", "(c) three");
		set_sub(&sd[4], 29, 0, "d", "(d) four");
		set_panel(&pd[0], 0, 0, 300, 200, "a");
		set_panel(&pd[1], 0, 230, 300, 200, "b");
		set_panel(&pd[2], 330, 0, 300, 200, "a");
		set_panel(&pd[3], 330, 230, 300, 200, "d");
		CU_ASSERT_EQUAL_FATAL(pair_assign(capd, sd, 5, pd, 4, 630, 430, &r), 0);
		CU_ASSERT_STRING_EQUAL(r.v[0].labels[0], "a");
		CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "b");
		CU_ASSERT_STRING_EQUAL(r.v[2].labels[0], "c");
		CU_ASSERT_STRING_EQUAL(r.v[2].caption, "T. Three");
		CU_ASSERT_STRING_EQUAL(r.v[3].labels[0], "d");
		pair_result_release(&r);
	}
	/* reads too noisy to anchor a 2 x 2 grid ("A", "d", "e", "D" for
	   A-D: the anchors give D three times): as many panels as labels, in
	   reading order, which agrees with both exact reads */
	set_panel(&p[0], 0, 0, 100, 100, "A");
	set_panel(&p[1], 110, 0, 100, 100, "d");
	set_panel(&p[2], 0, 110, 100, 100, "e");
	set_panel(&p[3], 110, 110, 100, 100, "D");
	{
		static const char cap4[] = "T. (A) one (B) two (C) three (D) four";
		struct pair_sub s4[5];

		set_sub(&s4[0], 0, 1, NULL, "T.");
		set_sub(&s4[1], 3, 0, "A", "(A) one");
		set_sub(&s4[2], 11, 0, "B", "(B) two");
		set_sub(&s4[3], 19, 0, "C", "(C) three");
		set_sub(&s4[4], 29, 0, "D", "(D) four");
		CU_ASSERT_EQUAL_FATAL(pair_assign(cap4, s4, 5, p, 4, 210, 210, &r), 0);
		CU_ASSERT_STRING_EQUAL(r.v[0].labels[0], "A");
		CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "B");
		CU_ASSERT_STRING_EQUAL(r.v[2].labels[0], "C");
		CU_ASSERT_STRING_EQUAL(r.v[3].labels[0], "D");
		pair_result_release(&r);
	}
	/* one panel where two labels are missing: not placed */
	set_panel(&p[0], 0, 0, 100, 100, "");
	set_panel(&p[1], 110, 0, 100, 100, "C");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 2, 320, 100, &r), 0);
	CU_ASSERT_EQUAL(r.v[0].status, PAIR_UNLABELED);
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "C");
	pair_result_release(&r);
	/* the units of one panel: one labelled, the others follow it */
	set_panel(&p[0], 0, 0, 100, 100, "A");
	set_panel(&p[1], 110, 0, 100, 100, "B");
	set_panel(&p[2], 220, 0, 100, 100, "");
	set_panel(&p[3], 330, 0, 100, 100, "C");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap3, s, 5, p, 4, 430, 100, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.v[2].labels[0], "B");
	pair_result_release(&r);
}

static void
test_assign_positions(void)
{
	static const char cap[] = "Genes. Active (left) and silent (right) genes.";
	struct pair_sub s[3];
	struct pair_panel p[2];
	struct pair_result r = { 0 };

	set_sub(&s[0], 0, 1, NULL, "Genes.");
	set_sub(&s[1], 7, 0, "left", "Active (left)");
	set_sub(&s[2], 25, 0, "right", "silent (right) genes.");
	/* the detector listed the right panel first */
	set_panel(&p[0], 300, 0, 280, 200, "");
	set_panel(&p[1], 0, 0, 280, 200, "");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap, s, 3, p, 2, 580, 200, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.v[0].labels[0], "right");
	CU_ASSERT_STRING_EQUAL(r.v[1].labels[0], "left");
	CU_ASSERT_STRING_EQUAL(r.v[1].caption, "Genes. Active");
	CU_ASSERT_STRING_EQUAL(r.v[0].caption, "Genes. Silent (right) genes.");
	pair_result_release(&r);
}

static void
test_assign_single(void)
{
	static const char cap[] = "  CT of the chest,\n axial <italic>view</italic>. ";
	struct pair_panel p[1];
	struct pair_sub s[1];
	struct pair_result r = { 0 };

	set_panel(&p[0], 0, 0, 512, 400, "");
	CU_ASSERT_EQUAL_FATAL(pair_assign(cap, NULL, 0, p, 1, 512, 400, &r), 0);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_EQUAL(r.v[0].panel, 0);
	CU_ASSERT_EQUAL(r.v[0].status, PAIR_OK);
	CU_ASSERT_STRING_EQUAL(r.v[0].caption, "CT of the chest, axial view.");
	pair_result_release(&r);
	/* one panel, a caption with a marker: still the whole caption */
	set_sub(&s[0], 0, 0, "A", "(A) CT");
	CU_ASSERT_EQUAL_FATAL(pair_assign("(A) CT", s, 1, p, 1, 512, 400, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.v[0].caption, "(A) CT");
	pair_result_release(&r);
	/* no caption */
	CU_ASSERT_EQUAL_FATAL(pair_assign(" <p/> ", NULL, 0, p, 1, 512, 400, &r), 0);
	CU_ASSERT_EQUAL(r.v[0].status, PAIR_NO_CAPTION);
	pair_result_release(&r);
	/* limits */
	CU_ASSERT_EQUAL(pair_assign(NULL, NULL, 0, p, 1, 1, 1, &r), -EINVAL);
	CU_ASSERT_EQUAL(pair_assign("x", NULL, 0, p, PAIR_MAX_PANELS + 1, 1, 1, &r),
			-1002);
}

static void
test_splits(void)
{
	int n[3] = { 0 };
	char key[64];

	CU_ASSERT_STRING_EQUAL(pairdb_split_of("pmc:PMC123", 0.05, 0.05),
			       pairdb_split_of("pmc:PMC123", 0.05, 0.05));
	for (int i = 0; i < 20000; i++) {
		const char *s;

		snprintf(key, sizeof(key), "pmc:PMC%d", 1000000 + i);
		s = pairdb_split_of(key, 0.05, 0.10);
		n[strcmp(s, "train") == 0 ? 0 : strcmp(s, "val") == 0 ? 1 : 2]++;
	}
	CU_ASSERT(n[1] > 800 && n[1] < 1200);		/* 5 % of 20000 */
	CU_ASSERT(n[2] > 1700 && n[2] < 2300);		/* 10 % */
	CU_ASSERT_STRING_EQUAL(pairdb_split_of("x", 0, 0), "train");
	CU_ASSERT_STRING_EQUAL(pairdb_split_of("x", 0, 1), "test");
}

/* ---- dev ground truth ------------------------------------------------------ */

/* Byte offset of code point k in s. */
static size_t
cp_offset(const char *s, size_t k)
{
	size_t i = 0;

	while (k > 0 && s[i]) {
		i++;
		while ((s[i] & 0xc0) == 0x80)
			i++;
		k--;
	}
	return i;
}

static char *
span_text(const char *cap, json_t *span)
{
	size_t a = cp_offset(cap, (size_t)json_integer_value(json_object_get(span, "start")));
	size_t b = cp_offset(cap, (size_t)json_integer_value(json_object_get(span, "end")));

	return strndup(cap + a, b - a);
}

/*
 * Every labelled panel of every figure, with the hand-drawn panels and
 * sub-captions: its pair carries its label, contains the text of each of its
 * sub-captions (marker removed) and of the shared spans, and no text that
 * belongs only to other panels.
 */
static void
test_dev_ground_truth(void)
{
	const char *dir = getenv("TESTDATA");
	char path[4096], line[1 << 17];
	FILE *f;
	int nfig = 0, npanels = 0, nok = 0;

	snprintf(path, sizeof(path), "%s/pair/dev-gt.jsonl", dir ? dir : "tests/data");
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *g = json_loads(line, 0, NULL), *units, *subsj, *shj, *u, *sp;
		struct pair_panel *p;
		struct pair_sub *s;
		char **texts;
		const char *cap;
		size_t i, k, nu, ns, nsub;
		struct pair_result r = { 0 };

		CU_ASSERT_PTR_NOT_NULL_FATAL(g);
		cap = json_string_value(json_object_get(g, "caption"));
		units = json_object_get(g, "units");
		subsj = json_object_get(g, "subcaptions");
		shj = json_object_get(g, "shared");
		nu = json_array_size(units);
		nsub = json_array_size(subsj);
		ns = nsub + json_array_size(shj);
		p = calloc(nu + 1, sizeof(*p));
		s = calloc(ns + 1, sizeof(*s));
		texts = calloc(ns + 1, sizeof(*texts));
		json_array_foreach(units, i, u) {
			json_t *b = json_object_get(u, "box");

			set_panel(&p[i], (int)json_integer_value(json_array_get(b, 0)),
				  (int)json_integer_value(json_array_get(b, 1)),
				  (int)json_integer_value(json_array_get(b, 2)),
				  (int)json_integer_value(json_array_get(b, 3)),
				  json_string_value(json_object_get(u, "label")));
		}
		for (i = 0; i < ns; i++) {
			json_t *l, *labs;

			sp = i < nsub ? json_array_get(subsj, i) : json_array_get(shj, i - nsub);
			texts[i] = span_text(cap, sp);
			set_sub(&s[i], (int)json_integer_value(json_object_get(sp, "start")),
				i >= nsub, NULL, texts[i]);
			labs = json_object_get(sp, "labels");
			json_array_foreach(labs, k, l)
				pair_label_norm(json_string_value(l), s[i].labels[s[i].nlabels++]);
		}
		CU_ASSERT_EQUAL_FATAL(pair_assign(cap, s, ns, p, nu, 
			(int)json_integer_value(json_object_get(g, "width")),
			(int)json_integer_value(json_object_get(g, "height")), &r), 0);
		nfig++;
		for (i = 0; i < nu && nu > 1; i++) {
			const struct pair_out *o = &r.v[i];
			int ok = 1, have = 0;
			char lab[PAIR_LABEL_SIZE];

			if (pair_label_norm(p[i].label, lab) == 0)
				continue;
			npanels++;
			ok = !r.whole && o->nlabels == 1 && strcmp(o->labels[0], lab) == 0 &&
			     o->status == PAIR_OK;
			for (k = 0; ok && k < ns; k++) {
				int mine = s[k].shared;
				char *t = pair_clean_text(texts[k], strlen(texts[k]));
				const char *body = t;
				char *probe;
				size_t pl;

				for (int m = 0; m < s[k].nlabels; m++)
					if (strcmp(s[k].labels[m], lab) == 0)
						mine = 1;
				body += pair_marker_len(t,
					(const char (*)[PAIR_LABEL_SIZE])s[k].labels,
					s[k].nlabels);
				/* the body without its first letter (capitalised)
				   and its final punctuation */
				probe = strdup(body);
				pl = strlen(probe);
				while (pl > 0 && strchr(".;, ", probe[pl - 1]))
					probe[--pl] = '\0';
				/* a closing postfix marker ("... consumption (c)") goes */
				if (pl > 0 && probe[pl - 1] == ')' && strrchr(probe, '('))
					*strrchr(probe, '(') = '\0';
				pl = strlen(probe);
				while (pl > 0 && probe[pl - 1] == ' ')
					probe[--pl] = '\0';
				if (pl >= 20) {
					if (mine && strstr(o->caption, probe + 1) == NULL)
						ok = 0;
					if (!mine && strstr(o->caption, probe + 1))
						have++;
				}
				free(probe);
				free(t);
			}
			if (have > 0)
				ok = 0;
			if (!ok)
				fprintf(stderr, "dev: %s panel %zu (%s): %s\n",
					json_string_value(json_object_get(g, "file")),
					i, lab, o->caption);
			nok += ok;
		}
		pair_result_release(&r);
		for (i = 0; i < ns; i++)
			free(texts[i]);
		free(texts);
		free(s);
		free(p);
		json_decref(g);
	}
	fclose(f);
	fprintf(stderr, "dev ground truth: %d figures, %d/%d labelled panels right\n",
		nfig, nok, npanels);
	CU_ASSERT(nfig >= 30);
	CU_ASSERT(npanels >= 150);
	CU_ASSERT_EQUAL(nok, npanels);
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("pair", NULL, NULL);
	CU_add_test(s, "label normalisation", test_label_norm);
	CU_add_test(s, "text cleaning", test_clean);
	CU_add_test(s, "label markers", test_markers);
	CU_add_test(s, "labelled panels", test_assign_labels);
	CU_add_test(s, "ambiguous case", test_assign_ambiguous_case);
	CU_add_test(s, "unlabelled panels", test_assign_unlabelled);
	CU_add_test(s, "reading order and fragments", test_assign_reading_order);
	CU_add_test(s, "gaps between labels", test_assign_gaps);
	CU_add_test(s, "position labels", test_assign_positions);
	CU_add_test(s, "single images", test_assign_single);
	CU_add_test(s, "splits", test_splits);
	CU_add_test(s, "dev ground truth", test_dev_ground_truth);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
