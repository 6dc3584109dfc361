#include "batch/inputs.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/arena.h"
#include "util/line_chunks.h"
#include "util/lines.h"

/* State shared by the record handlers of one indexing pass. */
typedef struct index_pass {
    input_file *input;
    custom_id_index *index;
    diag_sink *diags;
    size_t max_line;          /* longest record accepted */
    uint64_t detected_at;     /* with a detected provider, the file offset of the record it
                                 was told from: object records before it are rejected as
                                 unknown (0: none) */
    json_doc doc;             /* the create body's records, parsed one at a time */
    arena_t arena;            /* their custom_ids */
} index_pass;

/* Read one request record: parse it and take its custom_id (in arena). 0, or -1 with
 * reason (the record is rejected). Reads only the pass's settled fields: workers call it
 * at the same time. */
static int judge_record(const index_pass *pass, json_doc *doc, arena_t *arena, const char *text,
                        size_t len, uint64_t offset, bt_str *custom_id, char *reason) {
    if (json_parse(doc, text, len, reason) != 0) return -1;
    if (json_type_of(doc, 0) != JSON_OBJECT)
        return fail(reason, "a request record must be a JSON object");
    const provider_ops *provider = pass->input->provider;
    if (!provider || offset < pass->detected_at)
        return fail(reason,
                    "not a request record of a known provider (use --provider to say which)");
    arena_reset(arena);
    if (provider->request_custom_id(doc, 0, arena, custom_id, reason) != 0) return -1;
    if (custom_id->len == 0 || custom_id->len > UINT16_MAX)
        return fail(reason, "custom_id must be 1 to 65535 bytes long");
    if (len > UINT32_MAX) return fail(reason, "request record over 4 GiB");
    return 0;
}

/* Index a judged record found at offset/line; a custom_id seen before is rejected. */
static void insert_record(index_pass *pass, bt_str custom_id, size_t len, uint64_t offset,
                          uint64_t line_number) {
    const char *path = pass->input->name;
    bool existed;
    index_entry *entry = index_insert(pass->index, custom_id, &existed);
    if (!entry) {
        diag_reject(pass->diags, path, line_number, "too many custom_ids for one run (over 2^32)");
        return;
    }
    if (existed) {
        diag_reject(pass->diags, path, line_number,
                    "duplicate custom_id \"%.*s\" (first at line %u); this record is skipped",
                    (int)(custom_id.len > 80 ? 80 : custom_id.len), custom_id.ptr,
                    entry->record_line);
        return;
    }
    entry->record_offset = offset;
    entry->record_len = (uint32_t)len;
    entry->record_line = line_number > UINT32_MAX ? UINT32_MAX : (uint32_t)line_number;
    entry->flags |= INDEX_HAS_INPUT;
    pass->input->record_count++;
}

/* Judge and index one record of the create body, on the caller's thread. */
static void index_record(index_pass *pass, const char *text, size_t len, uint64_t offset,
                         uint64_t line_number) {
    char reason[REASON_MAX];
    bt_str custom_id;
    if (judge_record(pass, &pass->doc, &pass->arena, text, len, offset, &custom_id,
                     reason) != 0) {
        diag_reject(pass->diags, pass->input->name, line_number, "%s", reason);
        return;
    }
    insert_record(pass, custom_id, len, offset, line_number);
}

/* With no provider given: tell it from the first JSON object line it can be told from, as
 * a pass reading line after line would (the lines before it that are objects are then
 * rejected as unknown); none told leaves it unknown. Reads the source from the start up
 * to that line. -1 with reason (not naming the source) when it cannot be read. */
static int detect_provider(index_pass *pass, char *reason) {
    line_reader reader;
    lines_open(&reader, pass->input->source, pass->max_line);
    line ln;
    int got;
    while ((got = lines_next(&reader, &ln, reason)) == 1) {
        if (ln.too_long || json_parse(&pass->doc, ln.ptr, ln.len, reason) != 0 ||
            json_type_of(&pass->doc, 0) != JSON_OBJECT)
            continue;
        pass->input->provider = provider_detect_request(&pass->doc, 0);
        if (pass->input->provider) {
            pass->detected_at = ln.offset;
            break;
        }
    }
    lines_close(&reader);
    return got < 0 ? -1 : 0;
}

/* What a worker made of one JSONL line. */
typedef struct record_verdict {
    bool blank;               /* nothing to index */
    bool rejected;            /* text is why */
    size_t text_at;           /* the custom_id, or the rejection, in the verdicts' text */
    size_t text_len;
} record_verdict;

/* The verdicts on a chunk's lines (line_chunk.output). */
typedef struct record_verdicts {
    record_verdict *verdicts; /* one per line; owned */
    size_t cap;               /* verdicts allocated */
    buf_t text;               /* custom_ids and rejections */
} record_verdicts;

/* A worker's parser (line_chunk_ops.worker_new). */
typedef struct record_worker {
    json_doc doc;
    arena_t arena;
} record_worker;

/* A worker's parser (line_chunk_ops.worker_new). */
static void *record_worker_new(void *ctx) {
    (void)ctx;
    return xcalloc(1, sizeof(record_worker));
}

/* Release a worker's parser (line_chunk_ops.worker_free). */
static void record_worker_free(void *ctx, void *opaque) {
    (void)ctx;
    record_worker *w = opaque;
    json_doc_free(&w->doc);
    arena_free(&w->arena);
    free(w);
}

/* Release a chunk's verdicts (line_chunk_ops.output_free). */
static void record_verdicts_free(void *ctx, void *opaque) {
    (void)ctx;
    record_verdicts *v = opaque;
    free(v->verdicts);
    buf_free(&v->text);
    free(v);
}

/* Judge every line of a chunk (line_chunk_ops.work, on a worker). */
static void judge_records(void *ctx, void *worker, line_chunk *chunk) {
    const index_pass *pass = ctx;
    record_worker *w = worker;
    record_verdicts *v = chunk->output;
    if (!v) v = chunk->output = xcalloc(1, sizeof *v);
    if (v->cap < chunk->count) {
        v->cap = chunk->count;
        v->verdicts = xreallocarray(v->verdicts, v->cap, sizeof *v->verdicts);
    }
    buf_clear(&v->text);
    for (size_t i = 0; i < chunk->count; i++) {
        const chunk_line *ln = &chunk->lines[i];
        record_verdict *verdict = &v->verdicts[i];
        memset(verdict, 0, sizeof *verdict);
        const char *text = chunk->data + ln->at;
        char reason[REASON_MAX];
        if (ln->too_long) {
            fail(reason, "line of %zu bytes exceeds the line-length limit (%zu bytes, see "
                         "--max-line-bytes)", ln->len, pass->max_line);
        } else {
            size_t start = 0;
            while (start < ln->len && (text[start] == ' ' || text[start] == '\t')) start++;
            verdict->blank = start == ln->len; /* blank lines are fine */
            if (verdict->blank) continue;
            bt_str custom_id;
            if (judge_record(pass, &w->doc, &w->arena, text, ln->len, ln->offset, &custom_id,
                             reason) == 0) {
                verdict->text_at = v->text.len;
                verdict->text_len = custom_id.len;
                buf_append(&v->text, custom_id.ptr, custom_id.len);
                continue;
            }
        }
        verdict->rejected = true;
        verdict->text_at = v->text.len;
        verdict->text_len = strlen(reason);
        buf_append(&v->text, reason, verdict->text_len);
    }
}

/* Index a judged chunk in line order (line_chunk_ops.settle). Never stops the run. */
static int settle_records(void *ctx, line_chunk *chunk, char *reason) {
    (void)reason;
    index_pass *pass = ctx;
    const record_verdicts *v = chunk->output;
    for (size_t i = 0; i < chunk->count; i++) {
        const chunk_line *ln = &chunk->lines[i];
        const record_verdict *verdict = &v->verdicts[i];
        const char *text = v->text.data + verdict->text_at;
        if (verdict->rejected)
            diag_reject(pass->diags, pass->input->name, ln->number, "%.*s",
                        (int)verdict->text_len, text);
        else if (!verdict->blank)
            insert_record(pass, (bt_str){text, verdict->text_len}, ln->len, ln->offset,
                          ln->number);
    }
    return 0;
}

/* Index a JSONL source, one record per non-blank line, parsed on the workers. -1 with
 * reason ("NAME: why") when it cannot be read. */
static int index_jsonl(index_pass *pass, char *reason) {
    char detail[REASON_MAX];
    if (!pass->input->provider && detect_provider(pass, detail) != 0)
        return fail(reason, "%s: %s", pass->input->name, detail);
    static const line_chunk_ops ops = {
        .worker_new = record_worker_new,
        .worker_free = record_worker_free,
        .work = judge_records,
        .settle = settle_records,
        .output_free = record_verdicts_free,
    };
    return line_chunks_run(pass->input->source, 1, pass->max_line,
                           line_chunks_default_workers(), &ops, pass, reason);
}

/* The create-body scanner's bytes: a block buffer over the source. */
typedef struct scanner {
    const source_t *source;
    char block[1 << 16];
    size_t pos, end;
    uint64_t read_to;    /* source offset of block[end] */
    uint64_t offset;     /* source offset of block[pos] */
    uint64_t line;       /* current 1-based line */
    bool eof;
} scanner;

/* The next byte, or -1 at end of file (-2 on a read error, reason set). */
static int next_byte(scanner *s, char *reason) {
    if (s->pos == s->end) {
        if (s->eof) return -1;
        ssize_t n = source_read_at(s->source, s->block, sizeof s->block, s->read_to, reason);
        if (n < 0) return -2;
        if (n == 0) {
            s->eof = true;
            return -1;
        }
        s->pos = 0;
        s->end = (size_t)n;
        s->read_to += (uint64_t)n;
    }
    unsigned char c = (unsigned char)s->block[s->pos++];
    s->offset++;
    if (c == '\n') s->line++;
    return c;
}

/* The next byte that is not JSON whitespace. */
static int next_token_byte(scanner *s, char *reason) {
    int c;
    do c = next_byte(s, reason);
    while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
    return c;
}

/* Read one JSON value that starts with first, tracking strings and nesting so that brackets
 * inside strings do not count, and copy it into out (when not NULL) as long as it fits in
 * max_len bytes: *length is its full length, so a caller seeing *length > max_len knows out
 * holds only a prefix. A value of any length costs at most max_len bytes of memory.
 * Returns 0, or -1 with reason at a premature end. */
static int scan_value(scanner *s, int first, buf_t *out, size_t max_len, uint64_t *length,
                      char *reason) {
    int depth = 0;
    bool in_string = false, escaped = false;
    int c = first;
    *length = 0;
    for (;;) {
        if (out && *length < max_len) buf_putc(out, (char)c);
        ++*length;
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
        if (depth == 0 && !in_string) {
            if (first == '{' || first == '[' || first == '"') return 0;
        }
        c = next_byte(s, reason);
        if (c == -2) return -1;
        if (c == -1) return fail(reason, "unexpected end of file inside a request");
        if (depth == 0 && !in_string && first != '"' &&
            (c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
            /* a primitive ended: push the delimiter back */
            s->pos--;
            s->offset--;
            if (c == '\n') s->line--;
            return 0;
        }
    }
}

/* Index a create body {"requests": [...]}: find the "requests" array and index each of its
 * elements as a record. Other top-level members are skipped. -1 with reason (not naming
 * the source) when the body cannot be read or is not a create body. */
static int index_create_body(index_pass *pass, char *reason) {
    scanner *s = xcalloc(1, sizeof *s);
    s->source = pass->input->source;
    s->line = 1;
    buf_t value = BUF_INIT;
    int rc = -1;
    int c = next_token_byte(s, reason);
    if (c == 0xEF) { /* UTF-8 BOM */
        next_byte(s, reason);
        next_byte(s, reason);
        c = next_token_byte(s, reason);
    }
    if (c != '{') {
        fail(reason, "line %llu: expected '{' at the start of the create body",
             (unsigned long long)s->line);
        goto done;
    }
    bool found_requests = false;
    for (;;) {
        c = next_token_byte(s, reason);
        if (c == '}') break;
        if (c == ',') continue;
        if (c != '"') {
            fail(reason, "line %llu: expected a member name in the create body",
                 (unsigned long long)s->line);
            goto done;
        }
        buf_clear(&value);
        uint64_t length;
        if (scan_value(s, c, &value, 1 << 16, &length, reason) != 0) goto done;
        if (length > 1 << 16) {
            fail(reason, "line %llu: member name over 64 KiB in the create body",
                 (unsigned long long)s->line);
            goto done;
        }
        bool is_requests = strcmp(buf_cstr(&value), "\"requests\"") == 0;
        if (next_token_byte(s, reason) != ':') {
            fail(reason, "line %llu: expected ':' in the create body", (unsigned long long)s->line);
            goto done;
        }
        c = next_token_byte(s, reason);
        if (!is_requests || c != '[') {
            if (c < 0) break;
            if (scan_value(s, c, NULL, 0, &length, reason) != 0) goto done; /* not kept */
            continue;
        }
        found_requests = true;
        for (;;) {
            c = next_token_byte(s, reason);
            if (c == ']') break;
            if (c == ',') continue;
            if (c < 0) {
                fail(reason, "unexpected end of file inside \"requests\"");
                goto done;
            }
            uint64_t offset = s->offset - 1, line_number = s->line;
            buf_clear(&value);
            if (scan_value(s, c, &value, pass->max_line, &length, reason) != 0) {
                char detail[REASON_MAX];
                memcpy(detail, reason, REASON_MAX);
                fail(reason, "line %llu: %s", (unsigned long long)line_number, detail);
                goto done;
            }
            if (length > pass->max_line) {
                diag_reject(pass->diags, pass->input->name, line_number,
                            "request of %llu bytes exceeds the line-length limit (%zu bytes, "
                            "see --max-line-bytes)", (unsigned long long)length,
                            pass->max_line);
                continue;
            }
            index_record(pass, value.data, value.len, offset, line_number);
        }
    }
    if (!found_requests) {
        fail(reason, "the create body has no \"requests\" array");
        goto done;
    }
    rc = 0;
done:
    buf_free(&value);
    free(s);
    return rc;
}

/* True when the first JSON object in the source starts with the member "requests": the
 * create-body shape. Reads the first 4 KiB. */
static bool looks_like_create_body(const source_t *src) {
    char head[4096];
    char reason[REASON_MAX];
    ssize_t n = source_read_at(src, head, sizeof head - 1, 0, reason);
    if (n <= 0) return false; /* a read error is reported by the pass that follows */
    head[n] = '\0';
    const char *p = head;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
        p += 3;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p != '{') return false;
    p++;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return strncmp(p, "\"requests\"", 10) == 0;
}

int inputs_index(input_file *input, const source_t *src, const provider_ops *provider,
                 custom_id_index *index, diag_sink *diags, char *reason) {
    return inputs_index_limited(input, src, provider, index, diags, 0, reason);
}

int inputs_index_limited(input_file *input, const source_t *src, const provider_ops *provider,
                         custom_id_index *index, diag_sink *diags, size_t max_line,
                         char *reason) {
    memset(input, 0, sizeof *input);
    input->source = src;
    input->name = src->name;
    input->provider = provider;
    if (src->size >= INDEX_OFFSET_LIMIT)
        return fail(reason, "%s: over 256 TiB: too large to index", src->name);
    index_pass pass = {input, index, diags, lines_limit(max_line), 0, JSON_DOC_INIT, ARENA_INIT};
    int rc;
    if (looks_like_create_body(src)) {
        input->create_body = true;
        if (!input->provider) input->provider = &provider_anthropic;
        char detail[REASON_MAX];
        rc = index_create_body(&pass, detail);
        if (rc != 0) fail(reason, "%s: %s", src->name, detail);
    } else {
        rc = index_jsonl(&pass, reason);
    }
    json_doc_free(&pass.doc);
    arena_free(&pass.arena);
    return rc;
}

int inputs_read(const input_file *input, const index_entry *entry, buf_t *out, char *reason) {
    buf_clear(out);
    buf_grow(out, entry->record_len);
    char detail[REASON_MAX];
    ssize_t n = source_read_at(input->source, out->data, entry->record_len,
                               entry->record_offset, detail);
    if (n < 0) return fail(reason, "%s: %s", input->name, detail);
    if ((size_t)n < entry->record_len) /* an entry indexed from other bytes */
        return fail(reason, "%s: no record of %u bytes at byte %llu", input->name,
                    entry->record_len, (unsigned long long)entry->record_offset);
    out->len = (size_t)n;
    out->data[n] = '\0';
    return 0;
}
