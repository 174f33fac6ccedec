/*
 * param: MIME header values with parameters.  param_parse() reads the
 * parameters of a Content-Type or Content-Disposition value (RFC 2045,
 * RFC 2231 continuations and charsets decoded to UTF-8) as Python's email
 * package does; the MIME walker in msg.c is its user.
 *
 * Ownership: a param array is the caller's, freed with param_free();
 * param_get() results are borrowed from the array.
 */
#ifndef SUREL_PARAM_H
#define SUREL_PARAM_H

#include <stddef.h>

struct param {
	char *name;   /* lowercased; the allocation holding value too */
	char *value;  /* decoded UTF-8 */
};

/* The parameters after the first ';' of a header value s into *out (*nout
 * entries; NULL and 0 when there are none).  A malformed parameter is
 * dropped, the first of two with one name wins. */
void param_parse(const char *s, struct param **out, size_t *nout);
/* The value of parameter name (lowercase), or NULL. */
const char *param_get(const struct param *v, size_t n, const char *name);
void param_free(struct param *v, size_t n);

/* Whether the first token of header value v (the disposition type of a
 * Content-Disposition) is word, compared without case; v may be NULL. */
int param_type_is(const char *v, const char *word);

/* A parameter value unquoted once more, as get_filename()/get_boundary()
 * do (collapse_rfc2231_value), trailing blanks stripped and with lstrip
 * leading ones too.  Caller frees. */
char *param_collapse(const char *v, int lstrip);

#endif
