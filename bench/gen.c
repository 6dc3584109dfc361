/* batchtrace-bench-gen: writes a realistic, deterministic LLM batch for the benchmark.
 *
 *   batchtrace-bench-gen --provider openai|anthropic --out DIR [--items N] [--seed S]
 *                        [--results-scale K] [--profile prose|escapes|multibyte|long]
 *
 * OpenAI (default 50,000 chat items, about 90 MB of inputs and 90 MB of results):
 *   DIR/input.jsonl    {custom_id, method, url: /v1/chat/completions, body}
 *   DIR/output.jsonl   the successful results, in a shuffled order (not the inputs' order)
 *   DIR/errors.jsonl   about 1% of the items: 400 responses with body.error
 *   DIR/batch.json     the terminal batch object (completed, request_counts)
 * Anthropic (the same size):
 *   DIR/requests.jsonl {custom_id, params}
 *   DIR/results.jsonl  succeeded, about 0.6% errored and 0.2% expired, shuffled
 *   DIR/batch.json     the terminal batch object (ended, request_counts)
 *
 * Content varies the way real batches do: a handful of shared system prompts of different
 * lengths (Anthropic: text blocks with cache_control), one to four user turns, tool
 * definitions, tool calls and tool results, reasoning models with reasoning tokens,
 * Anthropic thinking blocks, cached prompt tokens, non-ASCII text (accents, CJK, Cyrillic,
 * Greek, emoji) and every JSON escape (quotes, backslashes, newlines, tabs, control
 * characters). --results-scale K makes each answer longer so that the results file is
 * about K times larger for the same items and inputs (the memory check).
 *
 * --profile chooses what the free text (prompts, answers, thinking) is made of: prose (the
 * default: mostly ASCII with rare non-ASCII words and escapes), escapes (markdown, code and
 * JSON inside strings: a newline every line, quotes, backslashes, tabs, control characters),
 * multibyte (CJK, Cyrillic, Arabic, Hebrew, Thai, emoji, combining marks; emoji written as
 * \uXXXX surrogate pairs and some other characters as \uXXXX in the JSON) or long (prose with
 * answers of 4 to 16 KB). New generators get the profiles by writing text with write_text.
 *
 * Everything derives from --seed (default 1) and the item number, so a run is reproducible
 * byte for byte. Each item's properties come from its own random stream, which lets the
 * results be written in another order than the inputs. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json/writer.h"
#include "util/alloc.h"
#include "util/buf.h"

/* A splitmix64 random stream. */
typedef struct rng {
    uint64_t state;  /* advanced by 0x9e3779b97f4a7c15 per draw */
} rng_t;

/* The next 64 random bits. */
static uint64_t rng_next(rng_t *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A stream for (seed, item, purpose): independent of every other item's. */
static rng_t rng_for(uint64_t seed, uint64_t item, uint64_t purpose) {
    rng_t r = {seed * 0x2545f4914f6cdd1dull ^ (item << 8) ^ purpose};
    rng_next(&r);
    return r;
}

/* A uniform number in [0, n) (n > 0). */
static uint32_t below(rng_t *r, uint32_t n) { return (uint32_t)(rng_next(r) % n); }

/* A number in [lo, hi]. */
static uint32_t between(rng_t *r, uint32_t lo, uint32_t hi) { return lo + below(r, hi - lo + 1); }

/* True with probability permille / 1000. */
static bool chance(rng_t *r, uint32_t permille) { return below(r, 1000) < permille; }

/* Plain words: most of the text. */
static const char *const WORDS[] = {
    "the", "customer", "invoice", "workspace", "storage", "sync", "folder", "shared",
    "link", "account", "billing", "refund", "please", "error", "upload", "download",
    "file", "version", "history", "team", "seat", "plan", "support", "request", "client",
    "desktop", "server", "timeout", "latency", "region", "backup", "restore", "deleted",
    "owner", "admin", "password", "token", "session", "expired", "policy", "summary",
    "answer", "question", "report", "quarterly", "revenue", "forecast", "contract",
    "clause", "liability", "shipment", "warehouse", "order", "return", "label", "carrier",
    "translate", "classify", "extract", "entities", "sentiment", "positive", "negative",
    "neutral", "and", "or", "but", "with", "without", "for", "from", "into", "after",
    "before", "because", "when", "which", "that", "this", "every", "some", "none", "only",
    "is", "was", "are", "were", "will", "should", "could", "must", "not", "also", "then",
    "data", "model", "prompt", "batch", "result", "output", "input", "schema", "field",
    "value", "record", "table", "column", "row", "query", "index", "cache", "memory",
};

/* Words outside ASCII, and some that need escaping, sprinkled in. */
static const char *const RARE_WORDS[] = {
    "café", "naïve", "Zürich", "São Paulo", "façade", "Ångström", "東京", "数据",
    "客户支持", "привет", "счёт", "Ελληνικά", "λόγος", "😀", "🚀", "✅", "→", "€12.50",
    "\"quoted\"", "C:\\Users\\ana\\report.xlsx", "tab\tseparated", "a/b\\c", "50%",
    "<b>bold</b>", "x\x01y", "naïve \"café\"", "100 °C", "ß", "Ça va?", "日本語のテキスト",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The text profiles (--profile): what the free text of prompts and answers is made of. */
typedef enum text_profile {
    PROFILE_PROSE,     /* mostly ASCII prose with rare non-ASCII words and escapes */
    PROFILE_ESCAPES,   /* markdown, code and JSON inside strings: \n every line, quotes,
                        * backslashes, tabs, control characters */
    PROFILE_MULTIBYTE, /* CJK, Cyrillic, Arabic, emoji, combining marks; some characters as
                        * \uXXXX escapes (surrogate pairs for emoji) in the JSON itself */
    PROFILE_LONG,      /* prose, with answers of 4 to 16 KB */
} text_profile;

static const char *const PROFILE_NAMES[] = {"prose", "escapes", "multibyte", "long"};

/* The profile of this run: set once by main before anything is generated. */
static text_profile g_profile = PROFILE_PROSE;

/* Append sentences of plain and rare words to out until it grew by about target bytes.
 * Paragraph breaks are newlines. */
static void append_prose(buf_t *out, rng_t *r, size_t target) {
    size_t start = out->len;
    while (out->len - start < target) {
        uint32_t words = between(r, 5, 18);
        for (uint32_t w = 0; w < words; w++) {
            const char *word = chance(r, 40) ? RARE_WORDS[below(r, COUNT(RARE_WORDS))]
                                             : WORDS[below(r, COUNT(WORDS))];
            if (w) buf_putc(out, ' ');
            if (w == 0 && word[0] >= 'a' && word[0] <= 'z') {
                buf_putc(out, (char)(word[0] - 'a' + 'A'));
                buf_puts(out, word + 1);
            } else {
                buf_puts(out, word);
            }
        }
        buf_puts(out, chance(r, 150) ? "?" : ".");
        buf_puts(out, chance(r, 120) ? "\n\n" : " ");
    }
}

/* Lines of model output in markdown and code: each needs escapes (newline, quotes,
 * backslashes, tabs) once written into a JSON string. */
static const char *const ESCAPE_LINES[] = {
    "## Summary\n",
    "- **Invoice** `INV-20417` was \"paid\" twice; see `C:\\billing\\2026\\q1.csv`.\n",
    "```python\n",
    "def parse(line):\n\treturn json.loads(line.strip())[\"custom_id\"]\n",
    "```\n",
    "```json\n",
    "{\"order\": \"INV-20417\", \"status\": \"refunded\", \"path\": \"a\\\\b\", \"n\": 3}\n",
    "| field | value |\n|---|---|\n| \"region\" | eu\\west |\n",
    "if (s[i] == '\"' || s[i] == '\\\\') { out += \"\\\\\"; }\n",
    "\tcol1\tcol2\tcol3\r\n",
    "regex: ^\\d{4}-\\d{2}-\\d{2}$ matches \"2026-03-09\"\n",
    "> Note: the \"sync\" folder\x01 had a control\x1f byte.\n",
    "1. Open the shared link.\n2. Click \"Restore\".\n3. Wait\b.\n",
    "<a href=\"https://example.com/?q=a&b=\\\"c\\\"\">link</a>\n",
};

/* Append markdown and code lines until out grew by about target bytes. */
static void append_escapes(buf_t *out, rng_t *r, size_t target) {
    size_t start = out->len;
    while (out->len - start < target) {
        if (chance(r, 300)) {
            uint32_t words = between(r, 3, 10);
            for (uint32_t w = 0; w < words; w++) {
                buf_puts(out, WORDS[below(r, COUNT(WORDS))]);
                buf_putc(out, w + 1 < words ? ' ' : '\n');
            }
        } else {
            buf_puts(out, ESCAPE_LINES[below(r, COUNT(ESCAPE_LINES))]);
        }
    }
}

/* Words and phrases in scripts outside ASCII: two to four bytes per character. */
static const char *const MULTIBYTE_WORDS[] = {
    "東京都の顧客", "数据同步失败", "客户支持请求", "请在二十四小时内回复", "日本語のテキストです",
    "한국어 문장입니다", "привет", "счёт-фактура", "возврат средств", "хранилище данных",
    "مرحبا بالعالم", "فاتورة العميل", "استرداد", "Ελληνικά", "λόγος", "שלום עולם",
    "ภาษาไทย", "हिन्दी पाठ", "😀", "🚀🚀", "✅", "👩‍💻", "🇯🇵", "e\xcc\x81te\xcc\x81",
    "n\xcc\x83o", "Zürich", "São Paulo", "Ångström", "→", "€12.50", "°C", "…",
};

/* Append words in many scripts until out grew by about target bytes. */
static void append_multibyte(buf_t *out, rng_t *r, size_t target) {
    size_t start = out->len;
    while (out->len - start < target) {
        uint32_t words = between(r, 4, 12);
        for (uint32_t w = 0; w < words; w++) {
            if (w) buf_puts(out, chance(r, 700) ? " " : "\xe3\x80\x81"); /* or U+3001 */
            buf_puts(out, chance(r, 100) ? WORDS[below(r, COUNT(WORDS))]
                                         : MULTIBYTE_WORDS[below(r, COUNT(MULTIBYTE_WORDS))]);
        }
        buf_puts(out, chance(r, 500) ? "\xe3\x80\x82" : "."); /* U+3002 or a full stop */
        buf_puts(out, chance(r, 120) ? "\n" : " ");
    }
}

/* Append free text of the run's profile until out grew by about target bytes. */
static void append_text(buf_t *out, rng_t *r, size_t target) {
    switch (g_profile) {
    case PROFILE_ESCAPES: append_escapes(out, r, target); break;
    case PROFILE_MULTIBYTE: append_multibyte(out, r, target); break;
    case PROFILE_PROSE:
    case PROFILE_LONG: append_prose(out, r, target); break;
    }
}

/* Append count random characters from alphabet. */
static void append_random(buf_t *out, rng_t *r, const char *alphabet, size_t count) {
    size_t size = strlen(alphabet);
    for (size_t i = 0; i < count; i++) buf_putc(out, alphabet[below(r, (uint32_t)size)]);
}

static const char ALNUM[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
static const char HEX[] = "0123456789abcdef";

/* Write "key": prefix followed by count random characters. */
static void write_random_id(jw_t *w, rng_t *r, const char *key, const char *prefix,
                            const char *alphabet, size_t count) {
    buf_t id = BUF_INIT;
    buf_puts(&id, prefix);
    append_random(&id, r, alphabet, count);
    jw_key(w, key);
    jw_string(w, (bt_str){id.data, id.len});
    buf_free(&id);
}

/* Append the JSON string literal json (quotes included, as jw_string writes it) to out with
 * every character outside the Basic Multilingual Plane written as a \uXXXX surrogate pair
 * and every eighth other non-ASCII character as \uXXXX: how some encoders (Python's
 * json.dumps with ensure_ascii, for one) write text, which a reader must decode. */
static void append_unicode_escaped(buf_t *out, const buf_t *json) {
    const unsigned char *p = (const unsigned char *)json->data;
    unsigned others = 0;
    for (size_t i = 0; i < json->len;) {
        size_t length = p[i] < 0x80 ? 1 : p[i] < 0xE0 ? 2 : p[i] < 0xF0 ? 3 : 4;
        if (length == 1 || (length < 4 && ++others % 8)) {
            buf_append(out, json->data + i, length);
            i += length;
            continue;
        }
        uint32_t code = p[i] & (0xFF >> (length + 1));
        for (size_t k = 1; k < length; k++) code = code << 6 | (p[i + k] & 0x3F);
        char escape[16];
        if (code >= 0x10000)
            snprintf(escape, sizeof escape, "\\u%04X\\u%04x", 0xD800 + ((code - 0x10000) >> 10),
                     0xDC00 + ((code - 0x10000) & 0x3FF));
        else
            snprintf(escape, sizeof escape, "\\u%04x", code);
        buf_puts(out, escape);
        i += length;
    }
}

/* Write "key": a text of about target bytes (in the multibyte profile with some characters
 * as \uXXXX escapes, see append_unicode_escaped). */
static void write_text(jw_t *w, rng_t *r, const char *key, size_t target) {
    buf_t text = BUF_INIT;
    append_text(&text, r, target);
    jw_key(w, key);
    if (g_profile == PROFILE_MULTIBYTE) {
        buf_t literal = BUF_INIT, escaped = BUF_INIT;
        jw_t literal_writer;
        jw_init(&literal_writer, &literal);
        jw_string(&literal_writer, (bt_str){text.data, text.len});
        append_unicode_escaped(&escaped, &literal);
        jw_raw(w, (bt_str){escaped.data, escaped.len});
        buf_free(&literal);
        buf_free(&escaped);
    } else {
        jw_string(w, (bt_str){text.data, text.len});
    }
    buf_free(&text);
}

/* The generator's settings and shared material. */
typedef struct gen {
    const char *provider;     /* "openai" or "anthropic" */
    const char *out_dir;      /* where the files go */
    uint32_t items;           /* batch size */
    uint64_t seed;            /* everything derives from it */
    uint32_t results_scale;   /* answers are about this many times longer */
    buf_t system_prompts[8];  /* shared system prompts, 200 B to 3 KB */
    uint64_t created_at;      /* the batch's creation time (unix seconds) */
} gen_t;

/* The properties of one item, the same whether its input or its result is being written. */
typedef struct item_plan {
    uint32_t model;           /* index into the provider's model table */
    uint32_t system_prompt;   /* which shared system prompt; COUNT means none */
    uint32_t turns;           /* user turns (1 to 4) */
    bool tools;               /* the request defines tools */
    bool tool_round;          /* the conversation already holds a tool call and its result */
    bool calls_tool;          /* the answer is a tool call */
    bool reasoning;           /* a reasoning model (OpenAI) or thinking enabled (Anthropic) */
    uint32_t outcome;         /* 0 succeeded, 1 errored, 2 expired (Anthropic only) */
    uint32_t answer_bytes;    /* rough length of the answer text */
    uint32_t prompt_tokens;   /* usage */
    uint32_t completion_tokens;
    uint32_t cached_tokens;
    uint32_t reasoning_tokens;
} item_plan;

static const char *const OPENAI_MODELS[] = {"gpt-4o-mini", "gpt-4.1-mini", "o4-mini", "gpt-4o",
                                            "gpt-5-mini"};
static const char *const OPENAI_RESPONSE_MODELS[] = {
    "gpt-4o-mini-2024-07-18", "gpt-4.1-mini-2025-04-14", "o4-mini-2025-04-16",
    "gpt-4o-2024-08-06", "gpt-5-mini-2025-08-07"};
static const bool OPENAI_REASONING[] = {false, false, true, false, true};
static const char *const ANTHROPIC_MODELS[] = {"claude-haiku-4-5", "claude-sonnet-4-5",
                                               "claude-opus-4-1"};
static const char *const ANTHROPIC_RESPONSE_MODELS[] = {
    "claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805"};

/* Decide item number index's properties. */
static item_plan plan_item(const gen_t *g, uint32_t index) {
    rng_t r = rng_for(g->seed, index, 0);
    item_plan p;
    memset(&p, 0, sizeof p);
    bool openai = strcmp(g->provider, "openai") == 0;
    p.model = below(&r, openai ? COUNT(OPENAI_MODELS) : COUNT(ANTHROPIC_MODELS));
    p.system_prompt = chance(&r, 850) ? below(&r, COUNT(g->system_prompts))
                                      : (uint32_t)COUNT(g->system_prompts);
    p.turns = chance(&r, 700) ? 1 : between(&r, 2, 4);
    p.tools = chance(&r, 200);
    p.tool_round = p.tools && chance(&r, 300);
    p.calls_tool = p.tools && chance(&r, 500);
    p.reasoning = openai ? OPENAI_REASONING[p.model] : chance(&r, 150);
    uint32_t roll = below(&r, 1000);
    p.outcome = roll < (openai ? 10u : 6u) ? 1 : (!openai && roll < 8) ? 2 : 0;
    p.answer_bytes = between(&r, 150, 2000) * g->results_scale + (g->results_scale - 1) * 1000;
    if (g_profile == PROFILE_LONG) p.answer_bytes = between(&r, 4096, 16384) * g->results_scale;
    p.prompt_tokens = between(&r, 120, 2400);
    p.completion_tokens = p.answer_bytes / 4 + between(&r, 0, 40);
    p.cached_tokens = chance(&r, 400) ? (p.prompt_tokens / 1024) * 1024 : 0;
    p.reasoning_tokens = p.reasoning ? 64 * between(&r, 1, 40) : 0;
    p.completion_tokens += p.reasoning_tokens;
    return p;
}

/* Write the custom_id of item index. */
static void write_custom_id(jw_t *w, uint32_t index) {
    static const char *const JOBS[] = {"ticket", "receipt", "summary", "translate", "eval"};
    char id[64];
    snprintf(id, sizeof id, "%s-%07u", JOBS[index % COUNT(JOBS)], index);
    jw_key(w, "custom_id");
    jw_cstring(w, id);
}

/* Write an OpenAI-style function tool definition (OpenAI nests it under "function"). */
static void write_openai_tools(jw_t *w) {
    jw_key(w, "tools");
    jw_array_open(w);
    static const char *const NAMES[] = {"lookup_order", "get_weather_forecast", "search_docs"};
    static const char *const PARAMETERS =
        "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\",\"description\":"
        "\"What to look up, e.g. \\\"INV-20417\\\"\"},\"limit\":{\"type\":\"integer\",\"minimum\""
        ":1,\"maximum\":50},\"region\":{\"type\":\"string\",\"enum\":[\"eu\",\"us\",\"apac\"]}},"
        "\"required\":[\"query\"],\"additionalProperties\":false}";
    for (size_t t = 0; t < COUNT(NAMES); t++) {
        jw_object_open(w);
        jw_key(w, "type");
        jw_cstring(w, "function");
        jw_key(w, "function");
        jw_object_open(w);
        jw_key(w, "name");
        jw_cstring(w, NAMES[t]);
        jw_key(w, "description");
        jw_cstring(w, "Looks the thing up in the company's systems and returns JSON.");
        jw_key(w, "parameters");
        jw_raw(w, str_c(PARAMETERS));
        jw_object_close(w);
        jw_object_close(w);
    }
    jw_array_close(w);
}

/* Write a tool call's arguments: a JSON object, itself written as a JSON string. */
static void write_arguments(jw_t *w, rng_t *r, const char *key) {
    buf_t args = BUF_INIT;
    jw_t args_writer;
    jw_init(&args_writer, &args);
    jw_object_open(&args_writer);
    jw_key(&args_writer, "query");
    jw_cstring(&args_writer, RARE_WORDS[below(r, COUNT(RARE_WORDS))]);
    jw_key(&args_writer, "order");
    char order[32];
    snprintf(order, sizeof order, "INV-%05u", between(r, 10000, 99999));
    jw_cstring(&args_writer, order);
    jw_key(&args_writer, "limit");
    jw_int(&args_writer, between(r, 1, 50));
    jw_object_close(&args_writer);
    jw_key(w, key);
    jw_string(w, (bt_str){args.data, args.len});
    buf_free(&args);
}

/* Write one OpenAI input line for item index into out. */
static void openai_input(const gen_t *g, uint32_t index, buf_t *out) {
    item_plan p = plan_item(g, index);
    rng_t r = rng_for(g->seed, index, 1);
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    write_custom_id(&w, index);
    jw_key(&w, "method");
    jw_cstring(&w, "POST");
    jw_key(&w, "url");
    jw_cstring(&w, "/v1/chat/completions");
    jw_key(&w, "body");
    jw_object_open(&w);
    jw_key(&w, "model");
    jw_cstring(&w, OPENAI_MODELS[p.model]);
    jw_key(&w, "messages");
    jw_array_open(&w);
    if (p.system_prompt < COUNT(g->system_prompts)) {
        const buf_t *prompt = &g->system_prompts[p.system_prompt];
        jw_object_open(&w);
        jw_key(&w, "role");
        jw_cstring(&w, p.reasoning ? "developer" : "system");
        jw_key(&w, "content");
        jw_string(&w, (bt_str){prompt->data, prompt->len});
        jw_object_close(&w);
    }
    for (uint32_t turn = 0; turn < p.turns; turn++) {
        jw_object_open(&w);
        jw_key(&w, "role");
        jw_cstring(&w, "user");
        if (chance(&r, 200)) { /* content as typed parts */
            jw_key(&w, "content");
            jw_array_open(&w);
            jw_object_open(&w);
            jw_key(&w, "type");
            jw_cstring(&w, "text");
            write_text(&w, &r, "text", between(&r, 80, 600));
            jw_object_close(&w);
            jw_array_close(&w);
        } else {
            write_text(&w, &r, "content", between(&r, 80, 600));
        }
        jw_object_close(&w);
        if (turn + 1 < p.turns) {
            jw_object_open(&w);
            jw_key(&w, "role");
            jw_cstring(&w, "assistant");
            write_text(&w, &r, "content", between(&r, 80, 500));
            jw_object_close(&w);
        }
    }
    if (p.tool_round) {
        jw_object_open(&w);
        jw_key(&w, "role");
        jw_cstring(&w, "assistant");
        jw_key(&w, "content");
        jw_null(&w);
        jw_key(&w, "tool_calls");
        jw_array_open(&w);
        jw_object_open(&w);
        write_random_id(&w, &r, "id", "call_", ALNUM, 24);
        jw_key(&w, "type");
        jw_cstring(&w, "function");
        jw_key(&w, "function");
        jw_object_open(&w);
        jw_key(&w, "name");
        jw_cstring(&w, "lookup_order");
        write_arguments(&w, &r, "arguments");
        jw_object_close(&w);
        jw_object_close(&w);
        jw_array_close(&w);
        jw_object_close(&w);
        jw_object_open(&w);
        jw_key(&w, "role");
        jw_cstring(&w, "tool");
        write_random_id(&w, &r, "tool_call_id", "call_", ALNUM, 24);
        write_text(&w, &r, "content", between(&r, 60, 400));
        jw_object_close(&w);
    }
    jw_array_close(&w);
    if (p.reasoning) {
        jw_key(&w, "max_completion_tokens");
        jw_int(&w, 4000);
        jw_key(&w, "reasoning_effort");
        jw_cstring(&w, chance(&r, 500) ? "low" : "medium");
    } else {
        jw_key(&w, "max_tokens");
        jw_int(&w, between(&r, 2, 16) * 128);
        jw_key(&w, "temperature");
        jw_double(&w, (double)between(&r, 0, 10) / 10.0);
        if (chance(&r, 300)) {
            jw_key(&w, "top_p");
            jw_double(&w, 0.9);
        }
        if (chance(&r, 200)) {
            jw_key(&w, "seed");
            jw_int(&w, between(&r, 1, 1000000));
        }
        if (chance(&r, 100)) {
            jw_key(&w, "stop");
            jw_array_open(&w);
            jw_cstring(&w, "\n\nTicket:");
            jw_cstring(&w, "END");
            jw_array_close(&w);
        }
    }
    if (p.tools) write_openai_tools(&w);
    jw_object_close(&w);
    jw_object_close(&w);
}

/* Write one OpenAI result line (output or error file) for item index into out. */
static void openai_result(const gen_t *g, uint32_t index, buf_t *out) {
    item_plan p = plan_item(g, index);
    rng_t r = rng_for(g->seed, index, 2);
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    write_random_id(&w, &r, "id", "batch_req_", HEX, 32);
    write_custom_id(&w, index);
    jw_key(&w, "response");
    jw_object_open(&w);
    jw_key(&w, "status_code");
    jw_int(&w, p.outcome ? 400 : 200);
    write_random_id(&w, &r, "request_id", "req_", HEX, 32);
    jw_key(&w, "body");
    jw_object_open(&w);
    if (p.outcome) {
        static const char *const CODES[] = {"context_length_exceeded", "invalid_image_url",
                                            "invalid_value"};
        uint32_t code = below(&r, COUNT(CODES));
        jw_key(&w, "error");
        jw_object_open(&w);
        jw_key(&w, "message");
        jw_cstring(&w, code == 0 ? "This model's maximum context length is 128000 tokens. "
                                   "However, your messages resulted in 131072 tokens."
                                 : "Invalid value for 'messages[1].content': \"image_url\" "
                                   "could not be downloaded.");
        jw_key(&w, "type");
        jw_cstring(&w, "invalid_request_error");
        jw_key(&w, "param");
        jw_null(&w);
        jw_key(&w, "code");
        jw_cstring(&w, CODES[code]);
        jw_object_close(&w);
    } else {
        write_random_id(&w, &r, "id", "chatcmpl-", ALNUM, 29);
        jw_key(&w, "object");
        jw_cstring(&w, "chat.completion");
        jw_key(&w, "created");
        jw_uint(&w, g->created_at + between(&r, 60, 80000));
        jw_key(&w, "model");
        jw_cstring(&w, OPENAI_RESPONSE_MODELS[p.model]);
        jw_key(&w, "choices");
        jw_array_open(&w);
        jw_object_open(&w);
        jw_key(&w, "index");
        jw_int(&w, 0);
        jw_key(&w, "message");
        jw_object_open(&w);
        jw_key(&w, "role");
        jw_cstring(&w, "assistant");
        if (p.calls_tool) {
            jw_key(&w, "content");
            jw_null(&w);
            jw_key(&w, "tool_calls");
            jw_array_open(&w);
            jw_object_open(&w);
            write_random_id(&w, &r, "id", "call_", ALNUM, 24);
            jw_key(&w, "type");
            jw_cstring(&w, "function");
            jw_key(&w, "function");
            jw_object_open(&w);
            jw_key(&w, "name");
            jw_cstring(&w, "search_docs");
            write_arguments(&w, &r, "arguments");
            jw_object_close(&w);
            jw_object_close(&w);
            jw_array_close(&w);
        } else {
            write_text(&w, &r, "content", p.answer_bytes);
        }
        jw_key(&w, "refusal");
        jw_null(&w);
        jw_key(&w, "annotations");
        jw_array_open(&w);
        jw_array_close(&w);
        jw_object_close(&w);
        jw_key(&w, "logprobs");
        jw_null(&w);
        jw_key(&w, "finish_reason");
        jw_cstring(&w, p.calls_tool ? "tool_calls" : chance(&r, 30) ? "length" : "stop");
        jw_object_close(&w);
        jw_array_close(&w);
        jw_key(&w, "usage");
        jw_object_open(&w);
        jw_key(&w, "prompt_tokens");
        jw_uint(&w, p.prompt_tokens);
        jw_key(&w, "completion_tokens");
        jw_uint(&w, p.completion_tokens);
        jw_key(&w, "total_tokens");
        jw_uint(&w, p.prompt_tokens + p.completion_tokens);
        jw_key(&w, "prompt_tokens_details");
        jw_object_open(&w);
        jw_key(&w, "cached_tokens");
        jw_uint(&w, p.cached_tokens);
        jw_key(&w, "audio_tokens");
        jw_int(&w, 0);
        jw_object_close(&w);
        jw_key(&w, "completion_tokens_details");
        jw_object_open(&w);
        jw_key(&w, "reasoning_tokens");
        jw_uint(&w, p.reasoning_tokens);
        jw_key(&w, "audio_tokens");
        jw_int(&w, 0);
        jw_key(&w, "accepted_prediction_tokens");
        jw_int(&w, 0);
        jw_key(&w, "rejected_prediction_tokens");
        jw_int(&w, 0);
        jw_object_close(&w);
        jw_object_close(&w);
        jw_key(&w, "service_tier");
        jw_cstring(&w, "default");
        jw_key(&w, "system_fingerprint");
        jw_cstring(&w, "fp_0ba0d124f1");
    }
    jw_object_close(&w);
    jw_object_close(&w);
    jw_key(&w, "error");
    jw_null(&w);
    jw_object_close(&w);
}

/* Write an Anthropic text block {"type":"text","text":...} of about target bytes. */
static void write_text_block(jw_t *w, rng_t *r, size_t target, bool cache_control) {
    jw_object_open(w);
    jw_key(w, "type");
    jw_cstring(w, "text");
    write_text(w, r, "text", target);
    if (cache_control) {
        jw_key(w, "cache_control");
        jw_raw(w, str_c("{\"type\":\"ephemeral\"}"));
    }
    jw_object_close(w);
}

/* Write Anthropic tool definitions. */
static void write_anthropic_tools(jw_t *w) {
    jw_key(w, "tools");
    jw_raw(w, str_c(
        "[{\"name\":\"lookup_order\",\"description\":\"Looks an order up by its number.\","
        "\"input_schema\":{\"type\":\"object\",\"properties\":{\"order\":{\"type\":\"string\"}},"
        "\"required\":[\"order\"]}},{\"name\":\"get_weather_forecast\",\"description\":"
        "\"Forecast for a city and a date (\\\"YYYY-MM-DD\\\").\",\"input_schema\":{\"type\":"
        "\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"date\":{\"type\":"
        "\"string\"}},\"required\":[\"city\",\"date\"]}}]"));
}

/* Write one Anthropic request line {custom_id, params} for item index into out. */
static void anthropic_input(const gen_t *g, uint32_t index, buf_t *out) {
    item_plan p = plan_item(g, index);
    rng_t r = rng_for(g->seed, index, 1);
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    write_custom_id(&w, index);
    jw_key(&w, "params");
    jw_object_open(&w);
    jw_key(&w, "model");
    jw_cstring(&w, ANTHROPIC_MODELS[p.model]);
    jw_key(&w, "max_tokens");
    jw_int(&w, between(&r, 2, 16) * 256);
    if (p.reasoning) {
        jw_key(&w, "thinking");
        jw_raw(&w, str_c("{\"type\":\"enabled\",\"budget_tokens\":1024}"));
    } else {
        jw_key(&w, "temperature");
        jw_double(&w, (double)between(&r, 0, 10) / 10.0);
        if (chance(&r, 150)) {
            jw_key(&w, "top_k");
            jw_int(&w, 40);
        }
    }
    if (p.system_prompt < COUNT(g->system_prompts)) {
        const buf_t *prompt = &g->system_prompts[p.system_prompt];
        jw_key(&w, "system");
        if (p.system_prompt % 2) {
            jw_string(&w, (bt_str){prompt->data, prompt->len});
        } else { /* blocks, the long one cached */
            jw_array_open(&w);
            write_text_block(&w, &r, 120, false);
            jw_object_open(&w);
            jw_key(&w, "type");
            jw_cstring(&w, "text");
            jw_key(&w, "text");
            jw_string(&w, (bt_str){prompt->data, prompt->len});
            jw_key(&w, "cache_control");
            jw_raw(&w, str_c("{\"type\":\"ephemeral\"}"));
            jw_object_close(&w);
            jw_array_close(&w);
        }
    }
    jw_key(&w, "messages");
    jw_array_open(&w);
    for (uint32_t turn = 0; turn < p.turns; turn++) {
        jw_object_open(&w);
        jw_key(&w, "role");
        jw_cstring(&w, "user");
        if (chance(&r, 300)) {
            jw_key(&w, "content");
            jw_array_open(&w);
            write_text_block(&w, &r, between(&r, 80, 600), false);
            jw_array_close(&w);
        } else {
            write_text(&w, &r, "content", between(&r, 80, 600));
        }
        jw_object_close(&w);
        if (turn + 1 < p.turns) {
            jw_object_open(&w);
            jw_key(&w, "role");
            jw_cstring(&w, "assistant");
            write_text(&w, &r, "content", between(&r, 80, 500));
            jw_object_close(&w);
        }
    }
    if (p.tool_round) {
        buf_t tool_id = BUF_INIT;
        buf_puts(&tool_id, "toolu_01");
        append_random(&tool_id, &r, ALNUM, 22);
        jw_object_open(&w);
        jw_key(&w, "role");
        jw_cstring(&w, "assistant");
        jw_key(&w, "content");
        jw_array_open(&w);
        jw_object_open(&w);
        jw_key(&w, "type");
        jw_cstring(&w, "tool_use");
        jw_key(&w, "id");
        jw_string(&w, (bt_str){tool_id.data, tool_id.len});
        jw_key(&w, "name");
        jw_cstring(&w, "lookup_order");
        jw_key(&w, "input");
        jw_raw(&w, str_c("{\"order\":\"NW-88413\"}"));
        jw_object_close(&w);
        jw_array_close(&w);
        jw_object_close(&w);
        jw_object_open(&w);
        jw_key(&w, "role");
        jw_cstring(&w, "user");
        jw_key(&w, "content");
        jw_array_open(&w);
        jw_object_open(&w);
        jw_key(&w, "type");
        jw_cstring(&w, "tool_result");
        jw_key(&w, "tool_use_id");
        jw_string(&w, (bt_str){tool_id.data, tool_id.len});
        write_text(&w, &r, "content", between(&r, 60, 400));
        jw_object_close(&w);
        jw_array_close(&w);
        jw_object_close(&w);
        buf_free(&tool_id);
    }
    jw_array_close(&w);
    if (p.tools) write_anthropic_tools(&w);
    jw_object_close(&w);
    jw_object_close(&w);
}

/* Write one Anthropic result line for item index into out. */
static void anthropic_result(const gen_t *g, uint32_t index, buf_t *out) {
    item_plan p = plan_item(g, index);
    rng_t r = rng_for(g->seed, index, 2);
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    write_custom_id(&w, index);
    jw_key(&w, "result");
    jw_object_open(&w);
    if (p.outcome == 2) {
        jw_key(&w, "type");
        jw_cstring(&w, "expired");
    } else if (p.outcome == 1) {
        jw_key(&w, "type");
        jw_cstring(&w, "errored");
        jw_key(&w, "error");
        jw_raw(&w, str_c("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                         "\"message\":\"max_tokens: 64000 > 32000, which is the maximum "
                         "allowed number of output tokens\"}}"));
    } else {
        jw_key(&w, "type");
        jw_cstring(&w, "succeeded");
        jw_key(&w, "message");
        jw_object_open(&w);
        jw_key(&w, "model");
        jw_cstring(&w, ANTHROPIC_RESPONSE_MODELS[p.model]);
        write_random_id(&w, &r, "id", "msg_01", ALNUM, 22);
        jw_key(&w, "type");
        jw_cstring(&w, "message");
        jw_key(&w, "role");
        jw_cstring(&w, "assistant");
        jw_key(&w, "content");
        jw_array_open(&w);
        if (p.reasoning) {
            jw_object_open(&w);
            jw_key(&w, "type");
            jw_cstring(&w, "thinking");
            write_text(&w, &r, "thinking", between(&r, 200, 800));
            write_random_id(&w, &r, "signature", "Et", ALNUM, between(&r, 200, 400));
            jw_object_close(&w);
        }
        write_text_block(&w, &r, p.calls_tool ? 80 : p.answer_bytes, false);
        if (p.calls_tool) {
            jw_object_open(&w);
            jw_key(&w, "type");
            jw_cstring(&w, "tool_use");
            write_random_id(&w, &r, "id", "toolu_01", ALNUM, 22);
            jw_key(&w, "name");
            jw_cstring(&w, "get_weather_forecast");
            jw_key(&w, "input");
            jw_raw(&w, str_c("{\"city\":\"São Paulo\",\"date\":\"2026-03-10\"}"));
            jw_object_close(&w);
        }
        jw_array_close(&w);
        jw_key(&w, "stop_reason");
        jw_cstring(&w, p.calls_tool ? "tool_use" : chance(&r, 30) ? "max_tokens" : "end_turn");
        jw_key(&w, "stop_sequence");
        jw_null(&w);
        uint32_t cache_creation = p.cached_tokens ? 0 : (chance(&r, 200) ? 1024 : 0);
        jw_key(&w, "usage");
        jw_object_open(&w);
        jw_key(&w, "input_tokens");
        jw_uint(&w, p.prompt_tokens - p.cached_tokens);
        jw_key(&w, "cache_creation_input_tokens");
        jw_uint(&w, cache_creation);
        jw_key(&w, "cache_read_input_tokens");
        jw_uint(&w, p.cached_tokens);
        jw_key(&w, "cache_creation");
        jw_object_open(&w);
        jw_key(&w, "ephemeral_5m_input_tokens");
        jw_uint(&w, cache_creation);
        jw_key(&w, "ephemeral_1h_input_tokens");
        jw_int(&w, 0);
        jw_object_close(&w);
        jw_key(&w, "output_tokens");
        jw_uint(&w, p.completion_tokens);
        jw_key(&w, "service_tier");
        jw_cstring(&w, "batch");
        jw_object_close(&w);
        jw_object_close(&w);
    }
    jw_object_close(&w);
    jw_object_close(&w);
}

/* A writer of one output file: a stdio stream with a large buffer. */
typedef struct out_file {
    FILE *stream;    /* owned */
    char *path;      /* owned, for messages */
    uint64_t bytes;  /* written so far */
} out_file;

/* Open DIR/name for writing. -1 with a message on stderr. */
static int out_open(out_file *file, const gen_t *g, const char *name) {
    buf_t path = BUF_INIT;
    buf_printf(&path, "%s/%s", g->out_dir, name);
    file->path = buf_detach(&path);
    file->bytes = 0;
    file->stream = fopen(file->path, "wb");
    if (!file->stream) {
        fprintf(stderr, "batchtrace-bench-gen: %s: %s\n", file->path, strerror(errno));
        return -1;
    }
    setvbuf(file->stream, NULL, _IOFBF, 1 << 20);
    return 0;
}

/* Append line and a newline. */
static void out_line(out_file *file, const buf_t *line) {
    fwrite(line->data, 1, line->len, file->stream);
    fputc('\n', file->stream);
    file->bytes += line->len + 1;
}

/* Close the file. -1 with a message when a write failed. Prints what was written. */
static int out_close(out_file *file) {
    int rc = 0;
    if (file->stream && (ferror(file->stream) | fclose(file->stream))) {
        fprintf(stderr, "batchtrace-bench-gen: %s: write failed\n", file->path);
        rc = -1;
    }
    if (rc == 0) printf("%s %llu\n", file->path, (unsigned long long)file->bytes);
    free(file->path);
    file->stream = NULL;
    file->path = NULL;
    return rc;
}

/* A permutation of 0..count-1 (Fisher-Yates from the seed); the caller frees it. */
static uint32_t *shuffled_order(const gen_t *g) {
    uint32_t *order = xcalloc(g->items ? g->items : 1, sizeof *order);
    for (uint32_t i = 0; i < g->items; i++) order[i] = i;
    rng_t r = rng_for(g->seed, UINT32_MAX, 3);
    for (uint32_t i = g->items; i > 1; i--) {
        uint32_t j = below(&r, i);
        uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    return order;
}

/* Write the batch object. */
static int write_batch(const gen_t *g, uint32_t errored, uint32_t expired) {
    out_file file;
    if (out_open(&file, g, "batch.json") < 0) return -1;
    buf_t text = BUF_INIT;
    if (strcmp(g->provider, "openai") == 0) {
        buf_printf(&text,
                   "{\"id\":\"batch_bench%08llx\",\"object\":\"batch\",\"endpoint\":"
                   "\"/v1/chat/completions\",\"status\":\"completed\",\"created_at\":%llu,"
                   "\"in_progress_at\":%llu,\"completed_at\":%llu,\"request_counts\":"
                   "{\"total\":%u,\"completed\":%u,\"failed\":%u}}",
                   (unsigned long long)g->seed, (unsigned long long)g->created_at,
                   (unsigned long long)g->created_at + 4,
                   (unsigned long long)g->created_at + 86000, g->items, g->items - errored,
                   errored);
    } else {
        buf_printf(&text,
                   "{\"id\":\"msgbatch_bench%08llx\",\"type\":\"message_batch\","
                   "\"processing_status\":\"ended\",\"request_counts\":{\"processing\":0,"
                   "\"succeeded\":%u,\"errored\":%u,\"canceled\":0,\"expired\":%u},"
                   "\"created_at\":\"2026-03-11T08:30:05Z\",\"ended_at\":"
                   "\"2026-03-12T08:30:46Z\"}",
                   (unsigned long long)g->seed, g->items - errored - expired, errored, expired);
    }
    out_line(&file, &text);
    buf_free(&text);
    return out_close(&file);
}

/* Write the whole batch. 0 or -1. */
static int generate(const gen_t *g) {
    bool openai = strcmp(g->provider, "openai") == 0;
    void (*write_input)(const gen_t *, uint32_t, buf_t *) = openai ? openai_input : anthropic_input;
    void (*write_result)(const gen_t *, uint32_t, buf_t *) =
        openai ? openai_result : anthropic_result;
    out_file inputs = {NULL, NULL, 0}, results = {NULL, NULL, 0}, errors = {NULL, NULL, 0};
    buf_t line = BUF_INIT;
    uint32_t *order = NULL;
    uint32_t errored = 0, expired = 0;
    int rc = -1;

    if (out_open(&inputs, g, openai ? "input.jsonl" : "requests.jsonl") < 0) goto done;
    for (uint32_t i = 0; i < g->items; i++) {
        buf_clear(&line);
        write_input(g, i, &line);
        out_line(&inputs, &line);
    }
    if (out_close(&inputs) < 0) goto done;

    if (out_open(&results, g, openai ? "output.jsonl" : "results.jsonl") < 0) goto done;
    if (openai && out_open(&errors, g, "errors.jsonl") < 0) goto done;
    order = shuffled_order(g);
    for (uint32_t n = 0; n < g->items; n++) {
        item_plan p = plan_item(g, order[n]);
        errored += p.outcome == 1;
        expired += p.outcome == 2;
        buf_clear(&line);
        write_result(g, order[n], &line);
        out_line(openai && p.outcome ? &errors : &results, &line);
    }
    if (out_close(&results) < 0) goto done;
    if (openai && out_close(&errors) < 0) goto done;
    rc = write_batch(g, errored, expired);
done:
    if (inputs.stream) out_close(&inputs);
    if (results.stream) out_close(&results);
    if (errors.stream) out_close(&errors);
    free(order);
    buf_free(&line);
    return rc;
}

/* ---- Gemini API and Bedrock batches (docs/providers.md) ---------------------------------- */

static const char *const GEMINI_MODELS[] = {"gemini-2.5-flash", "gemini-2.5-pro",
                                            "gemini-2.5-flash-lite"};
static const char *const BEDROCK_MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0";

/* Write the key (Gemini) or recordId (Bedrock) of item index. */
static void write_item_key(jw_t *w, const char *key, uint32_t index) {
    char id[32];
    snprintf(id, sizeof id, "%s%08u", strcmp(key, "key") == 0 ? "req-" : "REC", index);
    jw_key(w, key);
    jw_cstring(w, id);
}

/* Write Gemini contents: the user turns (and model turns between them) of item p. */
static void write_gemini_contents(jw_t *w, rng_t *r, const item_plan *p) {
    jw_key(w, "contents");
    jw_array_open(w);
    for (uint32_t turn = 0; turn < p->turns; turn++) {
        for (int model = 0; model < (turn + 1 < p->turns ? 2 : 1); model++) {
            jw_object_open(w);
            jw_key(w, "role");
            jw_cstring(w, model ? "model" : "user");
            jw_key(w, "parts");
            jw_array_open(w);
            jw_object_open(w);
            write_text(w, r, "text", between(r, 80, model ? 500 : 600));
            jw_object_close(w);
            jw_array_close(w);
            jw_object_close(w);
        }
    }
    jw_array_close(w);
}

/* Write one Gemini input line {key, request} for item index into out. */
static void gemini_input(const gen_t *g, uint32_t index, buf_t *out) {
    item_plan p = plan_item(g, index);
    rng_t r = rng_for(g->seed, index, 1);
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    write_item_key(&w, "key", index);
    jw_key(&w, "request");
    jw_object_open(&w);
    write_gemini_contents(&w, &r, &p);
    if (p.system_prompt < COUNT(g->system_prompts)) {
        const buf_t *prompt = &g->system_prompts[p.system_prompt];
        jw_key(&w, "systemInstruction");
        jw_object_open(&w);
        jw_key(&w, "parts");
        jw_array_open(&w);
        jw_object_open(&w);
        jw_key(&w, "text");
        jw_string(&w, (bt_str){prompt->data, prompt->len});
        jw_object_close(&w);
        jw_array_close(&w);
        jw_object_close(&w);
    }
    jw_key(&w, "generationConfig");
    jw_object_open(&w);
    jw_key(&w, "maxOutputTokens");
    jw_int(&w, between(&r, 2, 16) * 128);
    jw_key(&w, "temperature");
    jw_double(&w, (double)between(&r, 0, 10) / 10.0);
    jw_object_close(&w);
    jw_object_close(&w);
    jw_object_close(&w);
}

/* Write one Gemini result line {key, response} or {key, error} for item index into out. */
static void gemini_result(const gen_t *g, uint32_t index, buf_t *out) {
    item_plan p = plan_item(g, index);
    rng_t r = rng_for(g->seed, index, 2);
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    write_item_key(&w, "key", index);
    if (p.outcome) {
        jw_key(&w, "error");
        jw_object_open(&w);
        jw_key(&w, "code");
        jw_int(&w, 429);
        jw_key(&w, "message");
        jw_cstring(&w, "Resource has been exhausted (e.g. check quota).");
        jw_key(&w, "status");
        jw_cstring(&w, "RESOURCE_EXHAUSTED");
        jw_object_close(&w);
        jw_object_close(&w);
        return;
    }
    jw_key(&w, "response");
    jw_object_open(&w);
    jw_key(&w, "candidates");
    jw_array_open(&w);
    jw_object_open(&w);
    jw_key(&w, "content");
    jw_object_open(&w);
    jw_key(&w, "role");
    jw_cstring(&w, "model");
    jw_key(&w, "parts");
    jw_array_open(&w);
    jw_object_open(&w);
    write_text(&w, &r, "text", p.answer_bytes);
    jw_object_close(&w);
    jw_array_close(&w);
    jw_object_close(&w);
    jw_key(&w, "finishReason");
    jw_cstring(&w, "STOP");
    jw_key(&w, "index");
    jw_int(&w, 0);
    jw_object_close(&w);
    jw_array_close(&w);
    jw_key(&w, "usageMetadata");
    jw_object_open(&w);
    jw_key(&w, "promptTokenCount");
    jw_uint(&w, p.prompt_tokens);
    jw_key(&w, "candidatesTokenCount");
    jw_uint(&w, p.completion_tokens - p.reasoning_tokens);
    jw_key(&w, "totalTokenCount");
    jw_uint(&w, p.prompt_tokens + p.completion_tokens);
    if (p.cached_tokens) {
        jw_key(&w, "cachedContentTokenCount");
        jw_uint(&w, p.cached_tokens);
    }
    if (p.reasoning_tokens) {
        jw_key(&w, "thoughtsTokenCount");
        jw_uint(&w, p.reasoning_tokens);
    }
    jw_object_close(&w);
    jw_key(&w, "modelVersion");
    jw_cstring(&w, GEMINI_MODELS[p.model % COUNT(GEMINI_MODELS)]);
    write_random_id(&w, &r, "responseId", "", ALNUM, 22);
    jw_object_close(&w);
    jw_object_close(&w);
}

/* Write a Bedrock modelInput: a Claude Messages body for item p. */
static void write_bedrock_model_input(const gen_t *g, rng_t *r, const item_plan *p, jw_t *w) {
    jw_key(w, "modelInput");
    jw_object_open(w);
    jw_key(w, "anthropic_version");
    jw_cstring(w, "bedrock-2023-05-31");
    jw_key(w, "max_tokens");
    jw_int(w, between(r, 2, 16) * 128);
    if (p->system_prompt < COUNT(g->system_prompts)) {
        const buf_t *prompt = &g->system_prompts[p->system_prompt];
        jw_key(w, "system");
        jw_string(w, (bt_str){prompt->data, prompt->len});
    }
    jw_key(w, "messages");
    jw_array_open(w);
    for (uint32_t turn = 0; turn < p->turns; turn++) {
        for (int assistant = 0; assistant < (turn + 1 < p->turns ? 2 : 1); assistant++) {
            jw_object_open(w);
            jw_key(w, "role");
            jw_cstring(w, assistant ? "assistant" : "user");
            jw_key(w, "content");
            jw_array_open(w);
            jw_object_open(w);
            jw_key(w, "type");
            jw_cstring(w, "text");
            write_text(w, r, "text", between(r, 80, assistant ? 500 : 600));
            jw_object_close(w);
            jw_array_close(w);
            jw_object_close(w);
        }
    }
    jw_array_close(w);
    jw_object_close(w);
}

/* Write one Bedrock input line {recordId, modelInput} for item index into out. */
static void bedrock_input(const gen_t *g, uint32_t index, buf_t *out) {
    item_plan p = plan_item(g, index);
    rng_t r = rng_for(g->seed, index, 1);
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    write_item_key(&w, "recordId", index);
    write_bedrock_model_input(g, &r, &p, &w);
    jw_object_close(&w);
}

/* Write one Bedrock output line {recordId, modelInput, modelOutput | error} for item index
 * into out: the input echoed, as Bedrock writes it. */
static void bedrock_result(const gen_t *g, uint32_t index, buf_t *out) {
    item_plan p = plan_item(g, index);
    rng_t input_rng = rng_for(g->seed, index, 1), r = rng_for(g->seed, index, 2);
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    write_item_key(&w, "recordId", index);
    write_bedrock_model_input(g, &input_rng, &p, &w);
    if (p.outcome) {
        jw_key(&w, "error");
        jw_object_open(&w);
        jw_key(&w, "errorCode");
        jw_int(&w, 400);
        jw_key(&w, "errorMessage");
        jw_cstring(&w, "Input is too long for requested model.");
        jw_object_close(&w);
        jw_object_close(&w);
        return;
    }
    jw_key(&w, "modelOutput");
    jw_object_open(&w);
    write_random_id(&w, &r, "id", "msg_bdrk_", ALNUM, 24);
    jw_key(&w, "type");
    jw_cstring(&w, "message");
    jw_key(&w, "role");
    jw_cstring(&w, "assistant");
    jw_key(&w, "model");
    jw_cstring(&w, "claude-haiku-4-5-20251001");
    jw_key(&w, "content");
    jw_array_open(&w);
    jw_object_open(&w);
    jw_key(&w, "type");
    jw_cstring(&w, "text");
    write_text(&w, &r, "text", p.answer_bytes);
    jw_object_close(&w);
    jw_array_close(&w);
    jw_key(&w, "stop_reason");
    jw_cstring(&w, "end_turn");
    jw_key(&w, "usage");
    jw_object_open(&w);
    jw_key(&w, "input_tokens");
    jw_uint(&w, p.prompt_tokens - p.cached_tokens);
    jw_key(&w, "cache_read_input_tokens");
    jw_uint(&w, p.cached_tokens);
    jw_key(&w, "output_tokens");
    jw_uint(&w, p.completion_tokens);
    jw_object_close(&w);
    jw_object_close(&w);
    jw_object_close(&w);
}

/* Write a Gemini or Bedrock batch: inputs, results in a shuffled order, the batch object
 * (the Gemini batch's Operation; the Bedrock job). 0 or -1. */
static int generate_cloud(const gen_t *g) {
    bool gemini = strcmp(g->provider, "gemini") == 0;
    out_file inputs = {NULL, NULL, 0}, results = {NULL, NULL, 0}, batch = {NULL, NULL, 0};
    buf_t line = BUF_INIT;
    uint32_t *order = NULL;
    uint32_t errored = 0;
    int rc = -1;
    if (out_open(&inputs, g, "input.jsonl") < 0) goto done;
    for (uint32_t i = 0; i < g->items; i++) {
        buf_clear(&line);
        (gemini ? gemini_input : bedrock_input)(g, i, &line);
        out_line(&inputs, &line);
    }
    if (out_close(&inputs) < 0) goto done;
    if (out_open(&results, g, gemini ? "output.jsonl" : "input.jsonl.out") < 0) goto done;
    order = shuffled_order(g);
    for (uint32_t n = 0; n < g->items; n++) {
        errored += plan_item(g, order[n]).outcome != 0;
        buf_clear(&line);
        (gemini ? gemini_result : bedrock_result)(g, order[n], &line);
        out_line(&results, &line);
    }
    if (out_close(&results) < 0) goto done;
    if (out_open(&batch, g, "batch.json") < 0) goto done;
    buf_clear(&line);
    if (gemini)
        buf_printf(&line,
                   "{\"name\":\"batches/bench%08llx\",\"metadata\":{\"@type\":\"type.googleapis."
                   "com/google.ai.generativelanguage.v1main.GenerateContentBatch\",\"model\":"
                   "\"models/gemini-2.5-flash\",\"name\":\"batches/bench%08llx\",\"state\":"
                   "\"BATCH_STATE_SUCCEEDED\",\"createTime\":\"2026-03-09T14:02:11Z\","
                   "\"endTime\":\"2026-03-10T13:55:31Z\",\"batchStats\":{\"requestCount\":"
                   "\"%u\",\"successfulRequestCount\":\"%u\",\"failedRequestCount\":\"%u\"}},"
                   "\"done\":true}",
                   (unsigned long long)g->seed, (unsigned long long)g->seed, g->items,
                   g->items - errored, errored);
    else
        buf_printf(&line,
                   "{\"jobArn\":\"arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/"
                   "bench%08llx\",\"jobName\":\"bench\",\"modelId\":\"%s\",\"status\":"
                   "\"%s\",\"submitTime\":\"2026-03-09T14:02:11Z\",\"endTime\":"
                   "\"2026-03-10T13:55:31Z\"}",
                   (unsigned long long)g->seed, BEDROCK_MODEL,
                   errored ? "PartiallyCompleted" : "Completed");
    out_line(&batch, &line);
    rc = out_close(&batch);
done:
    if (inputs.stream) out_close(&inputs);
    if (results.stream) out_close(&results);
    free(order);
    buf_free(&line);
    return rc;
}

/* Parse a decimal number option; false when it is not one or is out of [min, max]. */
static bool parse_number(const char *text, uint64_t min, uint64_t max, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || value < min || value > max)
        return false;
    *out = value;
    return true;
}

/* Parse a --profile name; false when it names none. */
static bool parse_profile(const char *text, text_profile *out) {
    for (size_t k = 0; k < COUNT(PROFILE_NAMES); k++) {
        if (strcmp(text, PROFILE_NAMES[k]) == 0) {
            *out = (text_profile)k;
            return true;
        }
    }
    return false;
}

static const char USAGE[] =
    "usage: batchtrace-bench-gen --provider openai|anthropic|gemini|bedrock --out DIR\n"
    "                            [--items N] [--seed S] [--results-scale K]\n"
    "                            [--profile prose|escapes|multibyte|long]\n";

/* Parse the command line, write the batch. Exit 0, 1 (write failure) or 2 (usage). */
int main(int argc, char **argv) {
    gen_t g;
    memset(&g, 0, sizeof g);
    g.provider = "openai";
    g.items = 50000;
    g.seed = 1;
    g.results_scale = 1;
    g.created_at = 1773064931; /* 2026-03-09 */
    for (int i = 1; i < argc; i++) {
        uint64_t value;
        bool has_value = i + 1 < argc;
        if (strcmp(argv[i], "--provider") == 0 && has_value) {
            g.provider = argv[++i];
        } else if (strcmp(argv[i], "--out") == 0 && has_value) {
            g.out_dir = argv[++i];
        } else if (strcmp(argv[i], "--items") == 0 && has_value &&
                   parse_number(argv[i + 1], 1, 100000000, &value)) {
            g.items = (uint32_t)value;
            i++;
        } else if (strcmp(argv[i], "--seed") == 0 && has_value &&
                   parse_number(argv[i + 1], 0, UINT64_MAX, &value)) {
            g.seed = value;
            i++;
        } else if (strcmp(argv[i], "--profile") == 0 && has_value &&
                   parse_profile(argv[i + 1], &g_profile)) {
            i++;
        } else if (strcmp(argv[i], "--results-scale") == 0 && has_value &&
                   parse_number(argv[i + 1], 1, 64, &value)) {
            g.results_scale = (uint32_t)value;
            i++;
        } else {
            fprintf(stderr, "batchtrace-bench-gen: bad argument '%s'\n%s", argv[i], USAGE);
            return 2;
        }
    }
    bool cloud = strcmp(g.provider, "gemini") == 0 || strcmp(g.provider, "bedrock") == 0;
    if (!g.out_dir || (strcmp(g.provider, "openai") && strcmp(g.provider, "anthropic") && !cloud)) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (mkdir(g.out_dir, 0777) < 0 && errno != EEXIST) {
        fprintf(stderr, "batchtrace-bench-gen: %s: %s\n", g.out_dir, strerror(errno));
        return 1;
    }
    for (size_t s = 0; s < COUNT(g.system_prompts); s++) {
        rng_t r = rng_for(g.seed, UINT32_MAX, 100 + s);
        g.system_prompts[s] = (buf_t)BUF_INIT;
        buf_puts(&g.system_prompts[s], "You are a careful assistant for Northwind Cloud "
                                       "Storage. Answer with one JSON object.\n\n");
        append_text(&g.system_prompts[s], &r, 100 + s * 100);
    }
    int rc = cloud ? generate_cloud(&g) : generate(&g);
    for (size_t s = 0; s < COUNT(g.system_prompts); s++) buf_free(&g.system_prompts[s]);
    return rc < 0 ? 1 : 0;
}
