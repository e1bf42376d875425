/*
 * embed-sql: turn the migration files into a C array (build-time helper).
 * Usage: embed-sql OUT.c NNNN-name.sql...
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
emit(FILE *out, const char *path, int *ret_version, char *name, size_t namesz)
{
	const char *base = strrchr(path, '/');
	FILE *in;
	int c, col = 0;

	base = base ? base + 1 : path;
	if (strlen(base) < 6 || !isdigit((unsigned char)base[0]) || base[4] != '-')
		return -1;
	*ret_version = (int)strtol(base, NULL, 10);
	snprintf(name, namesz, "%s", base + 5);
	in = fopen(path, "rb");
	if (in == NULL)
		return -1;
	fprintf(out, "static const char migration_%04d[] =\n\t\"", *ret_version);
	while ((c = fgetc(in)) != EOF) {
		if (c == '\n') {
			fputs("\\n\"\n\t\"", out);
			col = 0;
			continue;
		}
		if (c == '\\' || c == '"')
			fputc('\\', out);
		if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\%03o", c);
		else
			fputc(c, out);
		col++;
	}
	(void)col;
	fputs("\";\n\n", out);
	fclose(in);
	return 0;
}

int
main(int argc, char *argv[])
{
	FILE *out;
	int i, *versions;
	char (*names)[256];

	if (argc < 2) {
		fprintf(stderr, "usage: embed-sql OUT.c FILE.sql...\n");
		return 64;
	}
	out = fopen(argv[1], "w");
	versions = calloc((size_t)argc, sizeof(*versions));
	names = calloc((size_t)argc, sizeof(*names));
	if (out == NULL || versions == NULL || names == NULL) {
		perror(argv[1]);
		return 73;
	}
	fputs("/* Generated from db/migrations by embed-sql: do not edit. */\n"
	      "#include <stddef.h>\n\n#include \"lib/db.h\"\n\n", out);
	for (i = 2; i < argc; i++) {
		if (emit(out, argv[i], &versions[i], names[i], sizeof(names[i])) < 0) {
			fprintf(stderr, "embed-sql: bad migration '%s'\n", argv[i]);
			return 65;
		}
		if (i > 2 && versions[i] <= versions[i - 1]) {
			fprintf(stderr, "embed-sql: '%s' is not after the previous migration\n",
				argv[i]);
			return 65;
		}
	}
	fputs("const struct wn_migration wn_migrations[] = {\n", out);
	for (i = 2; i < argc; i++)
		fprintf(out, "\t{ %d, \"%s\", migration_%04d },\n", versions[i],
			names[i], versions[i]);
	fputs("\t{ 0, NULL, NULL }\n};\n", out);
	fprintf(out, "const int wn_migrations_count = %d;\n", argc - 2);
	if (fclose(out) != 0) {
		perror(argv[1]);
		return 74;
	}
	free(versions);
	free(names);
	return 0;
}
