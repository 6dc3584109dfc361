/* Endpoint URLs as batchtrace shows and extends them. A URL may carry secrets: a
 * user:password part, or an API key in the query. What is printed, put in --json or
 * written to the spool is only ever url_redact's form, and a message from libcurl (which
 * may echo the URL or its parts) only after url_scrub. */
#ifndef BT_EXPORT_URL_H
#define BT_EXPORT_URL_H

#include "util/buf.h"

/* The shown form of url (malloc'd): the userinfo hidden, every query value hidden, the rest
 * as given. "http://user:pw@host:4318/v1/traces?key=K&x" becomes
 * "http://<redacted>@host:4318/v1/traces?key=<redacted>&<redacted>". The userinfo is
 * everything after "://" up to the LAST '@' (libcurl takes the first, a person may have
 * meant any: hiding up to the last one shows no byte of the password however it is
 * spelled); when a '?' or '#' comes before that '@', the '@' may sit in the query and
 * everything after the scheme is hidden. A fragment is hidden like a query value. */
char *url_redact(const char *url);

/* Append text to out with every secret of url (its userinfo and the pieces of it between
 * ':', '@' and '/', its query values) replaced by "<redacted>". When a secret shorter than
 * 4 bytes appears in text, which cannot be replaced without garbling the words around it,
 * fallback is appended instead of text. */
void url_scrub(const char *url, const char *text, const char *fallback, buf_t *out);

/* base with path appended to its path, before any query or fragment, and without doubling
 * the slash: ("http://h:4318/?k=v", "/v1/traces") gives "http://h:4318/v1/traces?k=v".
 * malloc'd. */
char *url_append_path(const char *base, const char *path);

#endif
