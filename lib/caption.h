/*
 * caption.h: splitting a figure caption into sub-captions and shared text.
 *
 * Candidate panel markers ("(A)", "(B-D)", "a, b", "A,", "c)", "Left:",
 * "(left)"...) are found by rules; each is scored by a small logistic model on
 * features of its context (punctuation and words around it, its position in the
 * sentence, whether its labels continue the sequence of the markers accepted
 * before it); a left-to-right decoding keeps a consistent label sequence.  A
 * second model scores postfix markers ("TSH (A) and GPH (B)") for captions that
 * use no prefix markers.  Sub-captions run from a marker to the next one (or
 * from the head of a sentence that introduces markers); shared text is the
 * opening before the first sub-caption and the closing block of sentences that
 * apply to every panel (scale bars, statistics, abbreviations, "See also").
 *
 * Offsets are Unicode code points of the input.  Invalid UTF-8 bytes count as
 * one code point each and are replaced by U+FFFD in the output text.
 */
#ifndef WN_CAPTION_H
#define WN_CAPTION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/util.h"

/* Longest caption accepted, in bytes (-WN_ETOOBIG beyond it). */
#define WN_CAPTION_MAX_BYTES	(1024 * 1024)
/* Labels one sub-caption can carry ("(a-z)" expands to 26). */
#define WN_CAPTION_MAX_LABELS	32
/* Longest label kept ("Aiii'"), bytes including the NUL. */
#define WN_CAPTION_LABEL_SIZE	16
/* Marker candidates examined per caption; more are ignored. */
#define WN_CAPTION_MAX_CANDS	8192

/* Features of a candidate marker (the model's input width). */
#define WN_CAPTION_NFEAT		72

struct wn_caption_span {
	int start;		/* code points, end exclusive */
	int end;
	int nlabels;		/* 0 for shared spans */
	char labels[WN_CAPTION_MAX_LABELS][WN_CAPTION_LABEL_SIZE];
};

struct wn_caption_split {
	struct wn_caption_span *subs;	/* owned: sub-captions in text order */
	size_t nsubs;
	struct wn_caption_span *shared;	/* owned: shared spans in text order */
	size_t nshared;
	uint32_t *cp;			/* owned: the decoded text */
	size_t ncp;
};

struct wn_caption_model {
	char version[64];
	double prefix[WN_CAPTION_NFEAT];	/* weights, [0] is the bias */
	double postfix[WN_CAPTION_NFEAT];
};

/* One candidate marker with its features, for training and debugging. */
struct wn_caption_cand {
	int start, end;			/* marker, code points */
	int type;			/* CAPTION_T_* */
	int cls;			/* CAPTION_C_* */
	int nlabels;
	char labels[WN_CAPTION_MAX_LABELS][WN_CAPTION_LABEL_SIZE];
	int first, last;		/* sequence index of first/last label */
	int pass;			/* 0 prefix decoding, 1 postfix */
	double p;			/* probability under the pass's model */
	int accepted;			/* 1 prefix marker, 2 postfix marker */
	int skip;			/* left out of the decoding */
};

/*
 * Training hook: called for every candidate with its features, before the
 * decision; it returns the decision to take (1 prefix marker, 0 not), so that
 * training decodes with the gold sequence (teacher forcing).  NULL = use the
 * model.
 */
typedef int (*caption_oracle_fn)(void *ctx, const struct wn_caption_cand *c,
		const double *feat);

/* The model compiled into the binary (split/models/caption-lr.inc). */
const struct wn_caption_model *wn_caption_model_shipped(void);
/* Parse a model file written by wn_caption_model_write(). */
int wn_caption_model_parse(const char *text, size_t len,
			   struct wn_caption_model *ret_model)
	__attribute__((warn_unused_result));
int wn_caption_model_load(const char *path, struct wn_caption_model *ret_model)
	__attribute__((warn_unused_result));
/* Write the model as C string literals (the .inc format, also loadable). */
int wn_caption_model_write(const struct wn_caption_model *m, FILE *out);

/*
 * Decode UTF-8 (invalid bytes -> U+FFFD, one code point each).  -WN_ETOOBIG
 * past WN_CAPTION_MAX_BYTES.  *ret_cp is malloc'ed (caller frees).
 */
int wn_caption_decode(const char *text, size_t len, uint32_t **ret_cp,
		      size_t *ret_n)
	__attribute__((warn_unused_result));

/* Split text (len bytes of UTF-8) with model m (NULL = shipped). */
int wn_caption_split(const struct wn_caption_model *m, const char *text,
		     size_t len,
		     struct wn_caption_split *ret)
	__attribute__((warn_unused_result));
/* The same on decoded code points (copied), with an optional oracle. */
int wn_caption_split_cp(const struct wn_caption_model *m, const uint32_t *cp,
			size_t ncp, caption_oracle_fn oracle, void *octx,
			struct wn_caption_split *ret)
	__attribute__((warn_unused_result));
void wn_caption_split_release(struct wn_caption_split *s);
/* How many panels the sub-captions of s name: their distinct labels. */
int wn_caption_npanels(const struct wn_caption_split *s);

/* Baseline for evaluation: a sub-caption at every "(X)" with X one letter. */
int wn_caption_split_baseline(const uint32_t *cp, size_t ncp,
		struct wn_caption_split *ret)
	__attribute__((warn_unused_result));

/* Append UTF-8 of cp[start, end) to b. */
int wn_caption_utf8(struct wn_buf *b, const uint32_t *cp, int start, int end)
	__attribute__((warn_unused_result));
/* Append the JSON object of DESIGN.md ({"subcaptions":..., "shared":...}). */
int wn_caption_split_json(const struct wn_caption_split *s, struct wn_buf *b)
	__attribute__((warn_unused_result));
/* Append the labels of sp as a JSON array, items separated by sep. */
int wn_caption_labels_json(struct wn_buf *b, const struct wn_caption_span *sp,
			   const char *sep)
	__attribute__((warn_unused_result));
/* Append a JSON string of cp[start, end) (quoted, escaped). */
int wn_caption_json_string(struct wn_buf *b, const uint32_t *cp, int start,
			   int end)
	__attribute__((warn_unused_result));

/* Candidate types and label classes (feature one-hots). */
enum {
	CAPTION_T_PAREN,	/* "(A)", "(A-C)", "(a, b)" */
	CAPTION_T_PAREN_JOIN,	/* "(B) and (E)", "(H)-(J)" */
	CAPTION_T_HALF,		/* "a) " */
	CAPTION_T_BARE,		/* "a Text", "c-e Text" */
	CAPTION_T_BARE_COMMA,	/* "A, Text" */
	CAPTION_T_BARE_COLON,	/* "A: Text", "A. Text" */
	CAPTION_T_POS_PAREN,	/* "(left)" */
	CAPTION_T_POS_WORD,	/* "Left:", "The left panel shows" */
	CAPTION_NTYPES
};
enum {
	CAPTION_C_UPPER,
	CAPTION_C_LOWER,
	CAPTION_C_DIGIT,
	CAPTION_C_ROMAN,
	CAPTION_C_POS,
	CAPTION_NCLASSES
};

/* Candidates of a caption, without features (for tests and the trainer). */
int wn_caption_candidates(const uint32_t *cp, size_t ncp,
			  struct wn_caption_cand **ret_v, size_t *ret_n)
	__attribute__((warn_unused_result));

#endif
