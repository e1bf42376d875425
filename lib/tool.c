/*
 * tool.c: usage errors, --help and --version, shared by every winnow-* tool.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <curl/curl.h>
#include <jansson.h>
#include <jpeglib.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <png.h>
#include <sqlite3.h>
#include <webp/decode.h>

#include "lib/log.h"
#include "lib/tool.h"
#include "wn-config.h"
#include "lib/banned.h"

int
wn_usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", wn_progname());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", wn_progname());
	return EX_USAGE;
}

int
wn_bad_option(char *const argv[])
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int last = argv[optind] == NULL;

	if (strncmp(arg, "--", 2) == 0) {
		/* unknown long options leave optopt 0; known ones lack their argument */
		if (optopt != 0)
			return wn_usage_error("option '%s' requires an argument", arg);
		return wn_usage_error("unrecognized option '%s'", arg);
	}
	if (optopt != 0 && last && arg[0] == '-' && arg[1] == optopt && arg[2] == '\0')
		return wn_usage_error("option requires an argument -- '%c'", optopt);
	return wn_usage_error("invalid option -- '%c'", optopt ? optopt : '?');
}

int
wn_common_option(int c, char *const argv[], const char *help, int *verbosity)
{
	switch (c) {
	case 'q':
		*verbosity = 0;
		return -1;
	case 'v':
		(*verbosity)++;
		return -1;
	case 'h':
		return wn_finish_stdout(wn_print_help(help));
	case 'V':
		wn_print_version();
		return wn_finish_stdout(EX_OK);
	default:
		return wn_bad_option(argv);
	}
}

void
wn_print_version(void)
{
	int webp = WebPGetDecoderVersion();

	printf("%s %s\n", wn_progname(), WN_VERSION);
	printf("sqlite %s, libcurl %s, libxml2 %s, jansson %s, %s\n",
	       sqlite3_libversion(), curl_version_info(CURLVERSION_NOW)->version,
	       LIBXML_DOTTED_VERSION, jansson_version_str(), OpenSSL_version(OPENSSL_VERSION));
	printf("libjpeg %d, libpng %s, libwebp %d.%d.%d, %s\n", JPEG_LIB_VERSION,
	       png_get_libpng_ver(NULL), (webp >> 16) & 0xff, (webp >> 8) & 0xff, webp & 0xff,
	       archive_version_string());
}

int
wn_print_help(const char *text)
{
	fputs(text, stdout);
	return EX_OK;
}
