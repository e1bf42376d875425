/*
 * labels.h: the glyph classifier that reads printed panel letters.
 *
 * A glyph is a connected blob of ink cut out of the figure; it is scaled into
 * a LABELS_SIDE x LABELS_SIDE coverage grid (aspect kept, centred) plus two
 * shape numbers, and classified by a one-hidden-layer perceptron into a letter
 * class or the reject class "" (plot parts, symbols, text fragments).
 */
#ifndef WN_SPLIT_LABELS_H
#define WN_SPLIT_LABELS_H

#include <stddef.h>
#include <stdint.h>

#define LABELS_SIDE	16
#define LABELS_NIN	(LABELS_SIDE * LABELS_SIDE + 3)
#define LABELS_MAX_CLASSES 64
#define LABELS_MAX_HIDDEN 512

struct labels_model {
	int nin, nhid, nout;
	char classes[LABELS_MAX_CLASSES][4];	/* "" = reject */
	float *w1;		/* owned: nhid x nin, row-major */
	float *b1;		/* owned: nhid */
	float *w2;		/* owned: nout x nhid */
	float *b2;		/* owned: nout */
};

/* Allocate the weights of a model of the given shape (zeroed). */
int labels_model_alloc(struct labels_model *m, int nin, int nhid, int nout)
	__attribute__((warn_unused_result));
void labels_model_release(struct labels_model *m);

/*
 * Features of the glyph whose ink is mask[y * stride + x] != 0 inside the box
 * (x, y, w, h); ret gets LABELS_NIN floats.
 */
void labels_glyph_features(const uint8_t *mask, int stride, int x, int y,
			   int w, int h, float *ret);

/* Class probabilities (nout floats) for one feature vector; hid is scratch
   of nhid floats. */
void labels_forward(const struct labels_model *m, const float *in, float *hid,
		    float *ret_prob);

/* Best class; returns its index, *ret_p its probability. */
int labels_classify(const struct labels_model *m, const float *in,
		    float *ret_p);

#endif
