/* Tests of the Azure OpenAI provider (provider_azure_openai in src/providers/openai.c):
 * its error-file lines (content filter refusal, unknown deployment, batch_cancelled and
 * batch_expired lines) and its batch states, with exact values. */
#include "provider_test.h"

TEST(azure_records_are_detected_and_read) {
    CHECK(provider_by_name("azure") == &provider_azure_openai);
    CHECK_STR(detected(provider_detect_request, "{'custom_id':'t','method':'POST',"
                       "'url':'/chat/completions','body':{'model':'gpt-4o-batch'}}"),
              "azure.ai.openai");
    CHECK_STR(detected(provider_detect_batch, "{'id':'batch_1','object':'batch',"
                       "'endpoint':'/chat/completions','status':'completed'}"),
              "azure.ai.openai");
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'t','method':'POST','url':'/chat/completions',"
                            "'body':{'model':'gpt-4o-batch','messages':[]}}", &item), 0);
    CHECK_BTSTR(item.custom_id, "t");
    CHECK_BTSTR(item.request_model, "gpt-4o-batch");
}

TEST(content_filter_refusal_gives_its_code_message_and_filter_result) {
    bt_item item;
    CHECK_INT(parse_result("{'custom_id':'task-1','response':{'status_code':400,'request_id':'r1',"
                           "'body':{'error':{'code':'content_filter','message':'filtered',"
                           "'param':'prompt','status':400,'innererror':{"
                           "'code':'ResponsibleAIPolicyViolation','content_filter_result':"
                           "{'violence':{'filtered':true,'severity':'high'}}}}}},'error':null}",
                           &item), 0);
    CHECK_STR(item.provider, "azure.ai.openai");
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_INT(item.http_status, 400);
    CHECK_BTSTR(item.error_type, "content_filter");
    CHECK_BTSTR(item.error_message, "filtered");
    CHECK_BTSTR(item.request_id, "r1");
    CHECK_BTSTR(item.prompt_filter, "{\"violence\":{\"filtered\":true,\"severity\":\"high\"}}");
}

TEST(unknown_deployment_and_bodyless_errors_give_their_type) {
    bt_item item;
    CHECK_INT(parse_result("{'custom_id':'t','response':{'status_code':404,'body':{'error':{"
                           "'code':'DeploymentNotFound','message':'no such deployment'}}},"
                           "'error':null}", &item), 0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_INT(item.http_status, 404);
    CHECK_BTSTR(item.error_type, "DeploymentNotFound");
    CHECK_BTSTR(item.error_message, "no such deployment");
    CHECK_INT(item.prompt_filter.len, 0);
    CHECK_INT(parse_result("{'custom_id':'t','response':{'status_code':500,'body':null},"
                           "'error':null}", &item), 0);
    CHECK_BTSTR(item.error_type, "http_500");
}

TEST(cancelled_and_expired_lines_end_their_items) {
    bt_item item;
    CHECK_INT(parse_result("{'custom_id':'t','response':null,'error':{'code':'batch_cancelled',"
                           "'message':'not processed'}}", &item), 0);
    CHECK_INT(item.result, RESULT_CANCELED);
    CHECK_BTSTR(item.error_type, "batch_cancelled");
    CHECK_BTSTR(item.error_message, "not processed");
    CHECK_INT(parse_result("{'custom_id':'t','response':null,'error':{'code':'batch_expired',"
                           "'message':'expired'}}", &item), 0);
    CHECK_INT(item.result, RESULT_EXPIRED);
}

TEST(batch_states_and_line_errors_are_read) {
    batch_info batch;
    CHECK_INT(parse_batch("{'id':'batch_1','object':'batch','endpoint':'/chat/completions',"
                          "'status':'failed','created_at':1768862417,'failed_at':1768862430,"
                          "'errors':{'object':'list','data':[{'code':'model_mismatch',"
                          "'message':'one deployment per file','param':null,'line':2}]}}",
                          &batch), 0);
    CHECK_STR(batch.provider, "azure.ai.openai");
    CHECK_INT(batch.state, BATCH_FAILED);
    CHECK(batch.terminal_ns == 1768862430LL * 1000000000LL);
    CHECK_INT(batch.error_count, 1);
    CHECK_BTSTR(batch.errors[0].code, "model_mismatch");
    CHECK_BTSTR(batch.errors[0].message, "one deployment per file");
    static const struct { const char *status; batch_state expected; } statuses[] = {
        {"validating", BATCH_RUNNING}, {"in_progress", BATCH_RUNNING},
        {"finalizing", BATCH_RUNNING}, {"cancelling", BATCH_RUNNING},
        {"completed", BATCH_COMPLETED}, {"expired", BATCH_EXPIRED},
        {"cancelled", BATCH_CANCELLED},
    };
    char text[160];
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        snprintf(text, sizeof text, "{'id':'b','object':'batch','endpoint':'/chat/completions',"
                 "'status':'%s'}", statuses[i].status);
        CHECK_INT(parse_batch(text, &batch), 0);
        CHECK_INT(batch.state, statuses[i].expected);
    }
}

int main(void) {
    tested = &provider_azure_openai;
    RUN(azure_records_are_detected_and_read);
    RUN(content_filter_refusal_gives_its_code_message_and_filter_result);
    RUN(unknown_deployment_and_bodyless_errors_give_their_type);
    RUN(cancelled_and_expired_lines_end_their_items);
    RUN(batch_states_and_line_errors_are_read);
    TEST_MAIN_END();
}
