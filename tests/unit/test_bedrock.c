/* Tests of the Amazon Bedrock batch provider (src/providers/bedrock.c): {recordId,
 * modelInput} lines, output lines with modelOutput or error for each model family, the
 * job and the manifest, with exact values and reasons. */
#include "provider_test.h"

TEST(bedrock_records_are_detected_and_named) {
    CHECK(provider_by_name("aws.bedrock") == &provider_bedrock);
    CHECK(provider_by_name("bedrock") == &provider_bedrock);
    CHECK_STR(detected(provider_detect_request, "{'recordId':'r','modelInput':{}}"),
              "aws.bedrock");
    CHECK_STR(detected(provider_detect_result,
                       "{'recordId':'r','modelInput':{},'modelOutput':{}}"), "aws.bedrock");
    CHECK_STR(detected(provider_detect_result, "{'recordId':'r','error':{'errorCode':400}}"),
              "aws.bedrock");
    CHECK_STR(detected(provider_detect_batch, "{'jobArn':'arn:x','status':'Completed'}"),
              "aws.bedrock");
    CHECK_STR(detected(provider_detect_batch, "{'totalRecordCount':3}"), "aws.bedrock");
}

TEST(claude_bodies_are_read_as_anthropic_messages) {
    bt_item item;
    CHECK_INT(parse_result("{'recordId':'r1','modelInput':{'anthropic_version':'bedrock-2023-05-31',"
                           "'max_tokens':50,'system':'be brief','messages':[{'role':'user',"
                           "'content':'hi'}]},'modelOutput':{'id':'msg_1','type':'message',"
                           "'role':'assistant','model':'claude-x','content':[{'type':'text',"
                           "'text':'hello'}],'stop_reason':'end_turn','usage':{'input_tokens':5,"
                           "'output_tokens':2,'cache_read_input_tokens':3}}}",
                           &item),
              0);
    CHECK_STR(item.provider, "aws.bedrock");
    CHECK_BTSTR(item.custom_id, "r1");
    CHECK_BTSTR(item.endpoint, "InvokeModel");
    CHECK_STR(item.operation, "chat");
    CHECK(item.has_request);
    CHECK_INT(item.max_tokens.value, 50);
    CHECK_INT(item.system_instruction_count, 1);
    CHECK_INT(item.input_message_count, 1);
    CHECK_INT(item.result, RESULT_SUCCEEDED);
    CHECK_BTSTR(item.response_model, "claude-x");
    CHECK_INT(item.input_tokens.value, 8);
    CHECK_BTSTR(item.finish_reasons[0], "end_turn");
}

TEST(converse_and_nova_bodies_count_cached_tokens_as_input) {
    bt_item item;
    CHECK_INT(parse_result("{'recordId':'r2','modelInput':{'schemaVersion':'messages-v1',"
                           "'messages':[{'role':'user','content':[{'text':'hi'},{'image':{"
                           "'format':'png','source':{'bytes':'AAAA'}}}]}],'system':[{'text':'s'}],"
                           "'inferenceConfig':{'max_new_tokens':9,'top_p':0.5}},'modelOutput':{"
                           "'output':{'message':{'role':'assistant','content':[{'reasoningContent':"
                           "{'reasoningText':{'text':'think'}}},{'text':'ok'},{'toolUse':{"
                           "'toolUseId':'t1','name':'f','input':{'a':1}}}]}},'stopReason':'tool_use',"
                           "'usage':{'inputTokens':10,'outputTokens':4,'cacheReadInputTokenCount':6,"
                           "'cacheWriteInputTokenCount':2}}}",
                           &item),
              0);
    CHECK_INT(item.max_tokens.value, 9);
    CHECK_INT(item.input_messages[0].parts[1].type, PART_BLOB);
    CHECK_BTSTR(item.input_messages[0].parts[1].modality, "image");
    CHECK_BTSTR(item.system_instructions[0].content, "s");
    CHECK_INT(item.output_messages[0].part_count, 3);
    CHECK_INT(item.output_messages[0].parts[0].type, PART_REASONING);
    CHECK_INT(item.output_messages[0].parts[2].type, PART_TOOL_CALL);
    CHECK_BTSTR(item.finish_reasons[0], "tool_use");
    CHECK_INT(item.input_tokens.value, 18);
    CHECK_INT(item.output_tokens.value, 4);
    CHECK_INT(item.cache_read_tokens.value, 6);
    CHECK_INT(item.cache_creation_tokens.value, 2);
}

TEST(prompt_and_embedding_bodies_give_their_operation) {
    bt_item item;
    CHECK_INT(parse_result("{'recordId':'l','modelInput':{'prompt':'p','max_gen_len':5},"
                           "'modelOutput':{'generation':'g','prompt_token_count':3,"
                           "'generation_token_count':1,'stop_reason':'length'}}", &item), 0);
    CHECK_STR(item.operation, "text_completion");
    CHECK_INT(item.max_tokens.value, 5);
    CHECK_INT(item.output_tokens.value, 1);
    CHECK_BTSTR(item.finish_reasons[0], "length");
    CHECK_INT(parse_result("{'recordId':'t','modelInput':{'inputText':'x',"
                           "'textGenerationConfig':{'maxTokenCount':4}},'modelOutput':{"
                           "'inputTextTokenCount':2,'results':[{'tokenCount':1,"
                           "'outputText':'y','completionReason':'FINISH'}]}}", &item), 0);
    CHECK_STR(item.operation, "text_completion");
    CHECK_INT(item.max_tokens.value, 4);
    CHECK_BTSTR(item.finish_reasons[0], "FINISH");
    CHECK_INT(parse_result("{'recordId':'e','modelInput':{'inputText':'x','dimensions':256},"
                           "'modelOutput':{'embedding':[0.1],'inputTextTokenCount':2}}", &item), 0);
    CHECK_STR(item.operation, "embeddings");
    CHECK_INT(item.input_tokens.value, 2);
    CHECK_INT(item.output_message_count, 0);
}

TEST(every_error_shape_gives_its_type_and_message) {
    bt_item item;
    CHECK_INT(parse_result("{'recordId':'r','modelInput':{'prompt':'p'},'error':{"
                           "'errorCode':400,'errorMessage':'bad request'}}", &item), 0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_BTSTR(item.error_type, "400");
    CHECK_INT(item.http_status, 400);
    CHECK_BTSTR(item.error_message, "bad request");
    CHECK_INT(parse_result("{'recordId':'r','error':{'errorCode':'ThrottlingException',"
                           "'errorMessage':'slow down'}}", &item), 0);
    CHECK_BTSTR(item.error_type, "ThrottlingException");
    CHECK_INT(parse_result("{'recordId':'r','error':'x'}", &item), -1);
    CHECK_STR(reason, "\"error\" is not an object");
    CHECK_INT(parse_result("{'recordId':'r','modelInput':{}}", &item), -1);
    CHECK_STR(reason, "neither \"modelOutput\" nor \"error\" is set");
    CHECK_INT(parse_request("{'modelInput':{}}", &item), -1);
    CHECK_STR(reason, "missing \"recordId\"");
}

TEST(jobs_and_manifests_give_state_model_and_counts) {
    batch_info batch;
    CHECK_INT(parse_batch("{'jobArn':'arn:j','status':'Completed','modelId':'amazon.nova-lite-v1:0',"
                          "'submitTime':'2026-01-19T22:40:17Z','endTime':'2026-01-19T23:00:00Z'}",
                          &batch), 0);
    CHECK_STR(batch.provider, "aws.bedrock");
    CHECK_BTSTR(batch.id, "arn:j");
    CHECK_INT(batch.state, BATCH_COMPLETED);
    CHECK_BTSTR(batch.model, "amazon.nova-lite-v1:0");
    CHECK(batch.terminal_ns == 1768863600LL * 1000000000LL);
    static const struct { const char *status; batch_state expected; } statuses[] = {
        {"Submitted", BATCH_RUNNING},  {"InProgress", BATCH_RUNNING},
        {"Stopping", BATCH_RUNNING},   {"PartiallyCompleted", BATCH_COMPLETED},
        {"Failed", BATCH_FAILED},      {"Stopped", BATCH_CANCELLED},
        {"Expired", BATCH_EXPIRED},
    };
    char text[128];
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        snprintf(text, sizeof text, "{'jobArn':'a','status':'%s'}", statuses[i].status);
        CHECK_INT(parse_batch(text, &batch), 0);
        CHECK_INT(batch.state, statuses[i].expected);
    }
    CHECK_INT(parse_batch("{'jobArn':'a','status':'Done'}", &batch), -1);
    CHECK_STR(reason, "unknown job status \"Done\"");
    CHECK_INT(parse_batch("{'totalRecordCount':6,'processedRecordCount':4,'successRecordCount':3,"
                          "'errorRecordCount':1,'inputTokenCount':100,'outputTokenCount':20}",
                          &batch), 0);
    CHECK_INT(batch.state, BATCH_EXPIRED);
    CHECK_INT(batch.count_with_line.value, 4);
    CHECK_INT(batch.usage_input_tokens.value, 100);
    CHECK_INT(parse_batch("{'totalRecordCount':6,'processedRecordCount':6}", &batch), 0);
    CHECK_INT(batch.state, BATCH_COMPLETED);
    CHECK_BTSTR(batch.status, "Completed");
}

int main(void) {
    tested = &provider_bedrock;
    RUN(bedrock_records_are_detected_and_named);
    RUN(claude_bodies_are_read_as_anthropic_messages);
    RUN(converse_and_nova_bodies_count_cached_tokens_as_input);
    RUN(prompt_and_embedding_bodies_give_their_operation);
    RUN(every_error_shape_gives_its_type_and_message);
    RUN(jobs_and_manifests_give_state_model_and_counts);
    TEST_MAIN_END();
}
