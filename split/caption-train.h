/*
 * caption-train.h: training and evaluation of the sub-caption model, the
 * caption side of winnow-train.
 */
#ifndef WN_SPLIT_CAPTION_TRAIN_H
#define WN_SPLIT_CAPTION_TRAIN_H

/* `winnow-train captions [ARG...]`: argv[0] is the command name. */
int caption_train_main(int argc, char **argv);
/* `winnow-train eval` (captions part). */
int caption_eval_main(int argc, char **argv);

#endif
