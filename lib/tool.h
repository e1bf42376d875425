/*
 * tool.h: what every winnow-* main() shares: usage errors, --version, the run
 * record, and the common options (-q, -v, --db, --max-errors, -j).
 */
#ifndef WN_TOOL_H
#define WN_TOOL_H

#include <stdio.h>

/* Print "PROG: error: MSG" and the --help hint to stderr; returns EX_USAGE. */
int wn_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * After getopt_long() returned '?' or ':' with opterr = 0: one line naming the bad
 * option, then the --help hint; returns EX_USAGE.  Set opterr = 0 before parsing so
 * that getopt does not print a line of its own.
 */
int wn_bad_option(char *const argv[]);

/*
 * The options every tool shares, for the default: branch of a getopt loop: -q and
 * -v adjust *verbosity and return -1 (parsing goes on); -h prints help to stdout,
 * -V the versions, anything else a usage error; those return the exit status that
 * main() should return.
 */
int wn_common_option(int c, char *const argv[], const char *help, int *verbosity);

/* "winnow-x 0.1.0" and the linked library versions, on stdout. */
void wn_print_version(void);

/* Print a help text to stdout and return EX_OK (status of a --help). */
int wn_print_help(const char *text);

#endif
