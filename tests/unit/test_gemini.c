/* Tests of the Gemini API batch provider (src/providers/gemini.c): {key, request} input
 * lines, {key, response|error} result lines and batch objects (REST Operation and SDK
 * shapes) into normalized items, with exact values and reasons. */
#include "provider_test.h"

TEST(gemini_records_are_detected_and_named) {
    CHECK(provider_by_name("gcp.gemini") == &provider_gemini);
    CHECK(provider_by_name("gemini") == &provider_gemini);
    CHECK_STR(detected(provider_detect_request, "{'key':'a','request':{'contents':[]}}"),
              "gcp.gemini");
    CHECK_STR(detected(provider_detect_result, "{'key':'a','response':{}}"), "gcp.gemini");
    CHECK_STR(detected(provider_detect_result, "{'key':'a','error':{'code':429}}"),
              "gcp.gemini");
    CHECK_STR(detected(provider_detect_batch,
                       "{'name':'batches/x','metadata':{'state':'BATCH_STATE_RUNNING'}}"),
              "gcp.gemini");
    CHECK_STR(detected(provider_detect_batch, "{'name':'batches/x','state':'JOB_STATE_FAILED'}"),
              "gcp.gemini");
    CHECK_STR(detected(provider_detect_batch, "{'name':'operations/x','state':'X'}"), "none");
    CHECK_STR(detected(provider_detect_request, "{'key':'a'}"), "none");
}

TEST(request_contents_system_tools_and_config_are_normalized) {
    bt_item item;
    CHECK_INT(parse_request(
                  "{'key':'k1','request':{'model':'models/gemini-2.5-flash','contents':["
                  "{'role':'user','parts':[{'text':'hi'},{'inlineData':{'mimeType':'image/png',"
                  "'data':'AAAA'}},{'fileData':{'mimeType':'application/pdf','fileUri':'gs://b/f'}}]},"
                  "{'role':'model','parts':[{'text':'hmm','thought':true},{'functionCall':"
                  "{'id':'c1','name':'f','args':{'x':1}}}]},"
                  "{'role':'user','parts':[{'functionResponse':{'id':'c1','name':'f',"
                  "'response':{'ok':true}}}]}],"
                  "'system_instruction':{'parts':[{'text':'be brief'}]},"
                  "'tools':[{'functionDeclarations':[{'name':'f','description':'d',"
                  "'parameters':{'type':'OBJECT'}}]},{'googleSearch':{}}],"
                  "'toolConfig':{'functionCallingConfig':{'mode':'ANY'}},"
                  "'generationConfig':{'maxOutputTokens':'64','temperature':0.5,'topP':0.9,"
                  "'topK':20,'candidateCount':2,'stopSequences':['x','y'],'seed':3}}}",
                  &item),
              0);
    CHECK_STR(item.provider, "gcp.gemini");
    CHECK_BTSTR(item.custom_id, "k1");
    CHECK_BTSTR(item.endpoint, "generateContent");
    CHECK_STR(item.operation, "chat");
    CHECK_BTSTR(item.request_model, "gemini-2.5-flash");
    CHECK_INT(item.max_tokens.value, 64);
    CHECK_INT(item.top_k.value, 20);
    CHECK_INT(item.choice_count.value, 2);
    CHECK_INT(item.seed.value, 3);
    CHECK(item.temperature.has && item.temperature.value == 0.5);
    CHECK_INT(item.stop_sequence_count, 2);
    CHECK_INT(item.input_message_count, 3);
    CHECK_BTSTR(item.input_messages[0].role, "user");
    CHECK_INT(item.input_messages[0].part_count, 3);
    CHECK_INT(item.input_messages[0].parts[1].type, PART_BLOB);
    CHECK_BTSTR(item.input_messages[0].parts[1].modality, "image");
    CHECK_INT(item.input_messages[0].parts[2].type, PART_URI);
    CHECK_BTSTR(item.input_messages[0].parts[2].uri, "gs://b/f");
    CHECK_BTSTR(item.input_messages[1].role, "assistant");
    CHECK_INT(item.input_messages[1].parts[0].type, PART_REASONING);
    CHECK_INT(item.input_messages[1].parts[1].type, PART_TOOL_CALL);
    CHECK_BTSTR(item.input_messages[1].parts[1].arguments, "{\"x\":1}");
    CHECK_BTSTR(item.input_messages[2].role, "tool");
    CHECK_INT(item.input_messages[2].parts[0].type, PART_TOOL_CALL_RESPONSE);
    CHECK_BTSTR(item.input_messages[2].parts[0].id, "c1");
    CHECK_INT(item.system_instruction_count, 1);
    CHECK_BTSTR(item.system_instructions[0].content, "be brief");
    CHECK_INT(item.tool_count, 2);
    CHECK_BTSTR(item.tools[0].name, "f");
    CHECK_BTSTR(item.tools[0].type, "function");
    CHECK_BTSTR(item.tools[1].type, "googleSearch");
    CHECK_BTSTR(item.tool_choice, "{\"mode\":\"ANY\"}");
}

TEST(requests_without_key_or_request_are_rejected) {
    bt_item item;
    CHECK_INT(parse_request("{'request':{}}", &item), -1);
    CHECK_STR(reason, "missing \"key\"");
    CHECK_INT(parse_request("{'key':'a','request':[]}", &item), -1);
    CHECK_STR(reason, "\"request\" is not an object");
    CHECK_INT(parse_request("{'key':'a','request':{'generationConfig':{'topK':1.5}}}", &item), -1);
    CHECK_STR(reason, "\"generationConfig.topK\" is not an integer in int64 range: 1.5");
}

TEST(response_candidates_usage_and_ids_are_read) {
    bt_item item;
    CHECK_INT(parse_result("{'key':'k1','response':{'candidates':[{'content':{'role':'model',"
                           "'parts':[{'text':'a'}]},'finishReason':'STOP'},{'content':{'parts':"
                           "[{'text':'b'}]},'finishReason':'MAX_TOKENS'}],'usageMetadata':{"
                           "'promptTokenCount':10,'candidatesTokenCount':5,"
                           "'cachedContentTokenCount':4,'thoughtsTokenCount':7},"
                           "'modelVersion':'gemini-2.5-pro','responseId':'r1',"
                           "'createTime':'2026-01-19T22:40:17Z'}}",
                           &item),
              0);
    CHECK_INT(item.result, RESULT_SUCCEEDED);
    CHECK_INT(item.output_message_count, 2);
    CHECK_BTSTR(item.output_messages[0].role, "assistant");
    CHECK_BTSTR(item.output_messages[1].role, "assistant");
    CHECK_INT(item.finish_reason_count, 2);
    CHECK_BTSTR(item.finish_reasons[1], "MAX_TOKENS");
    CHECK_INT(item.input_tokens.value, 10);
    CHECK_INT(item.output_tokens.value, 12); /* candidates + thoughts */
    CHECK_INT(item.reasoning_tokens.value, 7);
    CHECK_INT(item.cache_read_tokens.value, 4);
    CHECK_BTSTR(item.response_model, "gemini-2.5-pro");
    CHECK_BTSTR(item.response_id, "r1");
    CHECK(item.end_time_ns == 1768862417LL * 1000000000LL);
}

TEST(every_error_shape_gives_its_type_and_message) {
    bt_item item;
    CHECK_INT(parse_result("{'key':'k','error':{'code':429,'message':'quota',"
                           "'status':'RESOURCE_EXHAUSTED'}}", &item), 0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_BTSTR(item.error_type, "RESOURCE_EXHAUSTED");
    CHECK_BTSTR(item.error_message, "quota");
    CHECK_INT(item.http_status, 429);
    CHECK_INT(parse_result("{'key':'k','error':{'code':500,'message':'boom'}}", &item), 0);
    CHECK_BTSTR(item.error_type, "500");
    CHECK_INT(parse_result("{'key':'k','response':{'promptFeedback':{'blockReason':'SAFETY'}}}",
                           &item), 0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_BTSTR(item.error_type, "SAFETY");
    CHECK_BTSTR(item.error_message, "prompt blocked");
    CHECK_INT(parse_result("{'key':'k','error':'x'}", &item), -1);
    CHECK_STR(reason, "\"error\" is not an object");
    CHECK_INT(parse_result("{'key':'k'}", &item), -1);
    CHECK_STR(reason, "neither \"response\" nor \"error\" is set");
}

TEST(batch_operation_and_sdk_shapes_give_state_times_and_counts) {
    batch_info batch;
    CHECK_INT(parse_batch("{'name':'batches/b1','metadata':{'@type':'x','name':'batches/b1',"
                          "'state':'BATCH_STATE_SUCCEEDED','createTime':'2026-01-19T22:40:17Z',"
                          "'endTime':'2026-01-19T23:00:00Z','batchStats':{'requestCount':'3',"
                          "'successfulRequestCount':'2','failedRequestCount':'1'},"
                          "'output':{'responsesFile':'files/out'}},'done':true}",
                          &batch),
              0);
    CHECK_STR(batch.provider, "gcp.gemini");
    CHECK_BTSTR(batch.id, "batches/b1");
    CHECK_INT(batch.state, BATCH_COMPLETED);
    CHECK_INT(batch.count_total.value, 3);
    CHECK_INT(batch.count_with_line.value, 3);
    CHECK_BTSTR(batch.output_file_id, "files/out");
    CHECK(batch.terminal_ns == 1768863600LL * 1000000000LL);
    static const struct { const char *state; batch_state expected; } states[] = {
        {"JOB_STATE_PENDING", BATCH_RUNNING},     {"BATCH_STATE_RUNNING", BATCH_RUNNING},
        {"JOB_STATE_EXPIRED", BATCH_EXPIRED},     {"BATCH_STATE_CANCELLED", BATCH_CANCELLED},
        {"JOB_STATE_FAILED", BATCH_FAILED},
        {"JOB_STATE_PARTIALLY_SUCCEEDED", BATCH_COMPLETED},
    };
    char text[256];
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        snprintf(text, sizeof text, "{'name':'batches/b','state':'%s'}", states[i].state);
        CHECK_INT(parse_batch(text, &batch), 0);
        CHECK_INT(batch.state, states[i].expected);
    }
    CHECK_INT(parse_batch("{'name':'batches/b','state':'DONE'}", &batch), -1);
    CHECK_STR(reason, "unknown batch state \"DONE\"");
    CHECK_INT(parse_batch("{'name':'batches/b','error':{'code':3,'message':'bad',"
                          "'status':'INVALID_ARGUMENT'},'metadata':{'state':"
                          "'BATCH_STATE_FAILED','batchStats':{'requestCount':'x'}}}", &batch), -1);
    CHECK_STR(reason, "\"batchStats.requestCount\" is not an integer in int64 range: \"x\"");
}

/* The records of a batch object, as provider_batch_records renders them: requests, then
 * results, each a JSONL text (static). */
static const char *inlined_lines(const char *batch_text, const char **results_out) {
    static buf_t requests = BUF_INIT, results = BUF_INIT;
    buf_clear(&requests);
    buf_clear(&results);
    if (load(batch_text) != 0 ||
        provider_batch_records(tested, &doc, 0, &arena, &requests, &results, reason) != 0)
        return "(failed)";
    *results_out = buf_cstr(&results);
    return buf_cstr(&requests);
}

TEST(inlined_requests_and_responses_become_lines_matched_by_key_else_position) {
    const char *results = "";
    /* REST: an Operation whose response holds the inlined responses; the first response
     * has no metadata (its request's key is used), the second names its own; a pretty
     * printed value comes out on one line. */
    CHECK_STR(inlined_lines("{'name':'batches/b','metadata':{'name':'batches/b',"
                            "'state':'BATCH_STATE_SUCCEEDED','inputConfig':{'requests':{"
                            "'requests':[{'request':{'contents':[]},'metadata':{'key':'a'}},"
                            "{'request':{'contents':[1]},'metadata':{'key':'b'}},"
                            "{'request':{},'metadata':{'key':'c'}}]}}},'response':{"
                            "'inlinedResponses':{'inlinedResponses':[{'response':\n"
                            "{'candidates':[]}},{'error':{'code':429},'metadata':{'key':'b'}}]}}}",
                            &results),
              "{\"key\":\"a\",\"request\":{\"contents\":[]}}\n"
              "{\"key\":\"b\",\"request\":{\"contents\":[1]}}\n"
              "{\"key\":\"c\",\"request\":{}}\n");
    CHECK_STR(results, "{\"key\":\"a\",\"response\":{\"candidates\":[]}}\n"
                       "{\"key\":\"b\",\"error\":{\"code\":429}}\n");
    /* The batch resource's own output.inlinedResponses, in the same shape. */
    CHECK_STR(inlined_lines("{'name':'batches/b','state':'BATCH_STATE_SUCCEEDED','output':{"
                            "'inlinedResponses':{'inlinedResponses':[{'response':{},"
                            "'metadata':{'key':'k9'}}]}}}",
                            &results),
              "");
    CHECK_STR(results, "{\"key\":\"k9\",\"response\":{}}\n");
    /* The SDKs: src.inlined_requests (the request's fields at the top) and
     * dest.inlined_responses with null members; no metadata anywhere: by position. */
    CHECK_STR(inlined_lines("{'name':'batches/s','state':'JOB_STATE_SUCCEEDED','src':{"
                            "'inlined_requests':[{'contents':[],'metadata':null},{'contents':[2]}]},"
                            "'dest':{'inlined_responses':[{'response':{'candidates':[]},"
                            "'error':null},{'response':null,'error':{'code':400}}]}}",
                            &results),
              "{\"key\":\"1\",\"request\":{\"contents\":[],\"metadata\":null}}\n"
              "{\"key\":\"2\",\"request\":{\"contents\":[2]}}\n");
    CHECK_STR(results, "{\"key\":\"1\",\"response\":{\"candidates\":[]}}\n"
                       "{\"key\":\"2\",\"error\":{\"code\":400}}\n");
    /* A batch without inlined records renders nothing. */
    CHECK_STR(inlined_lines("{'name':'batches/f','state':'JOB_STATE_RUNNING','src':{"
                            "'file_name':'files/in'}}", &results), "");
    CHECK_STR(results, "");
}

int main(void) {
    tested = &provider_gemini;
    RUN(gemini_records_are_detected_and_named);
    RUN(request_contents_system_tools_and_config_are_normalized);
    RUN(requests_without_key_or_request_are_rejected);
    RUN(response_candidates_usage_and_ids_are_read);
    RUN(every_error_shape_gives_its_type_and_message);
    RUN(batch_operation_and_sdk_shapes_give_state_times_and_counts);
    RUN(inlined_requests_and_responses_become_lines_matched_by_key_else_position);
    TEST_MAIN_END();
}
