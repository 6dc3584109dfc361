/* Tests of the Mistral AI provider (src/providers/mistral.c, results read by OpenAI's
 * reader): the flat error body {object:"error", message, type, param, code} in its forms,
 * and the job object's states, counts and errors, with exact values. */
#include "provider_test.h"

TEST(mistral_records_are_detected_and_read) {
    CHECK(provider_by_name("mistral") == &provider_mistral);
    CHECK_STR(detected(provider_detect_batch, "{'id':'j','object':'batch','status':'RUNNING',"
                       "'total_requests':2}"), "mistral_ai");
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'0','body':{'max_tokens':64,'messages':[]}}", &item),
              0);
    CHECK_BTSTR(item.custom_id, "0");
}

TEST(flat_error_body_gives_code_else_type_and_message) {
    bt_item item;
    CHECK_INT(parse_result("{'id':'l2','custom_id':'2','response':{'status_code':400,'body':{"
                           "'object':'error','message':'Prompt too large','type':"
                           "'invalid_request_message_error','param':null,'code':'3051'}},"
                           "'error':null}", &item), 0);
    CHECK_STR(item.provider, "mistral_ai");
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_INT(item.http_status, 400);
    CHECK_BTSTR(item.error_type, "3051");
    CHECK_BTSTR(item.error_message, "Prompt too large");
    CHECK_BTSTR(item.line_id, "l2");
    CHECK_INT(parse_result("{'custom_id':'3','response':{'status_code':429,'body':{"
                           "'object':'error','message':'Requests rate limit exceeded',"
                           "'type':'rate_limited','param':null,'code':null}},'error':null}",
                           &item), 0);
    CHECK_BTSTR(item.error_type, "rate_limited");
    CHECK_BTSTR(item.error_message, "Requests rate limit exceeded");
}

/* A request that fails validation (422) carries message {detail:[...]}, an object: its
 * JSON text is the message, so the reason is not lost. */
TEST(validation_error_message_object_is_kept_as_json) {
    bt_item item;
    CHECK_INT(parse_result("{'custom_id':'3','response':{'status_code':422,'body':{"
                           "'object':'error','message':{'detail':[{'type':'extra_forbidden',"
                           "'loc':['body','temprature'],'msg':'Extra inputs are not permitted'}]},"
                           "'type':'invalid_request_error','param':null,'code':null}},"
                           "'error':null}", &item), 0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_INT(item.http_status, 422);
    CHECK_BTSTR(item.error_type, "invalid_request_error");
    CHECK_BTSTR(item.error_message,
                "{\"detail\":[{\"type\":\"extra_forbidden\",\"loc\":[\"body\",\"temprature\"],"
                "\"msg\":\"Extra inputs are not permitted\"}]}");
}

TEST(jobs_give_state_counts_and_errors) {
    batch_info batch;
    CHECK_INT(parse_batch("{'id':'j1','object':'batch','endpoint':'/v1/chat/completions',"
                          "'model':'mistral-small-latest','status':'SUCCESS',"
                          "'created_at':1768862417,'completed_at':1768863010,"
                          "'total_requests':5,'succeeded_requests':3,'failed_requests':2,"
                          "'input_files':['in'],'output_file':'out','error_file':'err',"
                          "'errors':[]}", &batch), 0);
    CHECK_STR(batch.provider, "mistral_ai");
    CHECK_INT(batch.state, BATCH_COMPLETED);
    CHECK_BTSTR(batch.model, "mistral-small-latest");
    CHECK(batch.terminal_ns == 1768863010LL * 1000000000LL);
    CHECK_INT(batch.count_total.value, 5);
    CHECK_INT(batch.count_with_line.value, 5);
    CHECK_BTSTR(batch.input_file_id, "in");
    CHECK_BTSTR(batch.error_file_id, "err");
    CHECK_INT(batch.error_count, 0);
    CHECK_INT(parse_batch("{'id':'j2','object':'batch','status':'FAILED','total_requests':0,"
                          "'errors':[{'message':'Invalid input file','count':1}]}", &batch), 0);
    CHECK_INT(batch.state, BATCH_FAILED);
    CHECK_INT(batch.error_count, 1);
    CHECK_BTSTR(batch.errors[0].code, "FAILED");
    CHECK_BTSTR(batch.errors[0].message, "Invalid input file");
    static const struct { const char *status; batch_state expected; } statuses[] = {
        {"QUEUED", BATCH_RUNNING},     {"RUNNING", BATCH_RUNNING},
        {"CANCELLATION_REQUESTED", BATCH_RUNNING},
        {"TIMEOUT_EXCEEDED", BATCH_EXPIRED}, {"CANCELLED", BATCH_CANCELLED},
    };
    char text[128];
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        snprintf(text, sizeof text, "{'id':'j','object':'batch','status':'%s','total_requests':1}",
                 statuses[i].status);
        CHECK_INT(parse_batch(text, &batch), 0);
        CHECK_INT(batch.state, statuses[i].expected);
    }
    CHECK_INT(parse_batch("{'id':'j','object':'batch','status':'DONE'}", &batch), -1);
    CHECK_STR(reason, "unknown batch status \"DONE\"");
}

int main(void) {
    tested = &provider_mistral;
    RUN(mistral_records_are_detected_and_read);
    RUN(flat_error_body_gives_code_else_type_and_message);
    RUN(validation_error_message_object_is_kept_as_json);
    RUN(jobs_give_state_counts_and_errors);
    TEST_MAIN_END();
}
