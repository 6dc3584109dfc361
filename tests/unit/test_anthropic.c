/* Tests of the Anthropic provider (src/providers/anthropic.c): request records, result
 * lines and batch objects into normalized items, with exact values and exact reasons.
 * JSON in this file is written with single quotes for readability; dq() turns them into
 * double quotes (a literal apostrophe would be written \u0027). */
#include <stdlib.h>

#include "providers/provider.h"
#include "test.h"

static json_doc doc = JSON_DOC_INIT;
static arena_t arena = ARENA_INIT;
static char reason[REASON_MAX];

/* The single-quoted JSON s with every ' turned into ". Returns one of a few rotating
 * static buffers, so a test may hold up to four at once. */
static const char *dq(const char *s) {
    static char buffers[4][8192];
    static int next;
    char *out = buffers[next++ % 4];
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof buffers[0]; i++) out[i] = s[i] == '\'' ? '"' : s[i];
    out[i] = '\0';
    return out;
}

/* Parse the single-quoted JSON text into the shared doc (the test fails on bad JSON) and
 * clear the arena, item state and reason. Returns 0 when the JSON parsed. */
static int load(const char *text) {
    arena_reset(&arena);
    reason[0] = '\0';
    const char *json = dq(text);
    static char copy[8192]; /* the doc borrows its text: keep it past the dq() rotation */
    snprintf(copy, sizeof copy, "%s", json);
    if (json_parse(&doc, copy, strlen(copy), reason) != 0) {
        fprintf(stderr, "test JSON does not parse (%s): %s\n", reason, copy);
        return -1;
    }
    return 0;
}

/* parse_request on the single-quoted JSON text into *item (zeroed first). */
static int parse_request(const char *text, bt_item *item) {
    memset(item, 0, sizeof *item);
    if (load(text) != 0) return -2;
    return provider_anthropic.parse_request(&doc, 0, &arena, item, reason);
}

/* parse_result on the single-quoted JSON text into *item (zeroed first). */
static int parse_result(const char *text, bt_item *item) {
    memset(item, 0, sizeof *item);
    if (load(text) != 0) return -2;
    return provider_anthropic.parse_result(&doc, 0, &arena, item, reason);
}

/* parse_batch on the single-quoted JSON text into *batch (zeroed first). */
static int parse_batch(const char *text, batch_info *batch) {
    memset(batch, 0, sizeof *batch);
    if (load(text) != 0) return -2;
    return provider_anthropic.parse_batch(&doc, 0, &arena, batch, reason);
}

TEST(request_with_every_parameter_is_normalized) {
    bt_item item;
    CHECK_INT(parse_request(
                  "{'custom_id':'req-1_A','params':{'model':'claude-sonnet-4-5','max_tokens':1024,"
                  "'temperature':0.5,'top_p':0.9,'top_k':40,'stop_sequences':['END','###'],"
                  "'system':'Be brief.','messages':[{'role':'user','content':'Hello'},"
                  "{'role':'assistant','content':[{'type':'text','text':'Hi.'}]}],"
                  "'metadata':{'user_id':'u1'}}}",
                  &item),
              0);
    CHECK_STR(item.provider, "anthropic");
    CHECK_BTSTR(item.custom_id, "req-1_A");
    CHECK_BTSTR(item.endpoint, "/v1/messages");
    CHECK_STR(item.operation, "chat");
    CHECK(item.has_request);
    CHECK(!item.has_response);
    CHECK_BTSTR(item.request_model, "claude-sonnet-4-5");
    CHECK(item.max_tokens.has);
    CHECK_INT(item.max_tokens.value, 1024);
    CHECK(item.temperature.has && item.temperature.value == 0.5);
    CHECK(item.top_p.has && item.top_p.value == 0.9);
    CHECK(item.top_k.has);
    CHECK_INT(item.top_k.value, 40);
    CHECK(!item.seed.has && !item.frequency_penalty.has && !item.choice_count.has);
    CHECK_INT(item.stop_sequence_count, 2);
    if (item.stop_sequence_count == 2) {
        CHECK_BTSTR(item.stop_sequences[0], "END");
        CHECK_BTSTR(item.stop_sequences[1], "###");
    }
    CHECK_INT(item.system_instruction_count, 1);
    if (item.system_instruction_count == 1) {
        CHECK_INT(item.system_instructions[0].type, PART_TEXT);
        CHECK_BTSTR(item.system_instructions[0].content, "Be brief.");
    }
    CHECK_INT(item.input_message_count, 2);
    if (item.input_message_count == 2) {
        CHECK_BTSTR(item.input_messages[0].role, "user");
        CHECK_INT(item.input_messages[0].part_count, 1);
        CHECK_INT(item.input_messages[0].parts[0].type, PART_TEXT);
        CHECK_BTSTR(item.input_messages[0].parts[0].content, "Hello");
        CHECK_BTSTR(item.input_messages[1].role, "assistant");
        CHECK_INT(item.input_messages[1].part_count, 1);
        CHECK_BTSTR(item.input_messages[1].parts[0].content, "Hi.");
    }
    CHECK_INT(item.tool_count, 0);
    CHECK_BTSTR(item.request_body,
                dq("{'model':'claude-sonnet-4-5','max_tokens':1024,"
                   "'temperature':0.5,'top_p':0.9,'top_k':40,'stop_sequences':['END','###'],"
                   "'system':'Be brief.','messages':[{'role':'user','content':'Hello'},"
                   "{'role':'assistant','content':[{'type':'text','text':'Hi.'}]}],"
                   "'metadata':{'user_id':'u1'}}"));
}

TEST(system_blocks_become_one_text_part_each) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'s','params':{'model':'m','system':["
                            "{'type':'text','text':'You are terse.'},"
                            "{'type':'text','text':'Long context.','cache_control':{'type':'ephemeral'}}],"
                            "'messages':[]}}",
                            &item),
              0);
    CHECK_INT(item.system_instruction_count, 2);
    if (item.system_instruction_count == 2) {
        CHECK_INT(item.system_instructions[0].type, PART_TEXT);
        CHECK_BTSTR(item.system_instructions[0].content, "You are terse.");
        CHECK_INT(item.system_instructions[1].type, PART_TEXT);
        CHECK_BTSTR(item.system_instructions[1].content, "Long context.");
    }
    CHECK_INT(item.input_message_count, 0);
}

TEST(tools_keep_their_schema_and_server_tools_their_type) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'t','params':{'model':'m','messages':[],'tools':["
                            "{'name':'get_weather','description':'Weather by city',"
                            "'input_schema':{'type':'object','properties':{'city':{'type':'string'}}}},"
                            "{'type':'custom','name':'lookup','input_schema':{'type':'object'}},"
                            "{'type':'web_search_20250305','name':'web_search','max_uses':5}]}}",
                            &item),
              0);
    CHECK_INT(item.tool_count, 3);
    if (item.tool_count == 3) {
        CHECK_BTSTR(item.tools[0].type, "function");
        CHECK_BTSTR(item.tools[0].name, "get_weather");
        CHECK_BTSTR(item.tools[0].description, "Weather by city");
        CHECK_BTSTR(item.tools[0].parameters,
                    dq("{'type':'object','properties':{'city':{'type':'string'}}}"));
        CHECK_BTSTR(item.tools[1].type, "function");
        CHECK_BTSTR(item.tools[1].name, "lookup");
        CHECK_BTSTR(item.tools[2].type, "web_search_20250305");
        CHECK_BTSTR(item.tools[2].name, "web_search");
        CHECK_BTSTR(item.tools[2].description, "");
        CHECK_BTSTR(item.tools[2].parameters, "");
    }
}

TEST(tool_use_and_tool_results_become_tool_parts) {
    bt_item item;
    CHECK_INT(parse_request(
                  "{'custom_id':'tu','params':{'model':'m','messages':["
                  "{'role':'assistant','content':[{'type':'text','text':'Checking.'},"
                  "{'type':'tool_use','id':'toolu_01','name':'get_weather','input':{'city':'Paris','days':2}}]},"
                  "{'role':'user','content':["
                  "{'type':'tool_result','tool_use_id':'toolu_01','content':'18 C'},"
                  "{'type':'tool_result','tool_use_id':'toolu_02','is_error':true,"
                  "'content':[{'type':'text','text':'no such city'}]},"
                  "{'type':'tool_result','tool_use_id':'toolu_03'}]}]}}",
                  &item),
              0);
    CHECK_INT(item.input_message_count, 2);
    if (item.input_message_count != 2) return;
    msg *assistant = &item.input_messages[0];
    CHECK_INT(assistant->part_count, 2);
    if (assistant->part_count == 2) {
        msg_part *call = &assistant->parts[1];
        CHECK_INT(call->type, PART_TOOL_CALL);
        CHECK_BTSTR(call->id, "toolu_01");
        CHECK_BTSTR(call->name, "get_weather");
        CHECK_BTSTR(call->arguments, dq("{'city':'Paris','days':2}"));
        CHECK(call->arguments_is_json);
    }
    msg *user = &item.input_messages[1];
    CHECK_BTSTR(user->role, "user");
    CHECK_INT(user->part_count, 3);
    if (user->part_count == 3) {
        CHECK_INT(user->parts[0].type, PART_TOOL_CALL_RESPONSE);
        CHECK_BTSTR(user->parts[0].id, "toolu_01");
        CHECK_BTSTR(user->parts[0].content, "18 C");
        CHECK(!user->parts[0].content_is_json);
        CHECK_INT(user->parts[1].type, PART_TOOL_CALL_RESPONSE);
        CHECK_BTSTR(user->parts[1].id, "toolu_02");
        CHECK_BTSTR(user->parts[1].content, dq("[{'type':'text','text':'no such city'}]"));
        CHECK(user->parts[1].content_is_json);
        CHECK_BTSTR(user->parts[2].id, "toolu_03");
        CHECK_BTSTR(user->parts[2].content, "");
        CHECK(!user->parts[2].content_is_json);
    }
}

TEST(images_and_documents_become_blob_uri_and_text_parts) {
    bt_item item;
    CHECK_INT(parse_request(
                  "{'custom_id':'img','params':{'model':'m','messages':[{'role':'user','content':["
                  "{'type':'image','source':{'type':'base64','media_type':'image/png','data':'iVBORw0KGgo='}},"
                  "{'type':'image','source':{'type':'url','url':'https://example.com/cat.jpg'}},"
                  "{'type':'image','source':{'type':'file','file_id':'file_011'}},"
                  "{'type':'document','source':{'type':'base64','media_type':'application/pdf','data':'JVBERi0='}},"
                  "{'type':'document','source':{'type':'url','url':'https://example.com/a.pdf'}},"
                  "{'type':'document','source':{'type':'text','media_type':'text/plain','data':'Plain doc.'}},"
                  "{'type':'text','text':'Describe them.'}]}]}}",
                  &item),
              0);
    CHECK_INT(item.input_message_count, 1);
    if (item.input_message_count != 1) return;
    msg *user = &item.input_messages[0];
    CHECK_INT(user->part_count, 6);
    if (user->part_count != 6) return;
    CHECK_INT(user->parts[0].type, PART_BLOB);
    CHECK_BTSTR(user->parts[0].modality, "image");
    CHECK_BTSTR(user->parts[0].mime_type, "image/png");
    CHECK_BTSTR(user->parts[0].content, "iVBORw0KGgo=");
    CHECK_INT(user->parts[1].type, PART_URI);
    CHECK_BTSTR(user->parts[1].modality, "image");
    CHECK_BTSTR(user->parts[1].uri, "https://example.com/cat.jpg");
    CHECK_BTSTR(user->parts[1].mime_type, "");
    CHECK_INT(user->parts[2].type, PART_BLOB);
    CHECK_BTSTR(user->parts[2].modality, "document");
    CHECK_BTSTR(user->parts[2].mime_type, "application/pdf");
    CHECK_BTSTR(user->parts[2].content, "JVBERi0=");
    CHECK_INT(user->parts[3].type, PART_URI);
    CHECK_BTSTR(user->parts[3].modality, "document");
    CHECK_BTSTR(user->parts[3].uri, "https://example.com/a.pdf");
    CHECK_INT(user->parts[4].type, PART_TEXT);
    CHECK_BTSTR(user->parts[4].content, "Plain doc.");
    CHECK_INT(user->parts[5].type, PART_TEXT);
    CHECK_BTSTR(user->parts[5].content, "Describe them.");
}

TEST(thinking_blocks_become_reasoning_and_unknown_blocks_are_skipped) {
    bt_item item;
    CHECK_INT(parse_request(
                  "{'custom_id':'th','params':{'model':'m','messages':[{'role':'assistant','content':["
                  "{'type':'thinking','thinking':'Let me think.','signature':'sig=='},"
                  "{'type':'redacted_thinking','data':'ENCRYPTED'},"
                  "{'type':'future_block','x':1},{'no_type':true},42,"
                  "{'type':'text','text':'Answer.'}]}]}}",
                  &item),
              0);
    CHECK_INT(item.input_message_count, 1);
    if (item.input_message_count != 1) return;
    msg *assistant = &item.input_messages[0];
    CHECK_INT(assistant->part_count, 3);
    if (assistant->part_count != 3) return;
    CHECK_INT(assistant->parts[0].type, PART_REASONING);
    CHECK_BTSTR(assistant->parts[0].content, "Let me think.");
    CHECK_INT(assistant->parts[1].type, PART_REASONING);
    CHECK_BTSTR(assistant->parts[1].content, "");
    CHECK(assistant->parts[1].redacted); /* encrypted reasoning is marked, not empty */
    CHECK(!assistant->parts[0].redacted);
    CHECK_INT(assistant->parts[2].type, PART_TEXT);
    CHECK_BTSTR(assistant->parts[2].content, "Answer.");
}

TEST(non_ascii_and_surrogate_pairs_are_decoded_to_utf8) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'u','params':{'model':'m','messages':[{'role':'user',"
                            "'content':'caf\\u00e9 \\ud83d\\ude00 \xe6\x97\xa5\xe6\x9c\xac \\n\\t\\\\'}]}}",
                            &item),
              0);
    CHECK_INT(item.input_message_count, 1);
    if (item.input_message_count == 1) CHECK_INT(item.input_messages[0].part_count, 1);
    if (item.input_message_count == 1 && item.input_messages[0].part_count == 1)
        CHECK_BTSTR(item.input_messages[0].parts[0].content,
                    "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac \n\t\\");
}

TEST(null_and_wrong_typed_optional_fields_are_ignored) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'n','params':{'model':null,'max_tokens':null,'top_k':null,"
                            "'temperature':'hot','top_p':null,'system':null,'stop_sequences':['a',1,null],"
                            "'messages':[{'role':'user','content':null},'junk'],'tools':null}}",
                            &item),
              0);
    CHECK_BTSTR(item.request_model, "");
    CHECK(!item.max_tokens.has && !item.top_k.has && !item.temperature.has && !item.top_p.has);
    CHECK_INT(item.system_instruction_count, 0);
    CHECK_INT(item.stop_sequence_count, 1);
    CHECK_INT(item.input_message_count, 1);
    if (item.input_message_count == 1) {
        CHECK_BTSTR(item.input_messages[0].role, "user");
        CHECK_INT(item.input_messages[0].part_count, 0);
    }
    CHECK_INT(item.tool_count, 0);
}

TEST(integers_are_strict) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'i','params':{'max_tokens':1.5}}", &item), -1);
    CHECK_STR(reason, "\"params.max_tokens\" is not an integer in int64 range: 1.5");
    CHECK_INT(parse_request("{'custom_id':'i','params':{'max_tokens':1e3}}", &item), -1);
    CHECK_STR(reason, "\"params.max_tokens\" is not an integer in int64 range: 1e3");
    CHECK_INT(parse_request("{'custom_id':'i','params':{'max_tokens':9223372036854775808}}", &item),
              -1);
    CHECK_STR(reason,
              "\"params.max_tokens\" is not an integer in int64 range: 9223372036854775808");
    CHECK_INT(parse_request("{'custom_id':'i','params':{'max_tokens':'100'}}", &item), 0);
    CHECK(!item.max_tokens.has); /* not a number: wrong-typed, so ignored */
    CHECK_INT(parse_request("{'custom_id':'i','params':{'top_k':2.0}}", &item), -1);
    CHECK_STR(reason, "\"params.top_k\" is not an integer in int64 range: 2.0");
    CHECK_INT(parse_request("{'custom_id':'i','params':{'max_tokens':9223372036854775807}}", &item),
              0);
    CHECK(item.max_tokens.has && item.max_tokens.value == INT64_MAX);
    CHECK_INT(parse_request("{'custom_id':'i','params':{'max_tokens':-1}}", &item), 0);
    CHECK_INT(item.max_tokens.value, -1);
}

TEST(custom_ids_must_match_the_batches_api_pattern) {
    bt_item item;
    char text[512];
    const char *id64 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    snprintf(text, sizeof text, "{'custom_id':'%s','params':{}}", id64);
    CHECK_INT(parse_request(text, &item), 0);
    CHECK_BTSTR(item.custom_id, id64);

    snprintf(text, sizeof text, "{'custom_id':'%sX','params':{}}", id64);
    CHECK_INT(parse_request(text, &item), -1);
    char expected[REASON_MAX];
    snprintf(expected, sizeof expected,
             "invalid custom_id \"%sX\": must match ^[a-zA-Z0-9_-]{1,64}$", id64);
    CHECK_STR(reason, expected);

    CHECK_INT(parse_request("{'custom_id':'a b','params':{}}", &item), -1);
    CHECK_STR(reason, "invalid custom_id \"a b\": must match ^[a-zA-Z0-9_-]{1,64}$");
    CHECK_INT(parse_request("{'custom_id':'a\\u0001b\\n\\\"','params':{}}", &item), -1);
    CHECK_STR(reason, "invalid custom_id \"a\\u0001b\\n\\\"\": must match ^[a-zA-Z0-9_-]{1,64}$");
    CHECK_INT(parse_request("{'custom_id':'tab\\there','params':{}}", &item), -1);
    CHECK_STR(reason, "invalid custom_id \"tab\\there\": must match ^[a-zA-Z0-9_-]{1,64}$");
    CHECK_INT(parse_request("{'custom_id':'','params':{}}", &item), -1);
    CHECK_STR(reason, "invalid custom_id \"\": must match ^[a-zA-Z0-9_-]{1,64}$");
    CHECK_INT(parse_request("{'custom_id':'caf\\u00e9','params':{}}", &item), -1);
    CHECK_STR(reason, "invalid custom_id \"caf\xc3\xa9\": must match ^[a-zA-Z0-9_-]{1,64}$");

    /* request_custom_id applies the same rule. */
    bt_str id;
    CHECK_INT(load("{'custom_id':'a b','params':{}}"), 0);
    CHECK_INT(provider_anthropic.request_custom_id(&doc, 0, &arena, &id, reason), -1);
    CHECK_STR(reason, "invalid custom_id \"a b\": must match ^[a-zA-Z0-9_-]{1,64}$");
    CHECK_INT(load("{'params':{},'custom_id':'ok-1'}"), 0);
    CHECK_INT(provider_anthropic.request_custom_id(&doc, 0, &arena, &id, reason), 0);
    CHECK_BTSTR(id, "ok-1");
}

TEST(a_long_bad_custom_id_is_quoted_in_part) {
    bt_item item;
    char id[301];
    memset(id, 'x', 300);
    id[150] = ' ';
    id[300] = '\0';
    char text[512];
    snprintf(text, sizeof text, "{'custom_id':'%s','params':{}}", id);
    CHECK_INT(parse_request(text, &item), -1);
    char expected[REASON_MAX];
    snprintf(expected, sizeof expected,
             "invalid custom_id \"%.96s...\": must match ^[a-zA-Z0-9_-]{1,64}$", id);
    CHECK_STR(reason, expected);
}

TEST(malformed_request_records_are_rejected_with_a_reason) {
    bt_item item;
    CHECK_INT(parse_request("[1,2]", &item), -1);
    CHECK_STR(reason, "record is not a JSON object");
    CHECK_INT(parse_request("{'params':{}}", &item), -1);
    CHECK_STR(reason, "missing \"custom_id\"");
    CHECK_INT(parse_request("{'custom_id':null,'params':{}}", &item), -1);
    CHECK_STR(reason, "missing \"custom_id\"");
    CHECK_INT(parse_request("{'custom_id':7,'params':{}}", &item), -1);
    CHECK_STR(reason, "\"custom_id\" is not a string");
    CHECK_INT(parse_request("{'custom_id':'a'}", &item), -1);
    CHECK_STR(reason, "missing \"params\"");
    CHECK_INT(parse_request("{'custom_id':'a','params':null}", &item), -1);
    CHECK_STR(reason, "missing \"params\"");
    CHECK_INT(parse_request("{'custom_id':'a','params':'x'}", &item), -1);
    CHECK_STR(reason, "\"params\" is not an object");
}

TEST(succeeded_result_fills_the_response_and_sums_cache_tokens) {
    bt_item item;
    const char *message =
        "{'id':'msg_01','type':'message','role':'assistant','model':'claude-sonnet-4-5-20250929',"
        "'content':[{'type':'thinking','thinking':'Hmm.','signature':'s'},"
        "{'type':'redacted_thinking','data':'x'},{'type':'text','text':'Paris.'},"
        "{'type':'tool_use','id':'toolu_9','name':'lookup','input':{}}],"
        "'stop_reason':'tool_use','stop_sequence':null,"
        "'usage':{'input_tokens':10,'output_tokens':25,'cache_creation_input_tokens':100,"
        "'cache_read_input_tokens':1000,'service_tier':'batch'}}";
    char text[2048];
    snprintf(text, sizeof text, "{'custom_id':'r1','result':{'type':'succeeded','message':%s}}",
             message);
    CHECK_INT(parse_result(text, &item), 0);
    CHECK_STR(item.provider, "anthropic");
    CHECK_BTSTR(item.custom_id, "r1");
    CHECK_BTSTR(item.endpoint, "/v1/messages");
    CHECK_STR(item.operation, "chat");
    CHECK(item.has_response);
    CHECK(!item.has_request);
    CHECK_INT(item.result, RESULT_SUCCEEDED);
    CHECK_BTSTR(item.response_id, "msg_01");
    CHECK_BTSTR(item.response_model, "claude-sonnet-4-5-20250929");
    CHECK(item.input_tokens.has);
    CHECK_INT(item.input_tokens.value, 1110);
    CHECK(item.output_tokens.has);
    CHECK_INT(item.output_tokens.value, 25);
    CHECK(item.cache_read_tokens.has);
    CHECK_INT(item.cache_read_tokens.value, 1000);
    CHECK(item.cache_creation_tokens.has);
    CHECK_INT(item.cache_creation_tokens.value, 100);
    CHECK(!item.reasoning_tokens.has);
    CHECK_INT(item.end_time_ns, 0);
    CHECK_BTSTR(item.error_type, "");
    CHECK_BTSTR(item.error_message, "");
    CHECK_INT(item.finish_reason_count, 1);
    if (item.finish_reason_count == 1) CHECK_BTSTR(item.finish_reasons[0], "tool_use");
    CHECK_BTSTR(item.response_body, dq(message));
    CHECK_INT(item.output_message_count, 1);
    if (item.output_message_count != 1) return;
    msg *out = &item.output_messages[0];
    CHECK_BTSTR(out->role, "assistant");
    CHECK_BTSTR(out->finish_reason, "tool_use");
    CHECK_INT(out->part_count, 4);
    if (out->part_count != 4) return;
    CHECK_INT(out->parts[0].type, PART_REASONING);
    CHECK_BTSTR(out->parts[0].content, "Hmm.");
    CHECK_INT(out->parts[1].type, PART_REASONING);
    CHECK_BTSTR(out->parts[1].content, "");
    CHECK_INT(out->parts[2].type, PART_TEXT);
    CHECK_BTSTR(out->parts[2].content, "Paris.");
    CHECK_INT(out->parts[3].type, PART_TOOL_CALL);
    CHECK_BTSTR(out->parts[3].id, "toolu_9");
    CHECK_BTSTR(out->parts[3].name, "lookup");
    CHECK_BTSTR(out->parts[3].arguments, "{}");
    CHECK(out->parts[3].arguments_is_json);
}

TEST(usage_without_cache_fields_or_input_tokens) {
    bt_item item;
    CHECK_INT(parse_result("{'custom_id':'r','result':{'type':'succeeded','message':{'id':'m',"
                           "'content':[],'stop_reason':'end_turn',"
                           "'usage':{'input_tokens':7,'output_tokens':3,"
                           "'cache_creation_input_tokens':null,'cache_read_input_tokens':null}}}}",
                           &item),
              0);
    CHECK(item.input_tokens.has);
    CHECK_INT(item.input_tokens.value, 7);
    CHECK_INT(item.output_tokens.value, 3);
    CHECK(!item.cache_read_tokens.has);
    CHECK(!item.cache_creation_tokens.has);
    CHECK_INT(item.finish_reason_count, 1);
    if (item.finish_reason_count == 1) CHECK_BTSTR(item.finish_reasons[0], "end_turn");
    if (item.output_message_count == 1) /* absent role: the API's only role */
        CHECK_BTSTR(item.output_messages[0].role, "assistant");

    CHECK_INT(parse_result("{'custom_id':'r','result':{'type':'succeeded','message':{"
                           "'stop_reason':null,'usage':{'cache_read_input_tokens':5}}}}",
                           &item),
              0);
    CHECK(!item.input_tokens.has);
    CHECK(!item.output_tokens.has);
    CHECK(item.cache_read_tokens.has);
    CHECK_INT(item.cache_read_tokens.value, 5);
    CHECK_INT(item.finish_reason_count, 0);
    CHECK_INT(item.output_message_count, 1);
    if (item.output_message_count == 1) {
        CHECK_BTSTR(item.output_messages[0].finish_reason, "");
        CHECK_INT(item.output_messages[0].part_count, 0);
    }

    CHECK_INT(parse_result("{'custom_id':'r','result':{'type':'succeeded','message':{"
                           "'usage':{'input_tokens':2.5}}}}",
                           &item),
              -1);
    CHECK_STR(reason,
              "\"result.message.usage.input_tokens\" is not an integer in int64 range: 2.5");
    CHECK_INT(parse_result("{'custom_id':'r','result':{'type':'succeeded','message':{"
                           "'usage':{'input_tokens':9223372036854775807,'cache_read_input_tokens':1}}}}",
                           &item),
              -1);
    CHECK_STR(reason, "\"result.message.usage\": input token sum overflows int64");
}

TEST(errored_results_read_nested_and_flat_errors) {
    bt_item item;
    CHECK_INT(parse_result("{'custom_id':'e1','result':{'type':'errored','error':{'type':'error',"
                           "'error':{'type':'invalid_request_error','message':'max_tokens: too large'}}}}",
                           &item),
              0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK(item.has_response);
    CHECK_BTSTR(item.error_type, "invalid_request_error");
    CHECK_BTSTR(item.error_message, "max_tokens: too large");
    CHECK_INT(item.output_message_count, 0);
    CHECK(!item.input_tokens.has);

    CHECK_INT(parse_result("{'custom_id':'e2','result':{'type':'errored','error':{"
                           "'type':'overloaded_error','message':'Overloaded'}}}",
                           &item),
              0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_BTSTR(item.error_type, "overloaded_error");
    CHECK_BTSTR(item.error_message, "Overloaded");

    CHECK_INT(parse_result("{'custom_id':'e3','result':{'type':'errored'}}", &item), 0);
    CHECK_INT(item.result, RESULT_ERRORED);
    CHECK_BTSTR(item.error_type, "errored");
    CHECK_BTSTR(item.error_message, "");
}

TEST(canceled_and_expired_results) {
    bt_item item;
    CHECK_INT(parse_result("{'custom_id':'c','result':{'type':'canceled'}}", &item), 0);
    CHECK_INT(item.result, RESULT_CANCELED);
    CHECK(item.has_response);
    CHECK_BTSTR(item.error_type, "canceled");
    CHECK_BTSTR(item.error_message, "request canceled before processing");
    CHECK_INT(parse_result("{'custom_id':'x','result':{'type':'expired'}}", &item), 0);
    CHECK_INT(item.result, RESULT_EXPIRED);
    CHECK_BTSTR(item.error_type, "expired");
    CHECK_BTSTR(item.error_message, "request expired before processing");
    CHECK_BTSTR(item.endpoint, "/v1/messages");
    CHECK_INT(item.end_time_ns, 0);
}

TEST(malformed_result_lines_are_rejected_with_a_reason) {
    bt_item item;
    CHECK_INT(parse_result("'text'", &item), -1);
    CHECK_STR(reason, "record is not a JSON object");
    CHECK_INT(parse_result("{'result':{'type':'canceled'}}", &item), -1);
    CHECK_STR(reason, "missing \"custom_id\"");
    CHECK_INT(parse_result("{'custom_id':'a'}", &item), -1);
    CHECK_STR(reason, "missing \"result\"");
    CHECK_INT(parse_result("{'custom_id':'a','result':[1]}", &item), -1);
    CHECK_STR(reason, "\"result\" is not an object");
    CHECK_INT(parse_result("{'custom_id':'a','result':{}}", &item), -1);
    CHECK_STR(reason, "missing \"result.type\"");
    CHECK_INT(parse_result("{'custom_id':'a','result':{'type':3}}", &item), -1);
    CHECK_STR(reason, "\"result.type\" is not a string");
    CHECK_INT(parse_result("{'custom_id':'a','result':{'type':'pending'}}", &item), -1);
    CHECK_STR(reason, "unknown result type \"pending\"");
    CHECK_INT(parse_result("{'custom_id':'a','result':{'type':'succeeded'}}", &item), -1);
    CHECK_STR(reason, "missing \"result.message\"");
    CHECK_INT(parse_result("{'custom_id':'a','result':{'type':'succeeded','message':'hi'}}", &item),
              -1);
    CHECK_STR(reason, "\"result.message\" is not an object");
}

/* A batch object with the given processing_status, cancel_initiated_at (raw JSON) and
 * expired count, parsed into *batch. */
static int parse_batch_with(const char *status, const char *cancel_initiated_at,
                            const char *expired, batch_info *batch) {
    char text[1024];
    snprintf(text, sizeof text,
             "{'id':'msgbatch_013Zva2CMHLNnXjNJJKqJ2EF','type':'message_batch',"
             "'processing_status':'%s','request_counts':{'processing':1,'succeeded':20,"
             "'errored':3,'canceled':4,'expired':%s},'ended_at':'2024-09-25T18:37:24.100435Z',"
             "'created_at':'2024-09-24T18:37:24.100435Z','expires_at':'2024-09-25T18:37:24.100435Z',"
             "'archived_at':null,'cancel_initiated_at':%s,'results_url':null}",
             status, expired, cancel_initiated_at);
    return parse_batch(text, batch);
}

TEST(batch_object_fields_are_read) {
    batch_info batch;
    CHECK_INT(parse_batch_with("ended", "null", "0", &batch), 0);
    CHECK_STR(batch.provider, "anthropic");
    CHECK_BTSTR(batch.id, "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF");
    CHECK_BTSTR(batch.status, "ended");
    CHECK_BTSTR(batch.endpoint, "/v1/messages");
    CHECK_INT(batch.state, BATCH_COMPLETED);
    CHECK_INT(batch.created_ns, INT64_C(1727203044100435000));
    CHECK_INT(batch.terminal_ns, INT64_C(1727289444100435000));
    CHECK(batch.count_total.has);
    CHECK_INT(batch.count_total.value, 28);
    CHECK_INT(batch.count_processing.value, 1);
    CHECK_INT(batch.count_succeeded.value, 20);
    CHECK_INT(batch.count_errored.value, 3);
    CHECK_INT(batch.count_canceled.value, 4);
    CHECK(batch.count_expired.has);
    CHECK_INT(batch.count_expired.value, 0);
    CHECK_BTSTR(batch.context_token, "");
    /* every request that is not processing has its line, canceled and expired ones too */
    CHECK(batch.count_with_line.has);
    CHECK_INT(batch.count_with_line.value, 27);
}

/* tool_choice is an object in the Messages API; it is kept as its JSON. */
TEST(request_tool_choice_is_kept_as_json) {
    bt_item item;
    CHECK_INT(parse_request("{'custom_id':'tc','params':{'model':'m','max_tokens':5,'messages':[],"
                            "'tool_choice':{'type':'tool','name':'get_weather'}}}",
                            &item),
              0);
    CHECK_BTSTR(item.tool_choice, "{\"type\":\"tool\",\"name\":\"get_weather\"}");
    CHECK(item.tool_choice_is_json);
}

TEST(batch_states_follow_the_ended_rules) {
    batch_info batch;
    CHECK_INT(parse_batch_with("in_progress", "null", "0", &batch), 0);
    CHECK_INT(batch.state, BATCH_RUNNING);
    CHECK_INT(parse_batch_with("canceling", "'2024-09-24T19:00:00+02:00'", "0", &batch), 0);
    CHECK_INT(batch.state, BATCH_RUNNING);
    CHECK_BTSTR(batch.status, "canceling");
    CHECK_INT(parse_batch_with("ended", "'2024-09-24T19:00:00+02:00'", "0", &batch), 0);
    CHECK_INT(batch.state, BATCH_CANCELLED);
    CHECK_INT(parse_batch_with("ended", "'2024-09-24T19:00:00+02:00'", "5", &batch), 0);
    CHECK_INT(batch.state, BATCH_CANCELLED); /* cancellation wins over expiry */
    CHECK_INT(parse_batch_with("ended", "null", "5", &batch), 0);
    CHECK_INT(batch.state, BATCH_EXPIRED);
    CHECK_INT(batch.count_total.value, 33);
    CHECK_INT(parse_batch_with("ended", "null", "null", &batch), 0);
    CHECK_INT(batch.state, BATCH_COMPLETED);
    CHECK(!batch.count_expired.has);
    CHECK_INT(batch.count_total.value, 28);
}

TEST(minimal_and_malformed_batch_objects) {
    batch_info batch;
    CHECK_INT(parse_batch("{'id':'b','processing_status':'in_progress'}", &batch), 0);
    CHECK_INT(batch.state, BATCH_RUNNING);
    CHECK(!batch.count_total.has);
    CHECK_INT(batch.created_ns, 0);
    CHECK_INT(batch.terminal_ns, 0);

    CHECK_INT(parse_batch("[]", &batch), -1);
    CHECK_STR(reason, "record is not a JSON object");
    CHECK_INT(parse_batch("{'processing_status':'ended'}", &batch), -1);
    CHECK_STR(reason, "missing \"id\"");
    CHECK_INT(parse_batch("{'id':7,'processing_status':'ended'}", &batch), -1);
    CHECK_STR(reason, "\"id\" is not a string");
    CHECK_INT(parse_batch("{'id':'b','processing_status':['ended']}", &batch), -1);
    CHECK_STR(reason, "\"processing_status\" is not a string");
    CHECK_INT(parse_batch("{'id':'b','status':'completed'}", &batch), -1);
    CHECK_STR(reason, "missing \"processing_status\"");
    CHECK_INT(parse_batch("{'id':'b','processing_status':'done'}", &batch), -1);
    CHECK_STR(reason, "unknown batch status \"done\"");
    CHECK_INT(parse_batch("{'id':'b','processing_status':'ended','created_at':'yesterday'}", &batch),
              -1);
    CHECK_STR(reason, "\"created_at\" is not an RFC 3339 timestamp: \"yesterday\"");
    CHECK_INT(parse_batch("{'id':'b','processing_status':'ended','request_counts':{'errored':1.5}}",
                          &batch),
              -1);
    CHECK_STR(reason, "\"request_counts.errored\" is not an integer in int64 range: 1.5");
    CHECK_INT(parse_batch("{'id':'b','processing_status':'ended','request_counts':{'errored':-2}}",
                          &batch),
              -1);
    CHECK_STR(reason, "\"request_counts.errored\" is negative: -2");
    CHECK_INT(parse_batch("{'id':'b','processing_status':'ended','created_at':12345,"
                          "'ended_at':null}",
                          &batch),
              0);
    CHECK_INT(batch.created_ns, 0);
    CHECK_INT(batch.state, BATCH_COMPLETED);
}

TEST(result_names) {
    CHECK_STR(item_result_name(RESULT_SUCCEEDED), "succeeded");
    CHECK_STR(item_result_name(RESULT_ERRORED), "errored");
    CHECK_STR(item_result_name(RESULT_CANCELED), "canceled");
    CHECK_STR(item_result_name(RESULT_EXPIRED), "expired");
    CHECK_STR(item_result_name(RESULT_MISSING), "missing");
    CHECK_STR(provider_anthropic.name, "anthropic");
}

int main(void) {
    RUN(request_with_every_parameter_is_normalized);
    RUN(system_blocks_become_one_text_part_each);
    RUN(tools_keep_their_schema_and_server_tools_their_type);
    RUN(tool_use_and_tool_results_become_tool_parts);
    RUN(images_and_documents_become_blob_uri_and_text_parts);
    RUN(thinking_blocks_become_reasoning_and_unknown_blocks_are_skipped);
    RUN(non_ascii_and_surrogate_pairs_are_decoded_to_utf8);
    RUN(null_and_wrong_typed_optional_fields_are_ignored);
    RUN(integers_are_strict);
    RUN(custom_ids_must_match_the_batches_api_pattern);
    RUN(a_long_bad_custom_id_is_quoted_in_part);
    RUN(malformed_request_records_are_rejected_with_a_reason);
    RUN(succeeded_result_fills_the_response_and_sums_cache_tokens);
    RUN(usage_without_cache_fields_or_input_tokens);
    RUN(errored_results_read_nested_and_flat_errors);
    RUN(canceled_and_expired_results);
    RUN(malformed_result_lines_are_rejected_with_a_reason);
    RUN(batch_object_fields_are_read);
    RUN(batch_states_follow_the_ended_rules);
    RUN(request_tool_choice_is_kept_as_json);
    RUN(minimal_and_malformed_batch_objects);
    RUN(result_names);
    json_doc_free(&doc);
    arena_free(&arena);
    TEST_MAIN_END();
}
