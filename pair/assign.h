/*
 * assign.h: pairing the panels of a figure with the text of its caption.
 *
 * Each labelled panel receives the sub-captions whose labels include its
 * label, framed by the caption's shared text (the opening title sentence and
 * the closing sentences that apply to every panel), so that its caption reads
 * as a complete description.  Labels are compared as printed first, then with
 * case folded when that is unambiguous ("A" ~ "a" unless the caption uses
 * both); primes are normalised ("A′" = "A'").  Panels without labels take the
 * caption's labels in reading order when the counts agree (or fill the gaps
 * between labelled neighbours); otherwise the whole caption goes to the whole
 * image.  A figure with a single panel gets the whole caption.
 *
 * Texts are cleaned: the label marker itself ("(A)", "A,", "a:", "(B-D)") is
 * removed from the start of a sub-caption, XML tags and entities are removed
 * or decoded, format characters dropped and whitespace collapsed.
 */
#ifndef WN_PAIR_ASSIGN_H
#define WN_PAIR_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

#define PAIR_LABEL_SIZE		16	/* bytes, NUL included */
#define PAIR_MAX_LABELS		32	/* labels per sub-caption */
#define PAIR_MAX_PANELS		256	/* panels per figure */
#define PAIR_MAX_SUBS		1024	/* sub-caption and shared spans */
#define PAIR_MAX_TEXT		(1024 * 1024)	/* bytes of caption */

/* Why a pair is not usable (0 = usable). */
enum {
	PAIR_OK = 0,
	PAIR_UNLABELED,		/* its label has no sub-caption when others do */
	PAIR_NO_CAPTION,	/* no text at all */
};

/* A panel as found by the splitter, in reading order. */
struct pair_panel {
	int x, y, w, h;
	char label[PAIR_LABEL_SIZE];	/* "" if none was read */
};

/* A sub-caption (shared = 0) or a shared span (shared = 1). */
struct pair_sub {
	int start;			/* code points into the caption; orders spans */
	int shared;
	int nlabels;
	char labels[PAIR_MAX_LABELS][PAIR_LABEL_SIZE];
	const char *text;		/* borrowed: UTF-8, NUL-terminated */
};

struct pair_out {
	int panel;			/* index into the panels, -1 = whole image */
	int x, y, w, h;
	int nlabels;			/* 0 or 1 */
	char labels[1][PAIR_LABEL_SIZE];
	char *caption;			/* owned: cleaned text */
	int status;			/* PAIR_OK, PAIR_UNLABELED, PAIR_NO_CAPTION */
};

struct pair_result {
	struct pair_out *v;		/* owned */
	size_t n;
	int whole;			/* 1 if the whole caption went to the image */
};

/*
 * Pair npanels panels (reading order) of an image of width x height with the
 * caption (UTF-8) and its spans (any order).  Errors: -EINVAL, -ENOMEM,
 * -WN_ETOOBIG (more than the PAIR_MAX_* limits).
 */
int pair_assign(const char *caption, const struct pair_sub *subs, size_t nsubs,
		const struct pair_panel *panels, size_t npanels, int width,
		int height, struct pair_result *ret)
	__attribute__((warn_unused_result));
void pair_result_release(struct pair_result *r);

/*
 * Normalise a printed label: surrounding space and punctuation removed,
 * primes unified to "'"; at most PAIR_LABEL_SIZE - 1 bytes to out.  Returns
 * the length (0 for an empty label).
 */
int pair_label_norm(const char *in, char out[PAIR_LABEL_SIZE]);

/*
 * Clean text: XML tags removed, entities decoded, format characters dropped,
 * whitespace collapsed and trimmed.  Returns a malloc'ed string or NULL.
 */
char *pair_clean_text(const char *in, size_t len);

/*
 * Remove the label marker ("(A)", "A,", "a:", "(B-D)", "Panel A:", "Left:")
 * from the start of a sub-caption's text.  Returns the number of bytes the
 * marker takes (0 if there is none).  labels are the sub-caption's labels.
 */
size_t pair_marker_len(const char *text, const char labels[][PAIR_LABEL_SIZE],
		       int nlabels);

#endif
