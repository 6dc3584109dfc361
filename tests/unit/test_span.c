/* The span model (attributes, lookup) and the resource built from the environment. */
#include <stdlib.h>
#include <string.h>

#include "span/resource.h"
#include "span/span.h"
#include "test.h"
#include "util/reason.h"

TEST(attributes_keep_their_order_type_and_value) {
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    static const bt_str reasons[2] = {{"stop", 4}, {"length", 6}};
    span_attr_str(&span, "gen_ai.request.model", STR_LIT("gpt-4o-mini"));
    span_attr_cstr(&span, "batchtrace.custom_id", "req-1");
    span_attr_int(&span, "gen_ai.usage.input_tokens", -12);
    span_attr_double(&span, "gen_ai.request.temperature", 0.25);
    span_attr_bool(&span, "batchtrace.input_missing", true);
    span_attr_strs(&span, "gen_ai.response.finish_reasons", reasons, 2);
    CHECK_INT(span.attr_count, 6);
    CHECK_STR(span.attrs[0].key, "gen_ai.request.model");
    CHECK_INT(span.attrs[0].type, ATTR_STRING);
    CHECK_BTSTR(span.attrs[0].s, "gpt-4o-mini");
    CHECK_BTSTR(span.attrs[1].s, "req-1");
    CHECK_INT(span.attrs[2].type, ATTR_INT);
    CHECK_INT(span.attrs[2].i, -12);
    CHECK_INT(span.attrs[3].type, ATTR_DOUBLE);
    CHECK(span.attrs[3].d == 0.25);
    CHECK_INT(span.attrs[4].type, ATTR_BOOL);
    CHECK(span.attrs[4].b);
    CHECK_INT(span.attrs[5].type, ATTR_STRING_ARRAY);
    CHECK_INT(span.attrs[5].array_len, 2);
    CHECK_BTSTR(span.attrs[5].array[1], "length");

    const span_attr *found = span_attr_find(&span, "gen_ai.usage.input_tokens");
    CHECK(found == &span.attrs[2]);
    CHECK(span_attr_find(&span, "gen_ai.usage") == NULL);
    CHECK(span_attr_find(&span, "missing") == NULL);
    arena_free(&arena);
}

TEST(attribute_array_grows_past_its_first_capacity) {
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    static char keys[100][8];
    for (int i = 0; i < 100; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        span_attr_int(&span, keys[i], i);
    }
    CHECK_INT(span.attr_count, 100);
    CHECK(span.attr_cap >= 100);
    for (int i = 0; i < 100; i++) CHECK_INT(span.attrs[i].i, i);
    const span_attr *last = span_attr_find(&span, "k99");
    CHECK(last != NULL);
    if (last) CHECK_INT(last->i, 99);
    arena_free(&arena);
}

TEST(cstr_attribute_of_null_is_the_empty_string) {
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    span_attr_cstr(&span, "k", NULL);
    CHECK_INT(span.attrs[0].s.len, 0);
    arena_free(&arena);
}

/* The key=value pairs of a resource, joined as "k=v;k=v" for one comparison. */
static void join_attrs(const span_resource *res, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < res->attr_count; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s=%.*s", i ? ";" : "",
                                 res->attrs[i].key, (int)res->attrs[i].s.len,
                                 res->attrs[i].s.ptr);
}

TEST(resource_defaults_to_service_batchtrace_and_the_sdk_attributes) {
    span_resource res;
    char reason[REASON_MAX] = "";
    char joined[512];
    CHECK_INT(resource_build(&res, NULL, NULL, reason), 0);
    join_attrs(&res, joined, sizeof joined);
    CHECK_STR(joined, "service.name=batchtrace;telemetry.sdk.name=batchtrace;"
                      "telemetry.sdk.language=c;telemetry.sdk.version=" BATCHTRACE_VERSION);
    CHECK_STR(res.scope_name, "batchtrace");
    CHECK_STR(res.scope_version, BATCHTRACE_VERSION);
    resource_free(&res);
    CHECK(res.attrs == NULL);
    resource_free(&res); /* twice is harmless */
}

TEST(resource_pairs_are_trimmed_percent_decoded_and_kept_in_order) {
    span_resource res;
    char reason[REASON_MAX] = "";
    char joined[512];
    CHECK_INT(resource_build(&res, "", " deployment.environment = prod ,team=a%20b%2Cc+d,"
                                       "url=x=y,empty=,", reason), 0);
    join_attrs(&res, joined, sizeof joined);
    CHECK_STR(joined, "service.name=batchtrace;deployment.environment=prod;team=a b,c+d;"
                      "url=x=y;empty=;telemetry.sdk.name=batchtrace;telemetry.sdk.language=c;"
                      "telemetry.sdk.version=" BATCHTRACE_VERSION);
    resource_free(&res);
}

TEST(service_name_variable_wins_over_the_pair_and_the_pair_over_the_default) {
    span_resource res;
    char reason[REASON_MAX] = "";
    CHECK_INT(resource_build(&res, "from-var", "a=1,service.name=from-pair", reason), 0);
    CHECK_INT(res.attr_count, 5);
    CHECK_STR(res.attrs[0].key, "service.name");
    CHECK_BTSTR(res.attrs[0].s, "from-var");
    CHECK_STR(res.attrs[1].key, "a");
    resource_free(&res);

    CHECK_INT(resource_build(&res, NULL, "a=1,service.name=from%2Dpair", reason), 0);
    CHECK_INT(res.attr_count, 5);
    CHECK_STR(res.attrs[0].key, "service.name");
    CHECK_BTSTR(res.attrs[0].s, "from-pair");
    CHECK_STR(res.attrs[1].key, "a");
    resource_free(&res);
}

TEST(repeated_key_keeps_its_first_place_and_last_value) {
    span_resource res;
    char reason[REASON_MAX] = "";
    char joined[512];
    CHECK_INT(resource_build(&res, "s", "a=1,b=2,a=3", reason), 0);
    join_attrs(&res, joined, sizeof joined);
    CHECK_STR(joined, "service.name=s;a=3;b=2;telemetry.sdk.name=batchtrace;"
                      "telemetry.sdk.language=c;telemetry.sdk.version=" BATCHTRACE_VERSION);
    resource_free(&res);
}

TEST(malformed_pairs_are_skipped_and_reported) {
    span_resource res;
    char reason[REASON_MAX] = "";
    char joined[512];
    CHECK_INT(resource_build(&res, "s", "novalue,a=1,=orphan,b=bad%zz,c=trunc%4,"
                                        "telemetry.sdk.name=other,d=4", reason), 5);
    CHECK_STR(reason, "OTEL_RESOURCE_ATTRIBUTES: \"novalue\" is not key=value, skipped"
                      " (and 4 more)");
    join_attrs(&res, joined, sizeof joined);
    CHECK_STR(joined, "service.name=s;a=1;d=4;telemetry.sdk.name=batchtrace;"
                      "telemetry.sdk.language=c;telemetry.sdk.version=" BATCHTRACE_VERSION);
    resource_free(&res);

    CHECK_INT(resource_build(&res, "s", "b=bad%zz", reason), 1);
    CHECK_STR(reason, "OTEL_RESOURCE_ATTRIBUTES: bad percent-encoding in the value of b,"
                      " skipped");
    resource_free(&res);
}

TEST(resource_from_env_reads_the_two_variables) {
    setenv("OTEL_SERVICE_NAME", "env-service", 1);
    setenv("OTEL_RESOURCE_ATTRIBUTES", "host.name=h1", 1);
    span_resource res;
    char reason[REASON_MAX] = "";
    char joined[512];
    CHECK_INT(resource_from_env(&res, reason), 0);
    join_attrs(&res, joined, sizeof joined);
    CHECK_STR(joined, "service.name=env-service;host.name=h1;telemetry.sdk.name=batchtrace;"
                      "telemetry.sdk.language=c;telemetry.sdk.version=" BATCHTRACE_VERSION);
    resource_free(&res);
    unsetenv("OTEL_SERVICE_NAME");
    unsetenv("OTEL_RESOURCE_ATTRIBUTES");
}

int main(void) {
    RUN(attributes_keep_their_order_type_and_value);
    RUN(attribute_array_grows_past_its_first_capacity);
    RUN(cstr_attribute_of_null_is_the_empty_string);
    RUN(resource_defaults_to_service_batchtrace_and_the_sdk_attributes);
    RUN(resource_pairs_are_trimmed_percent_decoded_and_kept_in_order);
    RUN(service_name_variable_wins_over_the_pair_and_the_pair_over_the_default);
    RUN(repeated_key_keeps_its_first_place_and_last_value);
    RUN(malformed_pairs_are_skipped_and_reported);
    RUN(resource_from_env_reads_the_two_variables);
    TEST_MAIN_END();
}
