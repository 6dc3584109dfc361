/* Tests of the Vertex AI batch prediction provider (src/providers/vertex.c): Gemini and
 * Claude lines matched by custom_id or request.labels.custom_id, status errors, and the
 * BatchPredictionJob. */
#include "provider_test.h"

TEST(vertex_records_are_detected_and_named) {
    CHECK(provider_by_name("gcp.vertex_ai") == &provider_vertex);
    CHECK(provider_by_name("vertex") == &provider_vertex);
    CHECK_STR(detected(provider_detect_request, "{'request':{'contents':[]}}"), "gcp.vertex_ai");
    CHECK_STR(detected(provider_detect_result,
                       "{'custom_id':'c','request':{},'response':{},'status':''}"),
              "gcp.vertex_ai");
    CHECK_STR(detected(provider_detect_batch,
                       "{'name':'projects/p/locations/l/batchPredictionJobs/1','state':'x'}"),
              "gcp.vertex_ai");
}

TEST(gemini_lines_are_matched_by_their_labels_and_timed_by_processed_time) {
    bt_item item;
    CHECK_INT(parse_result("{'status':'','processed_time':'2026-01-19T23:10:02+00:00',"
                           "'request':{'contents':[{'role':'user','parts':[{'text':'hi'}]}],"
                           "'labels':{'custom_id':'q-1'}},'response':{'candidates':[{'content':"
                           "{'role':'model','parts':[{'text':'yo'}]},'finishReason':'STOP'}],"
                           "'usageMetadata':{'promptTokenCount':3,'candidatesTokenCount':1}}}",
                           &item), 0);
    CHECK_STR(item.provider, "gcp.vertex_ai");
    CHECK_BTSTR(item.custom_id, "q-1");
    CHECK(item.has_request);
    CHECK_INT(item.input_message_count, 1);
    CHECK_INT(item.result, RESULT_SUCCEEDED);
    CHECK_INT(item.output_tokens.value, 1);
    CHECK(item.end_time_ns == 1768864202LL * 1000000000LL);
    CHECK_INT(parse_result("{'status':'Bad Request: {}','request':{'labels':{'custom_id':'q-2'}}}",
                           &item), 0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_BTSTR(item.error_type, "Bad Request");
    CHECK_BTSTR(item.error_message, "Bad Request: {}");
    CHECK_INT(parse_result("{'status':'','request':{'contents':[]},'response':{}}", &item), -1);
    CHECK_STR(reason, "no \"custom_id\" nor \"request.labels.custom_id\": Vertex AI gives lines "
                      "no id of their own; add one to each input line");
}

TEST(claude_lines_read_messages_and_error_bodies) {
    bt_item item;
    CHECK_INT(parse_result("{'custom_id':'c-1','request':{'anthropic_version':'vertex-2023-10-16',"
                           "'max_tokens':9,'messages':[{'role':'user','content':'hi'}]},"
                           "'status':'','response':{'type':'message','role':'assistant',"
                           "'content':[{'type':'text','text':'hey'}],'stop_reason':'end_turn',"
                           "'usage':{'input_tokens':4,'output_tokens':2}}}", &item), 0);
    CHECK_BTSTR(item.custom_id, "c-1");
    CHECK_INT(item.max_tokens.value, 9);
    CHECK_BTSTR(item.endpoint, "batchPredictionJobs");
    CHECK_BTSTR(item.finish_reasons[0], "end_turn");
    /* An error body says the item failed, with an empty status and with no status member
     * at all (fuzz_vertex found memchr given the absent status's null text). */
    static const struct {
        const char *line, *type, *message;
    } errors[] = {
        {"{'custom_id':'c-2','request':{'anthropic_version':'v','messages':[]},'status':'',"
         "'response':{'type':'error','error':{'type':'overloaded_error','message':'busy'}}}",
         "overloaded_error", "busy"},
        {"{'custom_id':'c-3','request':{'anthropic_version':'v','messages':[]},"
         "'response':{'type':'error','error':{'type':'invalid_request_error','message':'empty'}}}",
         "invalid_request_error", "empty"},
    };
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        CHECK_INT(parse_result(errors[i].line, &item), 0);
        CHECK_INT(item.result, RESULT_ERRORED);
        CHECK_BTSTR(item.error_type, errors[i].type);
        CHECK_BTSTR(item.error_message, errors[i].message);
    }
}

TEST(input_lines_give_their_id_and_request) {
    bt_item item;
    CHECK_INT(parse_request("{'request':{'contents':[{'role':'user','parts':[{'text':'hi'}]}],"
                            "'labels':{'custom_id':'q-9'}}}", &item), 0);
    CHECK_BTSTR(item.custom_id, "q-9");
    CHECK_STR(item.operation, "chat");
    CHECK_INT(item.input_message_count, 1);
    CHECK_INT(parse_request("{'custom_id':7,'request':{}}", &item), -1);
    CHECK_STR(reason, "the custom_id is not a non-empty string");
}

TEST(jobs_give_state_model_and_counts) {
    batch_info batch;
    CHECK_INT(parse_batch("{'name':'projects/p/locations/l/batchPredictionJobs/9',"
                          "'model':'publishers/google/models/gemini-2.0-flash-001',"
                          "'state':'JOB_STATE_CANCELLED','createTime':'2026-01-19T22:40:17Z',"
                          "'endTime':'2026-01-19T23:00:00Z','completionStats':{"
                          "'successfulCount':'2','failedCount':'1','incompleteCount':'4'}}",
                          &batch), 0);
    CHECK_INT(batch.state, BATCH_CANCELLED);
    CHECK_BTSTR(batch.model, "gemini-2.0-flash-001");
    CHECK_INT(batch.count_with_line.value, 3);
    CHECK_INT(batch.count_total.value, 7);
    CHECK_INT(parse_batch("{'name':'n','state':'JOB_STATE_WHATEVER'}", &batch), -1);
    CHECK_STR(reason, "unknown job state \"JOB_STATE_WHATEVER\"");
}

int main(void) {
    tested = &provider_vertex;
    RUN(vertex_records_are_detected_and_named);
    RUN(gemini_lines_are_matched_by_their_labels_and_timed_by_processed_time);
    RUN(claude_lines_read_messages_and_error_bodies);
    RUN(input_lines_give_their_id_and_request);
    RUN(jobs_give_state_model_and_counts);
    TEST_MAIN_END();
}
