/* Tests of provider detection (src/providers/detect.c): each provider's request, result
 * and batch records are recognized from content alone, undecidable ones give NULL, and
 * providers are found by name. JSON is written with single quotes; load() turns them
 * into double quotes. */
#include "providers/provider.h"
#include "test.h"

static json_doc doc = JSON_DOC_INIT;

/* Parse the single-quoted JSON text into the shared doc; -1 (and a message) on bad JSON. */
static int load(const char *text) {
    static char json[4096];
    size_t i = 0;
    for (; text[i] && i + 1 < sizeof json; i++) json[i] = text[i] == '\'' ? '"' : text[i];
    json[i] = '\0';
    char reason[REASON_MAX];
    if (json_parse(&doc, json, i, reason) != 0) {
        fprintf(stderr, "test JSON does not parse (%s): %s\n", reason, json);
        return -1;
    }
    return 0;
}

/* The name of the provider detect() finds for text, or "none" (or "bad json"). */
static const char *detected(const provider_ops *(*detect)(const json_doc *, int), const char *text) {
    if (load(text) != 0) return "bad json";
    const provider_ops *ops = detect(&doc, 0);
    return ops ? ops->name : "none";
}

TEST(providers_are_found_by_their_exact_names) {
    CHECK(provider_by_name("openai") == &provider_openai);
    CHECK(provider_by_name("anthropic") == &provider_anthropic);
    CHECK(provider_by_name("Anthropic") == NULL);
    CHECK(provider_by_name("azure") == &provider_azure_openai);
    CHECK(provider_by_name("Azure") == NULL);
    CHECK(provider_by_name("") == NULL);
    CHECK(provider_by_name(NULL) == NULL);
    CHECK_STR(provider_openai.name, "openai");
}

TEST(request_records_are_detected) {
    CHECK_STR(detected(provider_detect_request,
                       "{'custom_id':'a','params':{'model':'claude','max_tokens':10,'messages':[]}}"),
              "anthropic");
    CHECK_STR(detected(provider_detect_request,
                       "{'custom_id':'a','method':'POST','url':'/v1/chat/completions',"
                       "'body':{'model':'gpt-4o-mini','messages':[]}}"),
              "openai");
    CHECK_STR(detected(provider_detect_request, "{'custom_id':'a','url':'/v1/embeddings'}"),
              "openai");
    CHECK_STR(detected(provider_detect_request, "{'custom_id':'a','method':'POST'}"), "openai");
    CHECK_STR(detected(provider_detect_request, "{'body':{}}"), "openai");
    CHECK_STR(detected(provider_detect_request, "{'custom_id':'a'}"), "none");
    CHECK_STR(detected(provider_detect_request, "{'custom_id':'a','params':null}"), "none");
    CHECK_STR(detected(provider_detect_request, "{'url':'/v1/embeddings'}"), "none");
    CHECK_STR(detected(provider_detect_request, "{'requests':[]}"), "none");
    CHECK_STR(detected(provider_detect_request, "[{'custom_id':'a','params':{}}]"), "none");
    CHECK_STR(detected(provider_detect_request, "null"), "none");
}

TEST(result_records_are_detected) {
    CHECK_STR(detected(provider_detect_result,
                       "{'custom_id':'a','result':{'type':'succeeded','message':{}}}"),
              "anthropic");
    CHECK_STR(detected(provider_detect_result, "{'custom_id':'a','result':{'type':'expired'}}"),
              "anthropic");
    CHECK_STR(detected(provider_detect_result,
                       "{'id':'batch_req_1','custom_id':'a','response':{'status_code':200,"
                       "'request_id':'r','body':{}},'error':null}"),
              "openai");
    CHECK_STR(detected(provider_detect_result,
                       "{'id':'batch_req_2','custom_id':'a','response':null,"
                       "'error':{'code':'batch_expired','message':'expired'}}"),
              "openai");
    CHECK_STR(detected(provider_detect_result, "{'custom_id':'a','error':null}"), "openai");
    CHECK_STR(detected(provider_detect_result, "{'custom_id':'a'}"), "none");
    CHECK_STR(detected(provider_detect_result, "{'response':{}}"), "none");
    CHECK_STR(detected(provider_detect_result, "{'custom_id':'a','result':'succeeded'}"), "none");
    CHECK_STR(detected(provider_detect_result, "42"), "none");
}

TEST(batch_objects_are_detected) {
    CHECK_STR(detected(provider_detect_batch,
                       "{'id':'batch_abc','object':'batch','endpoint':'/v1/chat/completions',"
                       "'status':'completed','request_counts':{'total':2,'completed':2,'failed':0}}"),
              "openai");
    CHECK_STR(detected(provider_detect_batch,
                       "{'id':'batch_abc','endpoint':'/v1/embeddings','request_counts':{'total':0}}"),
              "openai");
    CHECK_STR(detected(provider_detect_batch,
                       "{'id':'msgbatch_1','type':'message_batch','processing_status':'ended',"
                       "'request_counts':{'processing':0,'succeeded':1,'errored':0,'canceled':0,"
                       "'expired':0}}"),
              "anthropic");
    CHECK_STR(detected(provider_detect_batch, "{'id':'msgbatch_1','processing_status':'in_progress'}"),
              "anthropic");
    CHECK_STR(detected(provider_detect_batch, "{'id':'x','type':'message_batch'}"), "anthropic");
    CHECK_STR(detected(provider_detect_batch, "{'id':'x','status':'completed'}"), "none");
    CHECK_STR(detected(provider_detect_batch,
                       "{'id':'x','endpoint':'/v1/embeddings','request_counts':{'completed':1}}"),
              "none");
    CHECK_STR(detected(provider_detect_batch, "{'object':'list','data':[]}"), "none");
    CHECK_STR(detected(provider_detect_batch, "['batch']"), "none");
}

TEST(azure_and_mistral_win_over_the_openai_format_they_write) {
    CHECK_STR(detected(provider_detect_request,
                       "{'custom_id':'a','method':'POST','url':'/chat/completions','body':{}}"),
              "azure.ai.openai");
    CHECK_STR(detected(provider_detect_result,
                       "{'custom_id':'a','response':{'status_code':200,'body':{'choices':[{"
                       "'content_filter_results':{}}]}}}"),
              "azure.ai.openai");
    CHECK_STR(detected(provider_detect_result,
                       "{'custom_id':'a','response':{'status_code':200,'body':{"
                       "'prompt_filter_results':[]}}}"),
              "azure.ai.openai");
    CHECK_STR(detected(provider_detect_batch,
                       "{'object':'batch','endpoint':'/chat/completions','status':'completed'}"),
              "azure.ai.openai");
    CHECK_STR(detected(provider_detect_batch,
                       "{'object':'batch','endpoint':'/v1/chat/completions','total_requests':3}"),
              "mistral_ai");
    CHECK_STR(detected(provider_detect_batch,
                       "{'object':'batch','endpoint':'/v1/chat/completions','status':'completed'}"),
              "openai");
}

TEST(openai_compatible_providers_are_only_named) {
    static const char *const names[] = {"groq", "x_ai", "xai", "together", "fireworks",
                                        "openrouter", "mistral", "mistral_ai"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const provider_ops *p = provider_by_name(names[i]);
        CHECK(p != NULL);
        if (p) CHECK_STR(p->format, "openai");
    }
    CHECK_STR(provider_by_name("xai")->name, "x_ai");
    CHECK(provider_by_name("together")->is_request == NULL);
    CHECK(strstr(provider_names(), "aws.bedrock") != NULL);
}

int main(void) {
    RUN(azure_and_mistral_win_over_the_openai_format_they_write);
    RUN(openai_compatible_providers_are_only_named);
    RUN(providers_are_found_by_their_exact_names);
    RUN(request_records_are_detected);
    RUN(result_records_are_detected);
    RUN(batch_objects_are_detected);
    json_doc_free(&doc);
    TEST_MAIN_END();
}
