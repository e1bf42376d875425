/*
 * labels.h: the glyph classifier that reads printed panel letters.
 *
 * A glyph is a connected blob of ink cut out of the figure; it is scaled into
 * a WN_LABELS_SIDE x WN_LABELS_SIDE coverage grid (aspect kept, centred) plus
 * two
 * shape numbers, and classified by a one-hidden-layer perceptron into a letter
 * class or the reject class "" (plot parts, symbols, text fragments).
 */
#ifndef WN_LABELS_H
#define WN_LABELS_H

#include <stddef.h>
#include <stdint.h>

#define WN_LABELS_SIDE	16
#define WN_LABELS_NIN	(WN_LABELS_SIDE * WN_LABELS_SIDE + 3)
#define WN_LABELS_MAX_CLASSES 64
#define WN_LABELS_MAX_HIDDEN 512

struct wn_labels_model {
	int nin, nhid, nout;
	char classes[WN_LABELS_MAX_CLASSES][4];	/* "" = reject */
	float *w1;		/* owned: nhid x nin, row-major */
	float *b1;		/* owned: nhid */
	float *w2;		/* owned: nout x nhid */
	float *b2;		/* owned: nout */
};

/* Allocate the weights of a model of the given shape (zeroed). */
int wn_labels_model_alloc(struct wn_labels_model *m, int nin, int nhid,
			  int nout)
	__attribute__((warn_unused_result));
void wn_labels_model_release(struct wn_labels_model *m);

/*
 * Features of the glyph whose ink is mask[y * stride + x] != 0 inside the box
 * (x, y, w, h); ret gets WN_LABELS_NIN floats.
 */
void wn_labels_glyph_features(const uint8_t *mask, int stride, int x, int y,
			      int w, int h, float *ret);

/* Class probabilities (nout floats) for one feature vector; hid is scratch
   of nhid floats. */
void wn_labels_forward(const struct wn_labels_model *m, const float *in,
		       float *hid,
		       float *ret_prob);

/* Best class; returns its index, *ret_p its probability. */
int wn_labels_classify(const struct wn_labels_model *m, const float *in,
		       float *ret_p);

#endif
