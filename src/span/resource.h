/* The resource and instrumentation scope every exported span shares (SPEC section 5):
 * service.name, the pairs of OTEL_RESOURCE_ATTRIBUTES, and telemetry.sdk.*. */
#ifndef BT_SPAN_RESOURCE_H
#define BT_SPAN_RESOURCE_H

#include "span/span.h"

/* Build the resource from the environment: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 * See resource_build. */
int resource_from_env(span_resource *out, char *reason);

/* Build the resource from the two variables' values (either may be NULL or empty):
 *   service.name            service_name, else a service.name pair, else "batchtrace";
 *   the resource_attributes  "key=value,key=value" pairs (W3C Baggage syntax without
 *                            properties): whitespace around keys and values trimmed,
 *                            values percent-decoded ('+' stays a plus), a repeated key
 *                            keeps its first position and its last value;
 *   telemetry.sdk.name=batchtrace, telemetry.sdk.language=c,
 *   telemetry.sdk.version=BATCHTRACE_VERSION (fixed: a pair naming them is skipped).
 * Attribute order: service.name, the pairs in order, then the telemetry.sdk.* three.
 * Scope: "batchtrace" with BATCHTRACE_VERSION. Bytes that are not valid UTF-8 are left
 * for the encoders, which write them as U+FFFD (as W3C Baggage decoding requires).
 * Returns the number of malformed pairs skipped (0 when there were none); when positive,
 * reason describes the first (the caller reports it as a warning). Never fails otherwise.
 * Release with resource_free. */
int resource_build(span_resource *out, const char *service_name,
                   const char *resource_attributes, char *reason);

/* Release what resource_build made (NULL-safe); *res is zeroed. */
void resource_free(span_resource *res);

#endif
