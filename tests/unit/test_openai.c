/* Tests of the OpenAI provider (src/providers/openai.c): input lines, output/error lines and
 * batch objects into normalized items, with exact values and exact rejection reasons.
 * Fixtures are written with single quotes for readability; json_line() turns every ' into "
 * (so a JSON escape \" is written \\' here, and an apostrophe would be \u0027). */
#include <stdlib.h>

#include "providers/provider.h"
#include "test.h"

static json_doc doc = JSON_DOC_INIT;
static arena_t arena = ARENA_INIT;
static char reason[REASON_MAX];
static char line_text[16384]; /* the doc borrows its text: one line at a time lives here */

/* Turn the single-quoted fixture into JSON in line_text, clear the arena and reason, and
 * parse it into doc. Returns 0 when the JSON parsed (a test fixture must). */
static int load(const char *fixture) {
    size_t i = 0;
    for (; fixture[i] && i + 1 < sizeof line_text; i++)
        line_text[i] = fixture[i] == '\'' ? '"' : fixture[i];
    line_text[i] = '\0';
    arena_reset(&arena);
    reason[0] = '\0';
    if (json_parse(&doc, line_text, i, reason) != 0) {
        fprintf(stderr, "fixture does not parse (%s): %s\n", reason, line_text);
        return -1;
    }
    return 0;
}

/* parse_request on a fixture into *item (zeroed first); -2 when the fixture is bad JSON. */
static int parse_request(const char *fixture, bt_item *item) {
    memset(item, 0, sizeof *item);
    if (load(fixture) != 0) return -2;
    return provider_openai.parse_request(&doc, 0, &arena, item, reason);
}

/* parse_result on a fixture into *item (zeroed first). */
static int parse_result(const char *fixture, bt_item *item) {
    memset(item, 0, sizeof *item);
    if (load(fixture) != 0) return -2;
    return provider_openai.parse_result(&doc, 0, &arena, item, reason);
}

/* parse_batch on a fixture into *batch (zeroed first). */
static int parse_batch(const char *fixture, batch_info *batch) {
    memset(batch, 0, sizeof *batch);
    if (load(fixture) != 0) return -2;
    return provider_openai.parse_batch(&doc, 0, &arena, batch, reason);
}

/* ---- requests ---- */

TEST(embeddings_request_counts_inputs_and_keeps_dimensions) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'e','url':'/v1/embeddings','body':{'model':'m',"
                            "'input':['a','b','c'],'dimensions':256}}", &item), 0);
    CHECK_INT(item.input_count.value, 3);
    CHECK_INT(item.embedding_dimensions.value, 256);
    CHECK_INT(parse_request("{'custom_id':'e','url':'/v1/embeddings','body':{'model':'m',"
                            "'input':[12,7,99]}}", &item), 0);
    CHECK_INT(item.input_count.value, 1); /* one token array */
    CHECK(!item.embedding_dimensions.has);
}

TEST(moderations_request_and_result) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'m','url':'/v1/moderations','body':{"
                            "'model':'omni-moderation-latest','input':[{'type':'text','text':'t'},"
                            "{'type':'image_url','image_url':{'url':'https://x/i.png'}}]}}",
                            &item), 0);
    CHECK_BTSTR(item.endpoint, "/v1/moderations");
    CHECK_STR(item.operation, "moderation");
    CHECK_INT(item.input_count.value, 2);
    CHECK_INT(item.input_messages[0].part_count, 2);
    CHECK_INT(item.input_messages[0].parts[1].type, PART_URI);
    CHECK_INT(parse_result("{'custom_id':'m','response':{'status_code':200,'body':{"
                           "'id':'modr-1','model':'omni-moderation-latest','results':[{"
                           "'flagged':true,'categories':{'violence':true}}]}}}", &item), 0);
    CHECK_BTSTR(item.endpoint, "/v1/moderations");
    CHECK_STR(item.operation, "moderation");
    CHECK_INT(item.output_message_count, 1);
    CHECK(item.output_messages[0].parts[0].content_is_json);
    CHECK_BTSTR(item.output_messages[0].parts[0].content,
                "{\"flagged\":true,\"categories\":{\"violence\":true}}");
}

TEST(chat_audio_answer_gives_its_transcript_and_data) {
    bt_item item;
    CHECK_INT(parse_result("{'custom_id':'a','response':{'status_code':200,'body':{"
                           "'object':'chat.completion','choices':[{'message':{'role':'assistant',"
                           "'content':null,'audio':{'id':'au','data':'UklG','transcript':'Hi'}},"
                           "'finish_reason':'stop'}]}}}", &item), 0);
    CHECK_INT(item.output_messages[0].part_count, 2);
    CHECK_BTSTR(item.output_messages[0].parts[0].content, "Hi");
    CHECK_INT(item.output_messages[0].parts[1].type, PART_BLOB);
    CHECK_BTSTR(item.output_messages[0].parts[1].modality, "audio");
    CHECK_BTSTR(item.output_messages[0].parts[1].content, "UklG");
}

TEST(batch_object_keeps_its_model_and_usage) {
    batch_info batch;
    CHECK_INT(parse_batch("{'id':'b','object':'batch','status':'completed','model':'gpt-4o-mini',"
                          "'usage':{'input_tokens':95,'output_tokens':62,'input_tokens_details':"
                          "{'cached_tokens':5},'output_tokens_details':{'reasoning_tokens':7}}}",
                          &batch), 0);
    CHECK_BTSTR(batch.model, "gpt-4o-mini");
    CHECK_INT(batch.usage_input_tokens.value, 95);
    CHECK_INT(batch.usage_output_tokens.value, 62);
    CHECK_INT(batch.usage_cache_read_tokens.value, 5);
    CHECK_INT(batch.usage_reasoning_tokens.value, 7);
    CHECK_INT(parse_batch("{'id':'b','object':'batch','status':'completed','usage':{"
                          "'input_tokens':1.5}}", &batch), -1);
    CHECK_STR(reason, "\"usage.input_tokens\" is not an integer in int64 range: 1.5");
}

TEST(chat_request_keeps_every_parameter_and_message_part) {
    bt_item item;
    CHECK_INT(parse_request(
                  "{'custom_id':'req-1','method':'POST','url':'/v1/chat/completions','body':{"
                  "'model':'gpt-4o-mini','max_completion_tokens':512,'temperature':0.2,"
                  "'top_p':0.95,'seed':42,'frequency_penalty':-0.5,'presence_penalty':1,'n':2,"
                  "'stop':['END','###'],"
                  "'messages':["
                  "{'role':'system','content':'You are terse.'},"
                  "{'role':'developer','content':[{'type':'text','text':'No emoji.'}]},"
                  "{'role':'user','name':'ann','content':["
                  "{'type':'text','text':'What is in these?'},"
                  "{'type':'image_url','image_url':{'url':'data:image/png;base64,iVBORw0KGgo=','detail':'low'}},"
                  "{'type':'image_url','image_url':{'url':'https://example.com/cat.jpg'}},"
                  "{'type':'input_audio','input_audio':{'data':'UklGRg==','format':'wav'}},"
                  "{'type':'file','file':{'file_id':'file-1'}}]},"
                  "{'role':'assistant','content':null,'tool_calls':["
                  "{'id':'call_1','type':'function','function':{'name':'get_weather','arguments':'{\\'city\\':\\'Paris\\'}'}},"
                  "{'id':'call_2','type':'function','function':{'name':'echo','arguments':'not json'}}]},"
                  "{'role':'tool','tool_call_id':'call_1','content':'18C and sunny'}],"
                  "'tools':[{'type':'function','function':{'name':'get_weather','description':'Weather by city',"
                  "'parameters':{'type':'object','properties':{'city':{'type':'string'}}}}}]}}",
                  &item),
              0);
    CHECK_STR(item.provider, "openai");
    CHECK_BTSTR(item.custom_id, "req-1");
    CHECK_BTSTR(item.endpoint, "/v1/chat/completions");
    CHECK_STR(item.operation, "chat");
    CHECK(item.has_request);
    CHECK(!item.has_response);
    CHECK_BTSTR(item.request_model, "gpt-4o-mini");
    CHECK(item.max_tokens.has);
    CHECK_INT(item.max_tokens.value, 512);
    CHECK(item.temperature.has && item.temperature.value == 0.2);
    CHECK(item.top_p.has && item.top_p.value == 0.95);
    CHECK(item.seed.has);
    CHECK_INT(item.seed.value, 42);
    CHECK(item.frequency_penalty.has && item.frequency_penalty.value == -0.5);
    CHECK(item.presence_penalty.has && item.presence_penalty.value == 1.0);
    CHECK(item.choice_count.has);
    CHECK_INT(item.choice_count.value, 2);
    CHECK(!item.top_k.has);
    CHECK_INT(item.stop_sequence_count, 2);
    if (item.stop_sequence_count == 2) {
        CHECK_BTSTR(item.stop_sequences[0], "END");
        CHECK_BTSTR(item.stop_sequences[1], "###");
    }
    CHECK_INT(item.system_instruction_count, 0);

    CHECK_INT(item.input_message_count, 5);
    if (item.input_message_count != 5) return;
    msg *m = item.input_messages;
    CHECK_BTSTR(m[0].role, "system");
    CHECK_INT(m[0].part_count, 1);
    CHECK_INT(m[0].parts[0].type, PART_TEXT);
    CHECK_BTSTR(m[0].parts[0].content, "You are terse.");
    CHECK_BTSTR(m[1].role, "developer");
    CHECK_INT(m[1].part_count, 1);
    CHECK_BTSTR(m[1].parts[0].content, "No emoji.");

    CHECK_BTSTR(m[2].role, "user");
    CHECK_INT(m[2].part_count, 4); /* the file part carries nothing the item holds */
    if (m[2].part_count == 4) {
        msg_part *p = m[2].parts;
        CHECK_INT(p[0].type, PART_TEXT);
        CHECK_BTSTR(p[0].content, "What is in these?");
        CHECK_INT(p[1].type, PART_BLOB);
        CHECK_BTSTR(p[1].modality, "image");
        CHECK_BTSTR(p[1].mime_type, "image/png");
        CHECK_BTSTR(p[1].content, "iVBORw0KGgo=");
        CHECK_BTSTR(p[1].uri, "");
        CHECK_INT(p[2].type, PART_URI);
        CHECK_BTSTR(p[2].modality, "image");
        CHECK_BTSTR(p[2].uri, "https://example.com/cat.jpg");
        CHECK_BTSTR(p[2].mime_type, "");
        CHECK_INT(p[3].type, PART_BLOB);
        CHECK_BTSTR(p[3].modality, "audio");
        CHECK_BTSTR(p[3].mime_type, "audio/wav");
        CHECK_BTSTR(p[3].content, "UklGRg==");
    }

    CHECK_BTSTR(m[3].role, "assistant");
    CHECK_INT(m[3].part_count, 2);
    if (m[3].part_count == 2) {
        msg_part *p = m[3].parts;
        CHECK_INT(p[0].type, PART_TOOL_CALL);
        CHECK_BTSTR(p[0].id, "call_1");
        CHECK_BTSTR(p[0].name, "get_weather");
        CHECK_BTSTR(p[0].arguments, "{\"city\":\"Paris\"}");
        CHECK(p[0].arguments_is_json);
        CHECK_INT(p[1].type, PART_TOOL_CALL);
        CHECK_BTSTR(p[1].id, "call_2");
        CHECK_BTSTR(p[1].arguments, "not json");
        CHECK(!p[1].arguments_is_json);
    }

    CHECK_BTSTR(m[4].role, "tool");
    CHECK_INT(m[4].part_count, 1);
    CHECK_INT(m[4].parts[0].type, PART_TOOL_CALL_RESPONSE);
    CHECK_BTSTR(m[4].parts[0].id, "call_1");
    CHECK_BTSTR(m[4].parts[0].content, "18C and sunny");
    CHECK(!m[4].parts[0].content_is_json);

    CHECK_INT(item.tool_count, 1);
    if (item.tool_count == 1) {
        CHECK_BTSTR(item.tools[0].type, "function");
        CHECK_BTSTR(item.tools[0].name, "get_weather");
        CHECK_BTSTR(item.tools[0].description, "Weather by city");
        CHECK_BTSTR(item.tools[0].parameters,
                    "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}");
    }
    /* request_body is the raw body text, byte for byte */
    const char *body_start = strstr(line_text, "\"body\":") + strlen("\"body\":");
    size_t body_len = strlen(body_start) - 1; /* without the record's closing brace */
    CHECK_INT(item.request_body.len, body_len);
    CHECK(item.request_body.len == body_len &&
          memcmp(item.request_body.ptr, body_start, body_len) == 0);
    CHECK(item.request_body.ptr == body_start); /* borrowed from the line, not copied */
}

TEST(chat_request_with_max_tokens_and_a_single_stop_string) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'a','method':'POST','url':'/v1/chat/completions',"
                            "'body':{'model':'gpt-4o','max_tokens':100,'stop':'\\n\\n',"
                            "'temperature':null,'seed':null,'tools':null,"
                            "'messages':[{'role':'user','content':'Hi'}]}}",
                            &item),
              0);
    CHECK(item.max_tokens.has);
    CHECK_INT(item.max_tokens.value, 100);
    CHECK_INT(item.stop_sequence_count, 1);
    if (item.stop_sequence_count == 1) CHECK_BTSTR(item.stop_sequences[0], "\n\n");
    CHECK(!item.temperature.has);
    CHECK(!item.seed.has);
    CHECK(!item.choice_count.has);
    CHECK_INT(item.tool_count, 0);
    CHECK_INT(item.input_message_count, 1);
}

TEST(a_request_without_url_but_with_messages_is_a_chat_completion) {
    /* The shape of Respan's log_batch_results docs: custom_id and body, no method or url. */
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'request-1','body':{'model':'gpt-4o-mini',"
                            "'messages':[{'role':'user','content':'Hi'}]}}",
                            &item),
              0);
    CHECK_BTSTR(item.endpoint, "/v1/chat/completions");
    CHECK_STR(item.operation, "chat");
    CHECK_INT(item.input_message_count, 1);
    CHECK_INT(parse_request("{'custom_id':'request-2','body':{'model':'gpt-4o-mini',"
                            "'input':'Hi'}}",
                            &item),
              -1);
    CHECK_STR(reason, "missing \"url\"");
}

TEST(non_ascii_text_and_surrogate_pairs_are_decoded_to_utf8) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'caf\\u00e9-1','method':'POST','url':'/v1/chat/completions',"
                            "'body':{'model':'gpt-4o','messages':[{'role':'user',"
                            "'content':'Grüße, 東京 \\ud83d\\ude00 \\u00e9t\\u00e9 \\\\ \\u0027q\\u0027'}]}}",
                            &item),
              0);
    CHECK_BTSTR(item.custom_id, "caf\xc3\xa9-1");
    CHECK_INT(item.input_message_count, 1);
    if (item.input_message_count == 1 && item.input_messages[0].part_count == 1)
        CHECK_BTSTR(item.input_messages[0].parts[0].content,
                    "Gr\xc3\xbc\xc3\x9f" "e, \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80 "
                    "\xc3\xa9t\xc3\xa9 \\ 'q'");
}

TEST(wrong_types_of_optional_fields_are_ignored) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'a','method':'POST','url':'/v1/chat/completions',"
                            "'body':{'model':7,'max_tokens':'100','temperature':'hot','stop':5,"
                            "'n':true,'messages':'hello','tools':{'type':'function'}}}",
                            &item),
              0);
    CHECK_BTSTR(item.request_model, "");
    CHECK(!item.max_tokens.has);
    CHECK(!item.temperature.has);
    CHECK(!item.choice_count.has);
    CHECK_INT(item.stop_sequence_count, 0);
    CHECK_INT(item.input_message_count, 0);
    CHECK_INT(item.tool_count, 0);
    CHECK(item.has_request);
}

TEST(responses_request_maps_input_items_instructions_and_tools) {
    bt_item item;
    CHECK_INT(parse_request(
                  "{'custom_id':'r-1','method':'POST','url':'/v1/responses','body':{"
                  "'model':'o4-mini','max_output_tokens':2048,'instructions':'Answer in French.',"
                  "'input':["
                  "{'role':'user','content':[{'type':'input_text','text':'Weather?'},"
                  "{'type':'input_image','image_url':'data:image/jpeg;base64,/9j/4AAQ'}]},"
                  "{'type':'reasoning','id':'rs_1','summary':[{'type':'summary_text','text':'Need a tool.'}]},"
                  "{'type':'function_call','call_id':'call_9','name':'get_weather','arguments':'{\\'city\\':\\'Lyon\\'}'},"
                  "{'type':'function_call_output','call_id':'call_9','output':'rain'},"
                  "{'type':'message','role':'assistant','content':[{'type':'output_text','text':'Il pleut.'}]},"
                  "{'type':'item_reference','id':'msg_0'}],"
                  "'tools':[{'type':'function','name':'get_weather','description':'Weather',"
                  "'parameters':{'type':'object'}},{'type':'web_search_preview'}]}}",
                  &item),
              0);
    CHECK_BTSTR(item.endpoint, "/v1/responses");
    CHECK_STR(item.operation, "chat");
    CHECK_BTSTR(item.request_model, "o4-mini");
    CHECK(item.max_tokens.has);
    CHECK_INT(item.max_tokens.value, 2048);
    CHECK_INT(item.system_instruction_count, 1);
    if (item.system_instruction_count == 1) {
        CHECK_INT(item.system_instructions[0].type, PART_TEXT);
        CHECK_BTSTR(item.system_instructions[0].content, "Answer in French.");
    }
    CHECK_INT(item.input_message_count, 5); /* the item_reference carries no message */
    if (item.input_message_count != 5) return;
    msg *m = item.input_messages;
    CHECK_BTSTR(m[0].role, "user");
    CHECK_INT(m[0].part_count, 2);
    if (m[0].part_count == 2) {
        CHECK_BTSTR(m[0].parts[0].content, "Weather?");
        CHECK_INT(m[0].parts[1].type, PART_BLOB);
        CHECK_BTSTR(m[0].parts[1].mime_type, "image/jpeg");
        CHECK_BTSTR(m[0].parts[1].content, "/9j/4AAQ");
    }
    CHECK_BTSTR(m[1].role, "assistant");
    CHECK_INT(m[1].part_count, 1);
    CHECK_INT(m[1].parts[0].type, PART_REASONING);
    CHECK_BTSTR(m[1].parts[0].content, "Need a tool.");
    CHECK_BTSTR(m[2].role, "assistant");
    CHECK_INT(m[2].parts[0].type, PART_TOOL_CALL);
    CHECK_BTSTR(m[2].parts[0].id, "call_9");
    CHECK_BTSTR(m[2].parts[0].name, "get_weather");
    CHECK_BTSTR(m[2].parts[0].arguments, "{\"city\":\"Lyon\"}");
    CHECK(m[2].parts[0].arguments_is_json);
    CHECK_BTSTR(m[3].role, "tool");
    CHECK_INT(m[3].parts[0].type, PART_TOOL_CALL_RESPONSE);
    CHECK_BTSTR(m[3].parts[0].id, "call_9");
    CHECK_BTSTR(m[3].parts[0].content, "rain");
    CHECK_BTSTR(m[4].role, "assistant");
    CHECK_BTSTR(m[4].parts[0].content, "Il pleut.");

    CHECK_INT(item.tool_count, 2);
    if (item.tool_count == 2) {
        CHECK_BTSTR(item.tools[0].type, "function");
        CHECK_BTSTR(item.tools[0].name, "get_weather");
        CHECK_BTSTR(item.tools[0].description, "Weather");
        CHECK_BTSTR(item.tools[0].parameters, "{\"type\":\"object\"}");
        CHECK_BTSTR(item.tools[1].type, "web_search_preview");
        CHECK_BTSTR(item.tools[1].name, "");
        CHECK_BTSTR(item.tools[1].parameters, "");
    }
}

TEST(responses_request_with_string_input_is_one_user_message) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'r-2','method':'POST','url':'/v1/responses',"
                            "'body':{'model':'gpt-4.1','input':'Tell me a joke.'}}",
                            &item),
              0);
    CHECK_INT(item.system_instruction_count, 0);
    CHECK_INT(item.input_message_count, 1);
    if (item.input_message_count == 1) {
        CHECK_BTSTR(item.input_messages[0].role, "user");
        CHECK_INT(item.input_messages[0].part_count, 1);
        CHECK_BTSTR(item.input_messages[0].parts[0].content, "Tell me a joke.");
    }
}

TEST(completions_request_prompts_become_user_messages) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'c-1','method':'POST','url':'/v1/completions',"
                            "'body':{'model':'gpt-3.5-turbo-instruct','max_tokens':16,"
                            "'prompt':['Say this','Say that',[1,2,3]]}}",
                            &item),
              0);
    CHECK_BTSTR(item.endpoint, "/v1/completions");
    CHECK_STR(item.operation, "text_completion");
    CHECK_INT(item.max_tokens.value, 16);
    CHECK_INT(item.input_message_count, 2);
    if (item.input_message_count == 2) {
        CHECK_BTSTR(item.input_messages[0].role, "user");
        CHECK_BTSTR(item.input_messages[0].parts[0].content, "Say this");
        CHECK_BTSTR(item.input_messages[1].parts[0].content, "Say that");
    }
    CHECK_INT(parse_request("{'custom_id':'c-2','method':'POST','url':'/v1/completions',"
                            "'body':{'model':'davinci-002','prompt':'Once upon'}}",
                            &item),
              0);
    CHECK_INT(item.input_message_count, 1);
    if (item.input_message_count == 1)
        CHECK_BTSTR(item.input_messages[0].parts[0].content, "Once upon");
}

TEST(embeddings_request_has_no_messages) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'e-1','method':'POST','url':'/v1/embeddings',"
                            "'body':{'model':'text-embedding-3-small','input':['a','b'],"
                            "'encoding_format':'float'}}",
                            &item),
              0);
    CHECK_BTSTR(item.endpoint, "/v1/embeddings");
    CHECK_STR(item.operation, "embeddings");
    CHECK_BTSTR(item.request_model, "text-embedding-3-small");
    CHECK_INT(item.input_message_count, 0);
    CHECK(item.input_messages == NULL);
    CHECK(!item.max_tokens.has);
    CHECK_BTSTR(item.request_body,
                "{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",\"b\"],"
                "\"encoding_format\":\"float\"}");
}

TEST(azure_style_urls_without_v1_are_accepted) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'z','method':'POST','url':'/chat/completions',"
                            "'body':{'model':'gpt-4o-batch','messages':[]}}",
                            &item),
              0);
    CHECK_BTSTR(item.endpoint, "/chat/completions");
    CHECK_STR(item.operation, "chat");
    CHECK_INT(parse_request("{'custom_id':'z','method':'POST','url':'/v1/embeddings?api-version=1',"
                            "'body':{'model':'m'}}",
                            &item),
              0);
    CHECK_STR(item.operation, "embeddings");
}

/* Assert that parse_request rejects fixture with exactly expected_reason. */
static void check_request_rejected(const char *fixture, const char *expected_reason) {
    bt_item item;
    CHECK_INT(parse_request(fixture, &item), -1);
    CHECK_STR(reason, expected_reason);
}

TEST(malformed_requests_are_rejected_with_the_field_named) {
    check_request_rejected("[1,2]", "record is not a JSON object");
    check_request_rejected("{'method':'POST','url':'/v1/chat/completions','body':{}}",
                           "missing \"custom_id\"");
    check_request_rejected("{'custom_id':null,'url':'/v1/chat/completions','body':{}}",
                           "missing \"custom_id\"");
    check_request_rejected("{'custom_id':17,'url':'/v1/chat/completions','body':{}}",
                           "\"custom_id\" is not a string");
    check_request_rejected("{'custom_id':'','url':'/v1/chat/completions','body':{}}",
                           "\"custom_id\" is empty");
    check_request_rejected("{'custom_id':'a','body':{}}", "missing \"url\"");
    check_request_rejected("{'custom_id':'a','url':['/v1/responses'],'body':{}}",
                           "\"url\" is not a string");
    check_request_rejected("{'custom_id':'a','url':'/v1/images/generations','body':{}}",
                           "unsupported endpoint \"/v1/images/generations\"");
    check_request_rejected("{'custom_id':'a','url':'/v1/chat/completions/extra','body':{}}",
                           "unsupported endpoint \"/v1/chat/completions/extra\"");
    check_request_rejected("{'custom_id':'a','url':'/v1/chat/completions'}",
                           "missing \"body\"");
    check_request_rejected("{'custom_id':'a','url':'/v1/chat/completions','body':'{}'}",
                           "\"body\" is not an object");
}

TEST(integers_are_strict_never_clamped) {
    check_request_rejected("{'custom_id':'a','url':'/v1/chat/completions','body':{'max_tokens':1e3}}",
                           "\"max_tokens\" is not an integer in int64 range: 1e3");
    check_request_rejected(
        "{'custom_id':'a','url':'/v1/chat/completions','body':{'max_tokens':99999999999999999999}}",
        "\"max_tokens\" is not an integer in int64 range: 99999999999999999999");
    check_request_rejected(
        "{'custom_id':'a','url':'/v1/chat/completions','body':{'max_completion_tokens':12.5}}",
        "\"max_completion_tokens\" is not an integer in int64 range: 12.5");
    check_request_rejected("{'custom_id':'a','url':'/v1/responses','body':{'max_output_tokens':-1.0}}",
                           "\"max_output_tokens\" is not an integer in int64 range: -1.0");
    check_request_rejected("{'custom_id':'a','url':'/v1/chat/completions','body':{'seed':1E2}}",
                           "\"seed\" is not an integer in int64 range: 1E2");
    check_request_rejected("{'custom_id':'a','url':'/v1/chat/completions','body':{'n':9223372036854775808}}",
                           "\"n\" is not an integer in int64 range: 9223372036854775808");
    check_request_rejected(
        "{'custom_id':'a','url':'/v1/chat/completions','body':{'max_tokens':"
        "123456789012345678901234567890123456789012345678901234567890}}",
        "\"max_tokens\" is not an integer in int64 range: "
        "1234567890123456789012345678901234567890...");
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'a','url':'/v1/chat/completions',"
                            "'body':{'seed':-9223372036854775808,'max_tokens':9223372036854775807}}",
                            &item),
              0);
    CHECK(item.seed.value == INT64_MIN);
    CHECK(item.max_tokens.value == INT64_MAX);
}

TEST(request_custom_id_reads_only_the_key) {
    bt_str custom_id = STR_NULL;
    CHECK_INT(load("{'custom_id':'req-\\u00e9','method':'POST','url':'/nowhere','body':7}"), 0);
    CHECK_INT(provider_openai.request_custom_id(&doc, 0, &arena, &custom_id, reason), 0);
    CHECK_BTSTR(custom_id, "req-\xc3\xa9");
    CHECK_INT(load("{'url':'/v1/responses'}"), 0);
    CHECK_INT(provider_openai.request_custom_id(&doc, 0, &arena, &custom_id, reason), -1);
    CHECK_STR(reason, "missing \"custom_id\"");
    CHECK_INT(load("'just a string'"), 0);
    CHECK_INT(provider_openai.request_custom_id(&doc, 0, &arena, &custom_id, reason), -1);
    CHECK_STR(reason, "record is not a JSON object");
}

/* ---- results ---- */

TEST(chat_success_with_tool_calls_cached_and_reasoning_tokens) {
    bt_item item;
    CHECK_INT(parse_result(
                  "{'id':'batch_req_123','custom_id':'req-1','response':{'status_code':200,"
                  "'request_id':'req_abc','body':{'id':'chatcmpl-AAA','object':'chat.completion',"
                  "'created':1711652795,'model':'gpt-4o-mini-2024-07-18','choices':[{'index':0,"
                  "'message':{'role':'assistant','content':null,'refusal':null,'tool_calls':["
                  "{'id':'call_a','type':'function','function':{'name':'get_weather',"
                  "'arguments':'{\\'city\\': \\'Paris\\'}'}},"
                  "{'id':'call_b','type':'function','function':{'name':'get_time','arguments':'{}'}}]},"
                  "'logprobs':null,'finish_reason':'tool_calls'}],"
                  "'usage':{'prompt_tokens':1200,'completion_tokens':80,'total_tokens':1280,"
                  "'prompt_tokens_details':{'cached_tokens':1024,'audio_tokens':0},"
                  "'completion_tokens_details':{'reasoning_tokens':64,'audio_tokens':0}},"
                  "'system_fingerprint':'fp_1'}},'error':null}",
                  &item),
              0);
    CHECK_STR(item.provider, "openai");
    CHECK_BTSTR(item.custom_id, "req-1");
    CHECK(item.has_response);
    CHECK(!item.has_request);
    CHECK_INT(item.result, RESULT_SUCCEEDED);
    CHECK_BTSTR(item.response_id, "chatcmpl-AAA");
    CHECK_BTSTR(item.response_model, "gpt-4o-mini-2024-07-18");
    CHECK_BTSTR(item.endpoint, "/v1/chat/completions"); /* learned from body.object */
    CHECK_STR(item.operation, "chat");
    CHECK(item.end_time_ns == INT64_C(1711652795000000000));
    CHECK(item.input_tokens.has);
    CHECK_INT(item.input_tokens.value, 1200);
    CHECK_INT(item.output_tokens.value, 80);
    CHECK(item.cache_read_tokens.has);
    CHECK_INT(item.cache_read_tokens.value, 1024);
    CHECK(item.reasoning_tokens.has);
    CHECK_INT(item.reasoning_tokens.value, 64);
    CHECK(!item.cache_creation_tokens.has);
    CHECK_BTSTR(item.error_type, "");
    CHECK_BTSTR(item.error_message, "");
    CHECK_INT(item.finish_reason_count, 1);
    if (item.finish_reason_count == 1) CHECK_BTSTR(item.finish_reasons[0], "tool_calls");
    CHECK_INT(item.output_message_count, 1);
    if (item.output_message_count != 1) return;
    msg *m = &item.output_messages[0];
    CHECK_BTSTR(m->role, "assistant");
    CHECK_BTSTR(m->finish_reason, "tool_calls");
    CHECK_INT(m->part_count, 2);
    if (m->part_count == 2) {
        CHECK_INT(m->parts[0].type, PART_TOOL_CALL);
        CHECK_BTSTR(m->parts[0].id, "call_a");
        CHECK_BTSTR(m->parts[0].name, "get_weather");
        CHECK_BTSTR(m->parts[0].arguments, "{\"city\": \"Paris\"}");
        CHECK(m->parts[0].arguments_is_json);
        CHECK_BTSTR(m->parts[1].name, "get_time");
        CHECK_BTSTR(m->parts[1].arguments, "{}");
        CHECK(m->parts[1].arguments_is_json);
    }
    const char *body_start = strstr(line_text, "{\"id\":\"chatcmpl-AAA\"");
    const char *body_end = strstr(line_text, "},\"error\":null}");
    CHECK(body_start && body_end);
    if (body_start && body_end)
        CHECK_INT(item.response_body.len, (size_t)(body_end - body_start));
}

TEST(chat_refusal_is_a_text_part) {
    bt_item item;
    CHECK_INT(parse_result("{'id':'batch_req_2','custom_id':'req-2','response':{'status_code':200,"
                           "'request_id':'r','body':{'id':'chatcmpl-B','object':'chat.completion',"
                           "'created':1700000000,'model':'gpt-4o','choices':[{'index':0,'message':{"
                           "'role':'assistant','content':null,'refusal':'I can\\u2019t help with that.'},"
                           "'finish_reason':'stop'}],'usage':{'prompt_tokens':20,'completion_tokens':9}}},"
                           "'error':null}",
                           &item),
              0);
    CHECK_INT(item.output_message_count, 1);
    if (item.output_message_count == 1 && item.output_messages[0].part_count == 1) {
        CHECK_INT(item.output_messages[0].parts[0].type, PART_TEXT);
        CHECK_BTSTR(item.output_messages[0].parts[0].content,
                    "I can\xe2\x80\x99t help with that.");
    }
    CHECK_INT(item.output_messages[0].part_count, 1);
    CHECK(!item.cache_read_tokens.has);
    CHECK(!item.reasoning_tokens.has);
}

TEST(several_choices_and_reasoning_content) {
    bt_item item;
    CHECK_INT(parse_result("{'id':'b','custom_id':'n2','response':{'status_code':200,'body':{"
                           "'id':'chatcmpl-C','object':'chat.completion','created':1,'model':'deepseek-r',"
                           "'choices':[{'index':0,'message':{'role':'assistant','content':'42',"
                           "'reasoning_content':'Think: 6*7.'},'finish_reason':'stop'},"
                           "{'index':1,'message':{'content':'forty-two'},'finish_reason':null},"
                           "{'index':2,'message':{'role':'assistant','content':'4'},'finish_reason':'length'}]}},"
                           "'error':null}",
                           &item),
              0);
    CHECK(item.end_time_ns == INT64_C(1000000000));
    CHECK_INT(item.output_message_count, 3);
    CHECK_INT(item.finish_reason_count, 2);
    if (item.finish_reason_count == 2) {
        CHECK_BTSTR(item.finish_reasons[0], "stop");
        CHECK_BTSTR(item.finish_reasons[1], "length");
    }
    if (item.output_message_count != 3) return;
    msg *m = item.output_messages;
    CHECK_INT(m[0].part_count, 2);
    if (m[0].part_count == 2) {
        CHECK_INT(m[0].parts[0].type, PART_REASONING);
        CHECK_BTSTR(m[0].parts[0].content, "Think: 6*7.");
        CHECK_INT(m[0].parts[1].type, PART_TEXT);
        CHECK_BTSTR(m[0].parts[1].content, "42");
    }
    CHECK_BTSTR(m[1].role, "assistant"); /* no role given: assistant */
    CHECK_BTSTR(m[1].finish_reason, "");
    CHECK_BTSTR(m[1].parts[0].content, "forty-two");
    CHECK_BTSTR(m[2].finish_reason, "length");
    CHECK(!item.input_tokens.has);
}

TEST(http_error_with_a_code_is_errored_with_that_code) {
    bt_item item;
    CHECK_INT(parse_result("{'id':'batch_req_3','custom_id':'req-3','response':{'status_code':400,"
                           "'request_id':'req_x','body':{'error':{'message':'This model\\u0027s maximum "
                           "context length is 128000 tokens.','type':'invalid_request_error',"
                           "'param':'messages','code':'context_length_exceeded'}}},'error':null}",
                           &item),
              0);
    CHECK(item.has_response);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_BTSTR(item.error_type, "context_length_exceeded");
    CHECK_BTSTR(item.error_message, "This model's maximum context length is 128000 tokens.");
    CHECK_BTSTR(item.response_id, "");
    CHECK_INT(item.output_message_count, 0);
    CHECK(item.end_time_ns == 0);
    CHECK_BTSTR(item.response_body,
                "{\"error\":{\"message\":\"This model\\u0027s maximum context length is 128000 "
                "tokens.\",\"type\":\"invalid_request_error\",\"param\":\"messages\","
                "\"code\":\"context_length_exceeded\"}}");
}

TEST(http_error_with_code_null_uses_the_type_then_the_status) {
    bt_item item;
    CHECK_INT(parse_result("{'id':'b','custom_id':'req-4','response':{'status_code':429,"
                           "'request_id':'r','body':{'error':{'message':'Rate limit reached',"
                           "'type':'requests','param':null,'code':null}}},'error':null}",
                           &item),
              0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_BTSTR(item.error_type, "requests");
    CHECK_BTSTR(item.error_message, "Rate limit reached");
    CHECK_INT(parse_result("{'id':'b','custom_id':'req-5','response':{'status_code':500,"
                           "'request_id':'r','body':{'error':{'message':'boom','code':null}}},"
                           "'error':null}",
                           &item),
              0);
    CHECK_BTSTR(item.error_type, "http_500");
    CHECK_BTSTR(item.error_message, "boom");
    CHECK_INT(parse_result("{'id':'b','custom_id':'req-6','response':{'status_code':503,"
                           "'request_id':'r','body':null},'error':null}",
                           &item),
              0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_BTSTR(item.error_type, "http_503");
    CHECK_BTSTR(item.error_message, "");
    CHECK_BTSTR(item.response_body, "");
}

TEST(line_errors_expired_cancelled_and_other) {
    bt_item item;
    CHECK_INT(parse_result("{'id':'batch_req_7','custom_id':'req-7','response':null,'error':{"
                           "'code':'batch_expired','message':'This request could not be executed "
                           "before the completion window expired.'}}",
                           &item),
              0);
    CHECK(item.has_response);
    CHECK_INT(item.result, RESULT_EXPIRED);
    CHECK_BTSTR(item.error_type, "batch_expired");
    CHECK_BTSTR(item.error_message,
                "This request could not be executed before the completion window expired.");
    CHECK_INT(parse_result("{'id':'batch_req_8','custom_id':'req-8','response':null,'error':{"
                           "'code':'batch_cancelled','message':'This request was cancelled.'}}",
                           &item),
              0);
    CHECK_INT(item.result, RESULT_CANCELED);
    CHECK_BTSTR(item.error_type, "batch_cancelled");
    CHECK_BTSTR(item.error_message, "This request was cancelled.");
    CHECK_INT(parse_result("{'id':'batch_req_9','custom_id':'req-9','error':{"
                           "'code':'request_timeout','message':'The model timed out.'}}",
                           &item),
              0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_BTSTR(item.error_type, "request_timeout");
    CHECK_BTSTR(item.endpoint, "");
}

TEST(embeddings_result_has_usage_and_no_output_messages) {
    bt_item item;
    CHECK_INT(parse_result("{'id':'b','custom_id':'e-1','response':{'status_code':200,'request_id':'r',"
                           "'body':{'object':'list','data':[{'object':'embedding','index':0,"
                           "'embedding':[0.0023,-0.0093]}],'model':'text-embedding-3-small',"
                           "'usage':{'prompt_tokens':8,'total_tokens':8}}},'error':null}",
                           &item),
              0);
    CHECK_INT(item.result, RESULT_SUCCEEDED);
    CHECK_BTSTR(item.endpoint, "/v1/embeddings");
    CHECK_STR(item.operation, "embeddings");
    CHECK_BTSTR(item.response_model, "text-embedding-3-small");
    CHECK_BTSTR(item.response_id, "");
    CHECK_INT(item.input_tokens.value, 8);
    CHECK(!item.output_tokens.has);
    CHECK_INT(item.output_message_count, 0);
    CHECK_INT(item.finish_reason_count, 0);
    CHECK(item.end_time_ns == 0);
}

TEST(responses_result_with_reasoning_function_call_and_text) {
    bt_item item;
    CHECK_INT(parse_result(
                  "{'id':'batch_req_r','custom_id':'r-1','response':{'status_code':200,'request_id':'q',"
                  "'body':{'id':'resp_67cc','object':'response','created_at':1741476542,"
                  "'status':'incomplete','incomplete_details':{'reason':'max_output_tokens'},"
                  "'model':'o4-mini-2025-04-16','output':["
                  "{'type':'reasoning','id':'rs_1','summary':[{'type':'summary_text','text':'Step one.'},"
                  "{'type':'summary_text','text':'Step two.'}]},"
                  "{'type':'function_call','id':'fc_1','call_id':'call_x','name':'lookup',"
                  "'arguments':'{\\'q\\':1}','status':'completed'},"
                  "{'type':'web_search_call','id':'ws_1','status':'completed'},"
                  "{'type':'message','id':'msg_1','role':'assistant','status':'completed','content':["
                  "{'type':'output_text','text':'Partial answer','annotations':[]},"
                  "{'type':'refusal','refusal':'No more.'}]}],"
                  "'usage':{'input_tokens':36,'input_tokens_details':{'cached_tokens':12},"
                  "'output_tokens':87,'output_tokens_details':{'reasoning_tokens':50},'total_tokens':123}}},"
                  "'error':null}",
                  &item),
              0);
    CHECK_INT(item.result, RESULT_SUCCEEDED);
    CHECK_BTSTR(item.endpoint, "/v1/responses");
    CHECK_STR(item.operation, "chat");
    CHECK_BTSTR(item.response_id, "resp_67cc");
    CHECK_BTSTR(item.response_model, "o4-mini-2025-04-16");
    CHECK(item.end_time_ns == INT64_C(1741476542000000000));
    CHECK_INT(item.input_tokens.value, 36);
    CHECK_INT(item.output_tokens.value, 87);
    CHECK_INT(item.cache_read_tokens.value, 12);
    CHECK_INT(item.reasoning_tokens.value, 50);
    /* incomplete for max_output_tokens: Chat's "length", not the response status */
    CHECK_INT(item.finish_reason_count, 1);
    if (item.finish_reason_count == 1) CHECK_BTSTR(item.finish_reasons[0], "length");
    CHECK_INT(item.output_message_count, 1);
    if (item.output_message_count != 1) return;
    msg *m = &item.output_messages[0];
    CHECK_BTSTR(m->role, "assistant");
    CHECK_BTSTR(m->finish_reason, "length");
    CHECK_INT(m->part_count, 5);
    if (m->part_count != 5) return;
    CHECK_INT(m->parts[0].type, PART_REASONING);
    CHECK_BTSTR(m->parts[0].content, "Step one.");
    CHECK_INT(m->parts[1].type, PART_REASONING);
    CHECK_BTSTR(m->parts[1].content, "Step two.");
    CHECK_INT(m->parts[2].type, PART_TOOL_CALL);
    CHECK_BTSTR(m->parts[2].id, "call_x");
    CHECK_BTSTR(m->parts[2].name, "lookup");
    CHECK_BTSTR(m->parts[2].arguments, "{\"q\":1}");
    CHECK(m->parts[2].arguments_is_json);
    CHECK_INT(m->parts[3].type, PART_TEXT);
    CHECK_BTSTR(m->parts[3].content, "Partial answer");
    CHECK_INT(m->parts[4].type, PART_TEXT);
    CHECK_BTSTR(m->parts[4].content, "No more.");
}

TEST(responses_result_with_status_failed_is_errored) {
    bt_item item;
    CHECK_INT(parse_result("{'id':'b','custom_id':'r-f','response':{'status_code':200,'body':{"
                           "'id':'resp_f','object':'response','created_at':10,'status':'failed',"
                           "'error':{'code':'server_error','message':'The model failed.'},"
                           "'model':'gpt-4.1','output':[]}},'error':null}",
                           &item),
              0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_BTSTR(item.error_type, "server_error");
    CHECK_BTSTR(item.error_message, "The model failed.");
    CHECK_BTSTR(item.response_id, "resp_f");
    CHECK_INT(item.output_message_count, 1);
    CHECK_INT(item.output_messages[0].part_count, 0);
    CHECK_INT(item.finish_reason_count, 0); /* a failed response did not finish: error.type says */
}

/* Responses finish reasons come from the output items, as Chat would name them. */
TEST(responses_finish_reasons_come_from_the_output_items) {
    static const struct {
        const char *status_and_output;
        const char *finish_reason; /* NULL: none */
    } cases[] = {
        {"'status':'completed','output':[{'type':'message','status':'completed','role':"
         "'assistant','content':[{'type':'output_text','text':'Hi'}]}]",
         "stop"},
        {"'status':'completed','output':[{'type':'reasoning','summary':[]},{'type':"
         "'function_call','status':'completed','call_id':'c','name':'f','arguments':'{}'}]",
         "tool_calls"},
        {"'status':'incomplete','incomplete_details':{'reason':'content_filter'},'output':[]",
         "content_filter"},
        {"'status':'completed','output':[{'type':'reasoning','summary':[]}]", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char fixture[1024];
        snprintf(fixture, sizeof fixture,
                 "{'id':'b','custom_id':'r','response':{'status_code':200,'body':{'id':'resp_1',"
                 "'object':'response','created_at':10,%s,'model':'gpt-4.1'}},'error':null}",
                 cases[i].status_and_output);
        bt_item item;
        CHECK_INT(parse_result(fixture, &item), 0);
        CHECK_INT(item.finish_reason_count, cases[i].finish_reason ? 1 : 0);
        if (cases[i].finish_reason && item.finish_reason_count == 1)
            CHECK_BTSTR(item.finish_reasons[0], cases[i].finish_reason);
    }
}

/* What a user looks a line up by: its own id, the request id, the HTTP status of an
 * errored line, the service tier and fingerprint of a response. */
TEST(result_lines_keep_their_ids_status_and_service_tier) {
    bt_item item;
    CHECK_INT(parse_result("{'id':'batch_req_1','custom_id':'a','response':{'status_code':200,"
                           "'request_id':'req_ok','body':{'id':'chatcmpl-1','object':"
                           "'chat.completion','created':10,'model':'gpt-4o','service_tier':"
                           "'default','system_fingerprint':'fp_44','choices':[]}},'error':null}",
                           &item),
              0);
    CHECK_BTSTR(item.line_id, "batch_req_1");
    CHECK_BTSTR(item.request_id, "req_ok");
    CHECK_BTSTR(item.service_tier, "default");
    CHECK_BTSTR(item.system_fingerprint, "fp_44");
    CHECK(item.http_status == 0); /* only an errored line's status is kept */
    CHECK_INT(parse_result("{'id':'batch_req_2','custom_id':'b','response':{'status_code':429,"
                           "'request_id':'req_429','body':{'error':{'message':'slow down',"
                           "'type':'rate_limit_error','code':null}}},'error':null}",
                           &item),
              0);
    CHECK_BTSTR(item.line_id, "batch_req_2");
    CHECK_BTSTR(item.request_id, "req_429");
    CHECK(item.http_status == 429);
}

/* tool_choice is kept as the request gave it: a string, or the object's JSON. */
TEST(request_tool_choice_is_kept) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'a','method':'POST','url':'/v1/chat/completions',"
                            "'body':{'model':'gpt-4o','messages':[],'tool_choice':'required'}}",
                            &item),
              0);
    CHECK_BTSTR(item.tool_choice, "required");
    CHECK(!item.tool_choice_is_json);
    CHECK_INT(parse_request("{'custom_id':'a','method':'POST','url':'/v1/chat/completions',"
                            "'body':{'model':'gpt-4o','messages':[],'tool_choice':{'type':"
                            "'function','function':{'name':'f'}}}}",
                            &item),
              0);
    CHECK_BTSTR(item.tool_choice, "{\"type\":\"function\",\"function\":{\"name\":\"f\"}}");
    CHECK(item.tool_choice_is_json);
}

TEST(completions_result_text_becomes_an_output_message) {
    bt_item item;
    CHECK_INT(parse_result("{'id':'b','custom_id':'c-1','response':{'status_code':200,'body':{"
                           "'id':'cmpl-9','object':'text_completion','created':1589478378,"
                           "'model':'gpt-3.5-turbo-instruct','choices':[{'text':'\\n\\nThis is a test',"
                           "'index':0,'logprobs':null,'finish_reason':'length'}],"
                           "'usage':{'prompt_tokens':5,'completion_tokens':7,'total_tokens':12}}},"
                           "'error':null}",
                           &item),
              0);
    CHECK_BTSTR(item.endpoint, "/v1/completions");
    CHECK_STR(item.operation, "text_completion");
    CHECK_INT(item.output_message_count, 1);
    if (item.output_message_count == 1) {
        CHECK_BTSTR(item.output_messages[0].role, "assistant");
        CHECK_INT(item.output_messages[0].part_count, 1);
        CHECK_BTSTR(item.output_messages[0].parts[0].content, "\n\nThis is a test");
        CHECK_BTSTR(item.output_messages[0].finish_reason, "length");
    }
    CHECK_INT(item.output_tokens.value, 7);
}

TEST(request_then_result_fill_one_item_and_keep_the_request_endpoint) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'az','method':'POST','url':'/chat/completions',"
                            "'body':{'model':'gpt-4o','messages':[{'role':'user','content':'Hi'}]}}",
                            &item),
              0);
    /* The result line gets its own text and document; the arena keeps the request side. */
    static const char result_line[] =
        "{\"id\":\"b\",\"custom_id\":\"az\",\"response\":{\"status_code\":200,\"body\":{"
        "\"id\":\"chatcmpl-Z\",\"object\":\"chat.completion\",\"created\":5,\"model\":\"gpt-4o\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},"
        "\"finish_reason\":\"stop\"}]}},\"error\":null}";
    json_doc result_doc = JSON_DOC_INIT;
    CHECK_INT(json_parse(&result_doc, result_line, strlen(result_line), reason), 0);
    CHECK_INT(provider_openai.parse_result(&result_doc, 0, &arena, &item, reason), 0);
    json_doc_free(&result_doc);
    CHECK_BTSTR(item.endpoint, "/chat/completions");
    CHECK_STR(item.operation, "chat");
    CHECK(item.has_request);
    CHECK(item.has_response);
    CHECK_BTSTR(item.request_model, "gpt-4o");
    CHECK_INT(item.input_message_count, 1);
    CHECK_BTSTR(item.response_id, "chatcmpl-Z");
    CHECK(item.end_time_ns == INT64_C(5000000000));
    CHECK_INT(item.output_message_count, 1);
}

/* Assert that parse_result rejects fixture with exactly expected_reason. */
static void check_result_rejected(const char *fixture, const char *expected_reason) {
    bt_item item;
    CHECK_INT(parse_result(fixture, &item), -1);
    CHECK_STR(reason, expected_reason);
}

TEST(malformed_results_are_rejected_with_the_field_named) {
    check_result_rejected("7", "record is not a JSON object");
    check_result_rejected("{'id':'b','response':{'status_code':200,'body':{}},'error':null}",
                          "missing \"custom_id\"");
    check_result_rejected("{'id':'b','custom_id':['x'],'response':null,'error':{'code':'x'}}",
                          "\"custom_id\" is not a string");
    check_result_rejected("{'id':'b','custom_id':'a','response':null,'error':null}",
                          "neither \"response\" nor \"error\" is set");
    check_result_rejected("{'id':'b','custom_id':'a'}", "neither \"response\" nor \"error\" is set");
    check_result_rejected("{'id':'b','custom_id':'a','response':'ok','error':null}",
                          "\"response\" is not an object");
    check_result_rejected("{'id':'b','custom_id':'a','response':null,'error':'expired'}",
                          "\"error\" is not an object");
    check_result_rejected("{'id':'b','custom_id':'a','response':{'body':{}},'error':null}",
                          "missing \"response.status_code\"");
    check_result_rejected("{'id':'b','custom_id':'a','response':{'status_code':'200','body':{}}}",
                          "\"response.status_code\" is not an integer");
    check_result_rejected("{'id':'b','custom_id':'a','response':{'status_code':200.5,'body':{}}}",
                          "\"response.status_code\" is not an integer");
    check_result_rejected("{'id':'b','custom_id':'a','response':{'status_code':200}}",
                          "missing \"response.body\"");
    check_result_rejected("{'id':'b','custom_id':'a','response':{'status_code':200,'body':'{}'}}",
                          "\"response.body\" is not an object");
    check_result_rejected("{'id':'b','custom_id':'a','response':{'status_code':200,'body':{"
                          "'usage':{'prompt_tokens':1.5}}}}",
                          "\"usage.prompt_tokens\" is not an integer in int64 range: 1.5");
    check_result_rejected("{'id':'b','custom_id':'a','response':{'status_code':200,'body':{"
                          "'usage':{'completion_tokens_details':{'reasoning_tokens':1e2}}}}}",
                          "\"usage.completion_tokens_details.reasoning_tokens\" is not an integer "
                          "in int64 range: 1e2");
    check_result_rejected("{'id':'b','custom_id':'a','response':{'status_code':200,'body':{"
                          "'created':1.7e9}}}",
                          "\"response.body.created\" is not an integer in int64 range: 1.7e9");
    check_result_rejected("{'id':'b','custom_id':'a','response':{'status_code':200,'body':{"
                          "'created':-5}}}",
                          "\"response.body.created\" is out of range: -5");
}

/* ---- batch objects ---- */

/* A batch object with the given status and every timestamp set to a distinct value. */
static int parse_batch_with_status(const char *status, batch_info *batch) {
    char fixture[1024];
    snprintf(fixture, sizeof fixture,
             "{'id':'batch_abc123','object':'batch','endpoint':'/v1/chat/completions',"
             "'errors':null,'input_file_id':'file-in','completion_window':'24h','status':'%s',"
             "'output_file_id':'file-out','error_file_id':null,'created_at':1711471533,"
             "'in_progress_at':1711471538,'expires_at':1711557933,'finalizing_at':1711493133,"
             "'completed_at':1711493163,'failed_at':1711493164,'expired_at':1711493165,"
             "'cancelling_at':1711493166,'cancelled_at':1711493167,"
             "'request_counts':{'total':100,'completed':95,'failed':5},"
             "'metadata':{'customer_id':'u-1','batchtrace_ctx':'btx1.abc'}}",
             status);
    return parse_batch(fixture, batch);
}

TEST(batch_object_for_each_status) {
    static const struct {
        const char *status;
        batch_state state;
        int64_t terminal_seconds;
    } cases[] = {
        {"validating", BATCH_RUNNING, 0},        {"in_progress", BATCH_RUNNING, 0},
        {"finalizing", BATCH_RUNNING, 0},        {"cancelling", BATCH_RUNNING, 0},
        {"completed", BATCH_COMPLETED, 1711493163}, {"failed", BATCH_FAILED, 1711493164},
        {"expired", BATCH_EXPIRED, 1711493165},  {"cancelled", BATCH_CANCELLED, 1711493167},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        batch_info batch;
        CHECK_INT(parse_batch_with_status(cases[i].status, &batch), 0);
        CHECK_STR(batch.provider, "openai");
        CHECK_BTSTR(batch.id, "batch_abc123");
        CHECK_BTSTR(batch.status, cases[i].status);
        CHECK_INT(batch.state, cases[i].state);
        CHECK_BTSTR(batch.endpoint, "/v1/chat/completions");
        CHECK(batch.created_ns == INT64_C(1711471533) * 1000000000);
        CHECK(batch.terminal_ns == cases[i].terminal_seconds * 1000000000);
        CHECK(batch.count_total.has && batch.count_total.value == 100);
        CHECK(batch.count_succeeded.has && batch.count_succeeded.value == 95);
        CHECK(batch.count_errored.has && batch.count_errored.value == 5);
        CHECK(!batch.count_canceled.has);
        CHECK(!batch.count_expired.has);
        CHECK(!batch.count_processing.has);
        CHECK_BTSTR(batch.context_token, "btx1.abc");
        CHECK(batch.count_with_line.has && batch.count_with_line.value == 100);
        CHECK_BTSTR(batch.metadata, "{\"customer_id\":\"u-1\"}");
        CHECK_BTSTR(batch.input_file_id, "file-in");
        CHECK_BTSTR(batch.output_file_id, "file-out");
        CHECK_BTSTR(batch.error_file_id, "");
        CHECK_INT(batch.error_count, 0);
    }
}

/* A failed batch's errors.data is kept, each with the input line it names (if any); the
 * metadata holding only batchtrace's own key is dropped. */
TEST(failed_batch_keeps_its_errors_and_lines) {
    batch_info batch;
    CHECK_INT(parse_batch("{'id':'batch_1','object':'batch','status':'failed','errors':{"
                          "'object':'list','data':[{'code':'invalid_json_line','message':"
                          "'Line 2 is not valid JSON.','param':null,'line':2},{'code':"
                          "'token_limit_exceeded','message':'Too many tokens.','line':null}]},"
                          "'request_counts':{'total':0,'completed':0,'failed':0},"
                          "'metadata':{'batchtrace_ctx':'btx1.x'}}",
                          &batch),
              0);
    CHECK_INT(batch.error_count, 2);
    if (batch.error_count != 2) return;
    CHECK_BTSTR(batch.errors[0].code, "invalid_json_line");
    CHECK_BTSTR(batch.errors[0].message, "Line 2 is not valid JSON.");
    CHECK_BTSTR(batch.errors[0].param, "");
    CHECK(batch.errors[0].line.has && batch.errors[0].line.value == 2);
    CHECK_BTSTR(batch.errors[1].code, "token_limit_exceeded");
    CHECK(!batch.errors[1].line.has);
    CHECK_BTSTR(batch.metadata, "");
    CHECK_BTSTR(batch.context_token, "btx1.x");
    CHECK(batch.count_with_line.has && batch.count_with_line.value == 0);
}

TEST(batch_object_with_null_timestamps_and_no_metadata) {
    batch_info batch;
    CHECK_INT(parse_batch("{'id':'batch_1','object':'batch','endpoint':'/v1/responses',"
                          "'status':'completed','created_at':1711471533,'completed_at':null,"
                          "'request_counts':null,'metadata':null}",
                          &batch),
              0);
    CHECK_INT(batch.state, BATCH_COMPLETED);
    CHECK(batch.terminal_ns == 0);
    CHECK(!batch.count_total.has);
    CHECK_BTSTR(batch.context_token, "");
}

/* Assert that parse_batch rejects fixture with exactly expected_reason. */
static void check_batch_rejected(const char *fixture, const char *expected_reason) {
    batch_info batch;
    CHECK_INT(parse_batch(fixture, &batch), -1);
    CHECK_STR(reason, expected_reason);
}

TEST(malformed_batch_objects_are_rejected) {
    check_batch_rejected("[]", "record is not a JSON object");
    check_batch_rejected("{'object':'batch','status':'completed'}", "missing \"id\"");
    check_batch_rejected("{'id':5,'status':'completed'}", "\"id\" is not a string");
    check_batch_rejected("{'id':'batch_1','object':'batch'}", "missing \"status\"");
    check_batch_rejected("{'id':'batch_1','status':3}", "\"status\" is not a string");
    check_batch_rejected("{'id':'batch_1','object':'batch','status':'paused'}",
                         "unknown batch status \"paused\"");
    check_batch_rejected("{'id':'file-1','object':'file','status':'processed'}",
                         "\"object\" is not \"batch\"");
    check_batch_rejected("{'id':'batch_1','status':'completed','completed_at':1711493163.5}",
                         "\"completed_at\" is not an integer in int64 range: 1711493163.5");
    check_batch_rejected("{'id':'batch_1','status':'failed','created_at':99999999999999}",
                         "\"created_at\" is out of range: 99999999999999");
    check_batch_rejected("{'id':'batch_1','status':'in_progress','request_counts':{'total':1e2}}",
                         "\"request_counts.total\" is not an integer in int64 range: 1e2");
}

int main(void) {
    RUN(embeddings_request_counts_inputs_and_keeps_dimensions);
    RUN(moderations_request_and_result);
    RUN(chat_audio_answer_gives_its_transcript_and_data);
    RUN(batch_object_keeps_its_model_and_usage);
    RUN(chat_request_keeps_every_parameter_and_message_part);
    RUN(chat_request_with_max_tokens_and_a_single_stop_string);
    RUN(a_request_without_url_but_with_messages_is_a_chat_completion);
    RUN(non_ascii_text_and_surrogate_pairs_are_decoded_to_utf8);
    RUN(wrong_types_of_optional_fields_are_ignored);
    RUN(responses_request_maps_input_items_instructions_and_tools);
    RUN(responses_request_with_string_input_is_one_user_message);
    RUN(completions_request_prompts_become_user_messages);
    RUN(embeddings_request_has_no_messages);
    RUN(azure_style_urls_without_v1_are_accepted);
    RUN(malformed_requests_are_rejected_with_the_field_named);
    RUN(integers_are_strict_never_clamped);
    RUN(request_custom_id_reads_only_the_key);
    RUN(chat_success_with_tool_calls_cached_and_reasoning_tokens);
    RUN(chat_refusal_is_a_text_part);
    RUN(several_choices_and_reasoning_content);
    RUN(http_error_with_a_code_is_errored_with_that_code);
    RUN(http_error_with_code_null_uses_the_type_then_the_status);
    RUN(line_errors_expired_cancelled_and_other);
    RUN(embeddings_result_has_usage_and_no_output_messages);
    RUN(responses_result_with_reasoning_function_call_and_text);
    RUN(responses_result_with_status_failed_is_errored);
    RUN(responses_finish_reasons_come_from_the_output_items);
    RUN(result_lines_keep_their_ids_status_and_service_tier);
    RUN(request_tool_choice_is_kept);
    RUN(completions_result_text_becomes_an_output_message);
    RUN(request_then_result_fill_one_item_and_keep_the_request_endpoint);
    RUN(malformed_results_are_rejected_with_the_field_named);
    RUN(batch_object_for_each_status);
    RUN(batch_object_with_null_timestamps_and_no_metadata);
    RUN(failed_batch_keeps_its_errors_and_lines);
    RUN(malformed_batch_objects_are_rejected);
    json_doc_free(&doc);
    arena_free(&arena);
    TEST_MAIN_END();
}
