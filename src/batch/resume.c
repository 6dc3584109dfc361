/* See resume.h. */
#include "batch/resume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "providers/provider.h"
#include "span/identity.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/timeutil.h"

enum {
    READ_BLOCK = 1 << 16,       /* bytes read from the inputs at a time */
    PART_BYTES = 1 << 20,       /* compressed bytes per stored part */
};

/* See resume.h. */
int resume_signing_key(store_t *store, signing_key *key, char *reason) {
    const char *from_env = getenv("BATCHTRACE_SIGNING_KEY");
    if (from_env && *from_env) {
        key->bytes = (const uint8_t *)from_env;
        key->len = strlen(from_env);
        return 0;
    }
    if (store_signing_key(store, key->stored, reason) != 0) return -1;
    key->bytes = key->stored;
    key->len = STORE_KEY_LEN;
    return 0;
}

/* See resume.h. */
void resume_record_from_claims(const context_claims *claims, const char *token,
                               store_batch *out) {
    memset(out, 0, sizeof *out);
    hex_encode(claims->nonce, 16, out->nonce);
    snprintf(out->provider, sizeof out->provider, "%s", claims->provider);
    hex_encode(claims->trace_id, 16, out->trace_id);
    if (claims->has_parent) hex_encode(claims->parent_span_id, 8, out->parent_span_id);
    out->trace_flags = claims->trace_flags;
    out->start_ns = claims->start_ns;
    out->request_count = claims->request_count;
    hex_encode(claims->input_digest, SHA256_LEN, out->input_digest);
    out->context = xstrdup(token ? token : "");
}

/* See resume.h. */
int resume_claims_from_record(const store_batch *record, context_claims *out) {
    memset(out, 0, sizeof *out);
    const provider_ops *provider = provider_by_name(record->provider);
    if (!provider || !hex_decode(record->nonce, strlen(record->nonce), out->nonce, 16) ||
        !hex_decode(record->trace_id, strlen(record->trace_id), out->trace_id, 16) ||
        !hex_decode(record->input_digest, strlen(record->input_digest), out->input_digest,
                    SHA256_LEN))
        return -1;
    out->provider = provider->name;
    if (record->parent_span_id[0]) {
        if (!hex_decode(record->parent_span_id, strlen(record->parent_span_id),
                        out->parent_span_id, 8))
            return -1;
        out->has_parent = true;
    }
    out->trace_flags = (uint8_t)record->trace_flags;
    out->start_ns = record->start_ns;
    out->request_count = record->request_count;
    return 0;
}

/* Store the compressed bytes in part as the next part and empty it. */
static int put_part(store_t *store, const char *nonce, int64_t *part_number, buf_t *part,
                    char *reason) {
    if (store_inputs_put(store, nonce, (*part_number)++, part->data, part->len, reason) != 0)
        return -1;
    buf_clear(part);
    return 0;
}

/* See resume.h. */
int resume_keep_inputs(store_t *store, const char *nonce, const source_t *src, char *reason) {
    z_stream z;
    memset(&z, 0, sizeof z);
    char *block = xmalloc(READ_BLOCK);
    buf_t part = BUF_INIT;
    int64_t part_number = 0;
    uint64_t read_to = 0; /* bytes of src compressed so far */
    int rc = -1;
    bool deflating = deflateInit(&z, Z_DEFAULT_COMPRESSION) == Z_OK;
    if (!deflating) {
        fail(reason, "cannot compress the inputs: zlib failed to start");
        goto done;
    }
    int flush = Z_NO_FLUSH;
    while (flush != Z_FINISH) {
        char detail[REASON_MAX];
        ssize_t n = source_read_at(src, block, READ_BLOCK, read_to, detail);
        if (n < 0) {
            fail(reason, "%s: %s", src->name, detail);
            goto done;
        }
        read_to += (uint64_t)n;
        flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
        z.next_in = (Bytef *)block;
        z.avail_in = (uInt)n;
        int status;
        do {
            buf_grow(&part, READ_BLOCK);
            z.next_out = (Bytef *)part.data + part.len;
            z.avail_out = READ_BLOCK;
            status = deflate(&z, flush);
            part.len += READ_BLOCK - z.avail_out;
            if (status == Z_STREAM_ERROR) {
                fail(reason, "cannot compress the inputs: zlib failed");
                goto done;
            }
            if (part.len >= PART_BYTES && put_part(store, nonce, &part_number, &part, reason) != 0)
                goto done;
        } while (z.avail_out == 0);
    }
    if (part.len && put_part(store, nonce, &part_number, &part, reason) != 0) goto done;
    rc = 0;
done:
    if (deflating) deflateEnd(&z);
    free(block);
    buf_free(&part);
    return rc;
}

/* Where store_inputs_read's parts go while they are inflated. */
typedef struct inflater {
    z_stream z;
    source_t *spool;          /* the source being filled */
    char *block;              /* READ_BLOCK bytes of output */
    bool ended;               /* the zlib stream ended */
} inflater;

/* store_inputs_read's callback: inflate one part into the temporary file. */
static int inflate_part(void *ctx, const void *data, size_t len, char *reason) {
    inflater *in = ctx;
    in->z.next_in = (Bytef *)data;
    in->z.avail_in = (uInt)len;
    /* Until the part is used up and zlib holds no more output (a full block may hide more). */
    do {
        if (in->ended) break;
        in->z.next_out = (Bytef *)in->block;
        in->z.avail_out = READ_BLOCK;
        int status = inflate(&in->z, Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
            return fail(reason, "the inputs kept in the store are damaged (zlib: %s)",
                        in->z.msg ? in->z.msg : "error");
        if (source_spool_write(in->spool, in->block, READ_BLOCK - in->z.avail_out, reason) != 0)
            return -1;
        in->ended = status == Z_STREAM_END;
    } while (in->z.avail_in > 0 || in->z.avail_out == 0);
    return 0;
}

/* See resume.h. */
int resume_restore_inputs(store_t *store, const char *nonce, const char *name, source_t *out,
                          char *reason) {
    inflater in;
    memset(&in, 0, sizeof in);
    in.spool = out;
    int rc = -1;
    bool inflating = false;
    if (source_spool_new(out, name, reason) != 0) goto done;
    in.block = xmalloc(READ_BLOCK);
    inflating = inflateInit(&in.z) == Z_OK;
    if (!inflating) {
        fail(reason, "cannot decompress the stored inputs: zlib failed to start");
        goto done;
    }
    if (store_inputs_read(store, nonce, inflate_part, &in, reason) != 0) goto done;
    if (!in.ended) {
        fail(reason, "the inputs kept in the store are incomplete");
        goto done;
    }
    rc = 0;
done:
    if (inflating) inflateEnd(&in.z);
    free(in.block);
    return rc;
}

/* Open the store for a context (creating it: the key and the record live there). */
static int open_store(resume_context *context, const char *url, char *reason) {
    if (context->store) return 0;
    char *resolved = store_resolve_url(url, reason);
    if (!resolved) return -1;
    char detail[REASON_MAX];
    context->store = store_open(resolved, true, detail);
    free(resolved);
    if (!context->store) return fail(reason, "the store cannot be used: %s", detail);
    return 0;
}

/* Verify token (from source) and, when it holds, make it the context. 0 (whether or not
 * it verified: a bad one is reported), -1 with reason when the store fails. */
static int use_token(resume_context *context, const char *token, const char *source,
                     const resume_request *request, diag_sink *diags, char *reason) {
    if (open_store(context, request->store_url, reason) != 0) return -1;
    signing_key key;
    if (resume_signing_key(context->store, &key, reason) != 0) return -1;
    char why[REASON_MAX];
    if (context_token_verify(token, key.bytes, key.len, &context->claims, why) != 0) {
        diag_warn(diags, "", 0, "ignoring the context token from %s: %s; collecting without it",
                  source, why);
        return 0;
    }
    context->active = true;
    hex_encode(context->claims.nonce, 16, context->nonce);
    snprintf(context->source, sizeof context->source, "%s", source);
    context->token = xstrdup(token);
    int found = store_batch_find(context->store, context->nonce, NULL, &context->record, reason);
    if (found < 0) return -1;
    context->recorded = found == 1;
    return 0;
}

/* The lookup of batch_id found nothing: say so, naming the store (the user may have
 * forgotten `batchtrace bind`, or named another store). A batch object's id is looked up
 * silently: collect-only with a batch object is an ordinary run. */
static void warn_unknown_batch_id(const resume_request *request, const char *url, bool absent,
                                  diag_sink *diags) {
    if (!request->batch_id_from_flag) return;
    diag_warn(diags, "", 0, "batch id %.100s is not in the store %s%s: collecting without a "
              "context (did you run `batchtrace bind`?)", request->batch_id, url,
              absent ? " (nothing was stored there yet)" : "");
}

/* Look batch_id up in the store: the one the user named (already open), else the default
 * one, opened only when it exists. The default store that cannot be used stops the run
 * only when --batch-id asked for the lookup; for a batch object's id it is a warning (a
 * collect-only run needs no store). 0, or -1 with reason. */
static int use_batch_id(resume_context *context, const resume_request *request,
                        diag_sink *diags, char *reason) {
    char detail[REASON_MAX];
    store_t *store = context->store;
    if (!store) {
        char *url = store_resolve_url(request->store_url, detail);
        if (!url) {
            if (!request->batch_id_from_flag) return 0; /* no store: nothing to look up */
            return fail(reason, "%s", detail);
        }
        store = store_open(url, false, detail);
        if (!store && !detail[0]) { /* no store yet: nothing was started here */
            char *shown = store_shown_url(url); /* no password in a message */
            warn_unknown_batch_id(request, shown, true, diags);
            free(shown);
        }
        free(url);
        if (!store) {
            if (!detail[0]) return 0;
            if (request->batch_id_from_flag)
                return fail(reason, "the store cannot be used: %s", detail);
            diag_warn(diags, "", 0, "the store cannot be used to look batch %.100s up (%s); "
                      "collecting without its context", request->batch_id, detail);
            return 0;
        }
        context->store = store;
    }
    int found = store_batch_find(store, NULL, request->batch_id, &context->record, reason);
    if (found < 0) return -1;
    if (found == 0) {
        warn_unknown_batch_id(request, store_url(store), false, diags);
        return 0;
    }
    context->recorded = true;
    if (resume_claims_from_record(&context->record, &context->claims) != 0)
        return fail(reason, "the store's record of batch %.100s is damaged", request->batch_id);
    context->active = true;
    snprintf(context->nonce, sizeof context->nonce, "%s", context->record.nonce);
    snprintf(context->source, sizeof context->source, "the store (batch %.100s)",
             request->batch_id);
    return 0;
}

/* See resume.h. */
int resume_find(resume_context *context, const resume_request *request, diag_sink *diags,
                char *reason) {
    memset(context, 0, sizeof *context);
    context->now_ns = request->now_ns;
    /* A store the user named is opened (made, when new) before a result is read: one that
     * cannot be used ends the run at once, whether or not a context will need it. */
    if (store_url_named(request->store_url) && open_store(context, request->store_url, reason) != 0)
        return -1;
    if (request->context_token &&
        use_token(context, request->context_token, "--context", request, diags, reason) != 0)
        return -1;
    if (!context->active && !request->context_token && request->metadata_token &&
        use_token(context, request->metadata_token, "the batch object's metadata", request,
                  diags, reason) != 0)
        return -1;
    if (!context->active && !request->context_token && !request->metadata_token &&
        request->batch_id && *request->batch_id)
        return use_batch_id(context, request, diags, reason);
    return 0;
}

/* See resume.h. */
void resume_drop(resume_context *context, diag_sink *diags, const char *why) {
    diag_warn(diags, "", 0, "ignoring the context from %s: %s; collecting without it",
              context->source, why);
    context->active = false;
}

/* See resume.h. */
int resume_record(resume_context *context, const char *batch_id, char *reason) {
    if (!context->recorded) {
        store_batch record;
        resume_record_from_claims(&context->claims, context->token, &record);
        record.created_ns = context->now_ns;
        int put = store_batch_put(context->store, &record, reason);
        store_batch_free(&record);
        if (put < 0) return -1;
        int found = store_batch_find(context->store, context->nonce, NULL, &context->record,
                                     reason);
        if (found < 0) return -1;
        context->recorded = found == 1;
        if (!context->recorded) return fail(reason, "the batch could not be recorded in the store");
    }
    if (!batch_id || !*batch_id) return 0;
    if (context->record.batch_id && strcmp(context->record.batch_id, batch_id) == 0) return 0;
    int bound = store_batch_bind(context->store, context->nonce, batch_id, reason);
    if (bound != 0) return bound;
    free(context->record.batch_id);
    context->record.batch_id = xstrdup(batch_id);
    return 0;
}

/* See resume.h. */
int resume_adopt_batch(store_t *store, const char *provider, const char *batch_id,
                       int64_t created_ns, uint64_t request_count,
                       const adopt_linkage *linkage, int64_t now_ns, char **token,
                       char *reason) {
    *token = NULL;
    const provider_ops *ops = provider_by_name(provider);
    if (!ops) return fail(reason, "unknown provider \"%s\"", provider);
    signing_key key;
    if (resume_signing_key(store, &key, reason) != 0) return -1;
    context_claims claims;
    memset(&claims, 0, sizeof claims);
    claims.provider = ops->name;
    identity_nonce_from_batch(ops->name, str_c(batch_id), claims.nonce);
    claims.trace_flags = 1; /* sampled */
    if (linkage && linkage->has_parent) {
        memcpy(claims.trace_id, linkage->parent.trace_id, 16);
        claims.trace_flags = linkage->parent.flags;
        claims.has_parent = true;
        memcpy(claims.parent_span_id, linkage->parent.span_id, 8);
    } else if (linkage && linkage->has_trace_id) {
        memcpy(claims.trace_id, linkage->trace_id, 16);
    } else {
        identity_trace_id(claims.nonce, claims.trace_id);
    }
    claims.start_ns = created_ns > 0 ? created_ns : now_ns;
    claims.request_count = request_count;
    char encoded[CONTEXT_TOKEN_MAX + 1];
    context_token_encode(&claims, key.bytes, key.len, encoded);
    store_batch record;
    resume_record_from_claims(&claims, encoded, &record);
    record.batch_id = xstrdup(batch_id);
    record.created_ns = now_ns;
    int put = store_batch_put(store, &record, reason);
    int rc = put < 0 ? put : store_batch_bind(store, record.nonce, batch_id, reason);
    store_batch_free(&record);
    if (rc == 0) *token = xstrdup(encoded);
    return rc;
}

/* See resume.h. */
int resume_adopt(resume_context *context, const char *provider, const char *batch_id,
                 int64_t created_ns, uint64_t request_count, const adopt_linkage *linkage,
                 char *reason) {
    if (!context->store) return 0;
    char *token = NULL;
    int rc = resume_adopt_batch(context->store, provider, batch_id, created_ns, request_count,
                                linkage, context->now_ns, &token, reason);
    free(token);
    if (rc != 0) return rc;
    /* Another process may have recorded it first: its record is the one to use. */
    store_batch_free(&context->record);
    int found = store_batch_find(context->store, NULL, batch_id, &context->record, reason);
    if (found < 0) return -1;
    if (found == 0) return fail(reason, "batch %.100s could not be recorded in the store", batch_id);
    if (resume_claims_from_record(&context->record, &context->claims) != 0)
        return fail(reason, "the store's record of batch %.100s is damaged", batch_id);
    context->recorded = true;
    context->active = true;
    snprintf(context->nonce, sizeof context->nonce, "%s", context->record.nonce);
    snprintf(context->source, sizeof context->source, "the store (batch %.100s)", batch_id);
    return 0;
}

/* See resume.h. */
bool resume_digest_unknown(const context_claims *claims) {
    for (size_t i = 0; i < SHA256_LEN; i++)
        if (claims->input_digest[i]) return false;
    return true;
}

/* See resume.h. */
void resume_close(resume_context *context) {
    free(context->token);
    store_batch_free(&context->record);
    store_close(context->store);
    memset(context, 0, sizeof *context);
}
