/* The Ruby extension under the batchtrace gem: Ruby values in, the C API
 * (include/batchtrace.h) run without the GVL, the summary's JSON out. It only builds
 * sources (batchtrace_source): a path, a String read in place, or a callable that yields
 * pieces of JSONL (the Ruby layer serializes records; the engine reads, correlates and
 * diagnoses them, never this file). Only the public header is used, so the same file builds
 * against the project's static library (CMake, `make ruby`) and an installed libbatchtrace
 * (mkmf, `gem install`). A SIGINT while a call runs reaches batchtrace_interrupt through the
 * unblocking function, so Ctrl-C spools what is undelivered and returns. */
#include <ruby.h>
#include <ruby/thread.h>

#include <stdlib.h>
#include <string.h>

#include "batchtrace.h"

enum {
    MAX_RESULTS = 64,   /* result sources one collect takes */
    MAX_PINNED = 128,   /* Ruby strings one call borrows */
};

/* The Ruby strings a call borrows, kept in an array on the machine stack: Ruby's
 * conservative stack scan marks and pins them, so their bytes neither die nor move while
 * the engine reads them without the GVL. */
typedef struct pinned {
    VALUE *values;
    int count;
} pinned;

/* Borrow a String's NUL-terminated bytes for the call (nil: NULL). */
static const char *pin_cstr(pinned *p, VALUE value) {
    if (NIL_P(value)) return NULL;
    if (p->count == MAX_PINNED) rb_raise(rb_eArgError, "too many strings in one call");
    value = rb_str_new_frozen(StringValue(value));
    p->values[p->count++] = value;
    return StringValueCStr(value);
}

/* opts[:key] (a Symbol key), nil when absent. */
static VALUE option(VALUE opts, const char *key) {
    return rb_hash_aref(opts, ID2SYM(rb_intern(key)));
}

/* opts[:key] as a borrowed C string, or NULL when absent or nil. */
static const char *option_str(pinned *p, VALUE opts, const char *key) {
    return pin_cstr(p, option(opts, key));
}

/* opts[:key] as a truth value (absent or nil: fallback). */
static int option_flag(VALUE opts, const char *key, int fallback) {
    VALUE value = option(opts, key);
    return NIL_P(value) ? fallback : RTEST(value);
}

/* opts[:key] as a non-negative integer (absent or nil: 0). */
static unsigned long long option_size(VALUE opts, const char *key) {
    VALUE value = option(opts, key);
    return NIL_P(value) ? 0 : NUM2ULL(value);
}

/* opts[:key] as a Float (absent or nil: 0). */
static double option_double(VALUE opts, const char *key) {
    VALUE value = option(opts, key);
    return NIL_P(value) ? 0 : NUM2DBL(value);
}

/* ---- callback sources ------------------------------------------------------------------- */

/* A callable fed to the engine: each call returns a String of whole lines, nil at the end,
 * or false to stop the run. */
typedef struct feed {
    VALUE callable;
    char *piece;        /* a copy of the last String (malloc), borrowed by the engine */
    size_t capacity;
    size_t len;
    int rc;             /* the read_fn's answer */
    int error_state;    /* rb_protect's state when the callable raised, else 0 */
    VALUE error;        /* the exception it raised */
} feed;

/* rb_protect body: call the callable. */
static VALUE feed_call(VALUE arg) {
    return rb_funcall((VALUE)arg, rb_intern("call"), 0);
}

/* With the GVL: call the callable once and copy its String into the feed. */
static void *feed_step(void *arg) {
    feed *f = arg;
    int state = 0;
    VALUE piece = rb_protect(feed_call, f->callable, &state);
    if (state) {
        f->error_state = state;
        f->error = rb_errinfo();
        rb_set_errinfo(Qnil);
        f->rc = -1;
        return NULL;
    }
    if (NIL_P(piece)) {
        f->rc = 0;
        return NULL;
    }
    if (!RB_TYPE_P(piece, T_STRING)) {
        f->rc = -1;
        return NULL;
    }
    size_t len = (size_t)RSTRING_LEN(piece);
    if (len > f->capacity) {
        char *grown = realloc(f->piece, len);
        if (!grown) {
            f->rc = -1;
            return NULL;
        }
        f->piece = grown;
        f->capacity = len;
    }
    memcpy(f->piece, RSTRING_PTR(piece), len);
    f->len = len;
    f->rc = 1;
    return NULL;
}

/* batchtrace_read_fn over a feed, called without the GVL: takes it for one call. An empty
 * piece is skipped by the engine; a false or a raise stops the run. */
static int feed_read(void *ctx, const char **bytes, size_t *len) {
    feed *f = ctx;
    if (f->rc <= 0) return f->rc;
    rb_thread_call_with_gvl(feed_step, f);
    if (f->rc <= 0) return f->rc;
    *bytes = f->piece;
    *len = f->len;
    return 1;
}

/* What a batchtrace_source borrows while the call runs. */
typedef struct holder {
    batchtrace_source spec;
    feed feed;
} holder;

/* Fill h from a source the Ruby layer normalized: [:path, String], [:buffer, String] or
 * [:callback, callable]. Raises on anything else. */
static void holder_fill(holder *h, pinned *p, VALUE source) {
    Check_Type(source, T_ARRAY);
    if (RARRAY_LEN(source) != 2) rb_raise(rb_eArgError, "a source is [kind, value]");
    VALUE kind = rb_ary_entry(source, 0), value = rb_ary_entry(source, 1);
    Check_Type(kind, T_SYMBOL);
    ID id = SYM2ID(kind);
    if (id == rb_intern("path")) {
        h->spec.kind = BATCHTRACE_SOURCE_PATH;
        h->spec.path = pin_cstr(p, value);
    } else if (id == rb_intern("buffer")) {
        pin_cstr(p, value);
        VALUE bytes = p->values[p->count - 1];
        h->spec.kind = BATCHTRACE_SOURCE_BUFFER;
        h->spec.bytes = RSTRING_PTR(bytes);
        h->spec.len = (size_t)RSTRING_LEN(bytes);
    } else if (id == rb_intern("callback")) {
        if (p->count == MAX_PINNED) rb_raise(rb_eArgError, "too many sources in one call");
        p->values[p->count++] = value;
        h->feed.callable = value;
        h->feed.rc = 1;
        h->spec.kind = BATCHTRACE_SOURCE_CALLBACK;
        h->spec.read = feed_read;
        h->spec.read_ctx = &h->feed;
    } else {
        rb_raise(rb_eArgError, "unknown source kind %" PRIsVALUE, kind);
    }
}

/* Re-raise the first exception a callable of holders[0..count) raised, after freeing the
 * pieces (the caller has nothing else to release). */
static void holders_finish(holder *holders, size_t count) {
    int state = 0;
    VALUE error = Qnil;
    for (size_t i = 0; i < count; i++) {
        if (!state && holders[i].feed.error_state) {
            state = holders[i].feed.error_state;
            error = holders[i].feed.error;
        }
        free(holders[i].feed.piece);
        holders[i].feed.piece = NULL;
    }
    if (state) {
        if (rb_obj_is_kind_of(error, rb_eException)) rb_exc_raise(error);
        rb_jump_tag(state);
    }
}

/* The export options every call shares. */
typedef struct export_options {
    const char *exporter, *output, *endpoint, *protocol, *store, *braintrust_parent;
    unsigned long long max_request_bytes, max_in_flight;
    double export_timeout;
} export_options;

/* Copy the export options into a collect's or a start's options struct (same field names). */
#define APPLY_EXPORT_OPTIONS(o, e) \
    do { \
        (o).exporter = (e).exporter; \
        (o).output_path = (e).output; \
        (o).endpoint = (e).endpoint; \
        (o).protocol = (e).protocol; \
        (o).store = (e).store; \
        (o).braintrust_parent = (e).braintrust_parent; \
        (o).max_request_bytes = (e).max_request_bytes; \
        (o).max_in_flight = (unsigned int)(e).max_in_flight; \
        (o).export_timeout = (e).export_timeout; \
    } while (0)

/* Read the export options (raises on a wrong type). */
static void read_export_options(pinned *p, VALUE opts, export_options *out) {
    out->exporter = option_str(p, opts, "exporter");
    out->output = option_str(p, opts, "output");
    out->endpoint = option_str(p, opts, "endpoint");
    out->protocol = option_str(p, opts, "protocol");
    out->store = option_str(p, opts, "store");
    out->braintrust_parent = option_str(p, opts, "braintrust_parent");
    out->max_request_bytes = option_size(opts, "max_request_bytes");
    out->max_in_flight = option_size(opts, "max_in_flight");
    out->export_timeout = option_double(opts, "export_timeout");
}

/* The [rc, summary JSON, error message] triple every call returns; takes json (free()d). */
static VALUE call_result(int rc, char *json) {
    VALUE text = rb_utf8_str_new_cstr(json ? json : "{}");
    free(json);
    return rb_ary_new_from_args(3, INT2NUM(rc), text,
                                rb_utf8_str_new_cstr(batchtrace_last_error()));
}

/* The unblocking function of every call: Ctrl-C (or Thread#raise, Thread#kill) asks the
 * running export to stop; what is undelivered is spooled and the call returns. */
static void unblock_interrupt(void *unused) {
    batchtrace_interrupt();
}

/* ---- the calls ------------------------------------------------------------------------ */

typedef struct collect_call {
    batchtrace_summary *summary;
    const batchtrace_collect_options *options;
    int rc;
} collect_call;

/* Without the GVL: run the collect. */
static void *collect_without_gvl(void *arg) {
    collect_call *call = arg;
    call->rc = batchtrace_collect(&call->summary, call->options);
    return NULL;
}

/* collect(results, requests, batch, opts) -> [rc, summary_json, error]: results is an
 * Array of normalized sources, requests and batch one each or nil; opts a Hash. */
static VALUE native_collect(VALUE self, VALUE results, VALUE requests, VALUE batch, VALUE opts) {
    Check_Type(results, T_ARRAY);
    Check_Type(opts, T_HASH);
    long results_count = RARRAY_LEN(results);
    if (results_count > MAX_RESULTS) rb_raise(rb_eArgError, "at most %d result sources", MAX_RESULTS);
    VALUE pinned_values[MAX_PINNED];
    pinned p = {pinned_values, 0};
    holder holders[MAX_RESULTS + 2];
    batchtrace_source results_sources[MAX_RESULTS];
    const char *conventions[16];
    memset(holders, 0, sizeof holders);
    batchtrace_collect_options o = BATCHTRACE_COLLECT_OPTIONS_INIT;
    for (long i = 0; i < results_count; i++) {
        holder_fill(&holders[i], &p, rb_ary_entry(results, i));
        results_sources[i] = holders[i].spec;
    }
    o.results_sources = results_sources;
    o.results_source_count = (size_t)results_count;
    if (!NIL_P(requests)) {
        holder_fill(&holders[MAX_RESULTS], &p, requests);
        o.input_source = &holders[MAX_RESULTS].spec;
    }
    if (!NIL_P(batch)) {
        holder_fill(&holders[MAX_RESULTS + 1], &p, batch);
        o.batch_source = &holders[MAX_RESULTS + 1].spec;
    }
    export_options e;
    read_export_options(&p, opts, &e);
    o.provider = option_str(&p, opts, "provider");
    o.parent = option_str(&p, opts, "parent");
    o.trace_id = option_str(&p, opts, "trace_id");
    o.context = option_str(&p, opts, "context");
    o.batch_id = option_str(&p, opts, "batch_id");
    APPLY_EXPORT_OPTIONS(o, e);
    o.max_attribute_bytes = (size_t)option_size(opts, "max_attribute_bytes");
    o.no_content = !option_flag(opts, "content", 1);
    o.force = option_flag(opts, "force", 0);
    o.truncate_output = option_flag(opts, "truncate_output", 0);
    VALUE names = option(opts, "conventions");
    if (!NIL_P(names)) {
        Check_Type(names, T_ARRAY);
        long count = RARRAY_LEN(names);
        if (count > 16) rb_raise(rb_eArgError, "at most 16 conventions");
        for (long i = 0; i < count; i++) conventions[i] = pin_cstr(&p, rb_ary_entry(names, i));
        o.conventions = conventions;
        o.convention_count = (size_t)count;
    }
    collect_call call = {NULL, &o, 0};
    rb_thread_call_without_gvl(collect_without_gvl, &call, unblock_interrupt, NULL);
    char *json = batchtrace_summary_json(call.summary);
    batchtrace_summary_free(call.summary);
    VALUE result = call_result(call.rc, json);
    holders_finish(holders, MAX_RESULTS + 2);
    RB_GC_GUARD(results);
    RB_GC_GUARD(opts);
    return result;
}

typedef struct start_call {
    batchtrace_start_summary *summary;
    const batchtrace_start_options *options;
    int rc;
} start_call;

/* Without the GVL: run the start. */
static void *start_without_gvl(void *arg) {
    start_call *call = arg;
    call->rc = batchtrace_start(&call->summary, call->options);
    return NULL;
}

/* start(requests, opts) -> [rc, summary_json, error]. */
static VALUE native_start(VALUE self, VALUE requests, VALUE opts) {
    Check_Type(opts, T_HASH);
    VALUE pinned_values[MAX_PINNED];
    pinned p = {pinned_values, 0};
    holder h;
    memset(&h, 0, sizeof h);
    holder_fill(&h, &p, requests);
    batchtrace_start_options o = BATCHTRACE_START_OPTIONS_INIT;
    export_options e;
    read_export_options(&p, opts, &e);
    o.input_source = &h.spec;
    o.provider = option_str(&p, opts, "provider");
    o.parent = option_str(&p, opts, "parent");
    o.batch_id = option_str(&p, opts, "batch_id");
    APPLY_EXPORT_OPTIONS(o, e);
    o.no_keep_inputs = !option_flag(opts, "keep_inputs", 1);
    o.truncate_output = option_flag(opts, "truncate_output", 0);
    start_call call = {NULL, &o, 0};
    rb_thread_call_without_gvl(start_without_gvl, &call, unblock_interrupt, NULL);
    char *json = batchtrace_start_summary_json(call.summary);
    batchtrace_start_summary_free(call.summary);
    VALUE result = call_result(call.rc, json);
    holders_finish(&h, 1);
    RB_GC_GUARD(requests);
    RB_GC_GUARD(opts);
    return result;
}

typedef struct flush_call {
    batchtrace_flush_summary *summary;
    const batchtrace_flush_options *options;
    int rc;
} flush_call;

/* Without the GVL: run the flush. */
static void *flush_without_gvl(void *arg) {
    flush_call *call = arg;
    call->rc = batchtrace_flush(&call->summary, call->options);
    return NULL;
}

/* flush(opts) -> [rc, summary_json, error]. */
static VALUE native_flush(VALUE self, VALUE opts) {
    Check_Type(opts, T_HASH);
    VALUE pinned_values[MAX_PINNED];
    pinned p = {pinned_values, 0};
    export_options e;
    read_export_options(&p, opts, &e);
    batchtrace_flush_options o = BATCHTRACE_FLUSH_OPTIONS_INIT;
    o.store = e.store;
    o.endpoint = e.endpoint;
    o.max_request_bytes = e.max_request_bytes;
    o.max_in_flight = (unsigned int)e.max_in_flight;
    o.export_timeout = e.export_timeout;
    o.braintrust_parent = e.braintrust_parent;
    flush_call call = {NULL, &o, 0};
    rb_thread_call_without_gvl(flush_without_gvl, &call, unblock_interrupt, NULL);
    char *json = batchtrace_flush_summary_json(call.summary);
    batchtrace_flush_summary_free(call.summary);
    RB_GC_GUARD(opts);
    return call_result(call.rc, json);
}

/* bind(batch_id, context, store) -> [rc, error]. Quick (one store transaction): the GVL
 * is kept. */
static VALUE native_bind(VALUE self, VALUE batch_id, VALUE context, VALUE store) {
    VALUE pinned_values[8];
    pinned p = {pinned_values, 0};
    batchtrace_bind_options o = BATCHTRACE_BIND_OPTIONS_INIT;
    o.batch_id = pin_cstr(&p, batch_id);
    o.context = pin_cstr(&p, context);
    o.store = pin_cstr(&p, store);
    int rc = batchtrace_bind(&o);
    return rb_ary_new_from_args(2, INT2NUM(rc), rb_utf8_str_new_cstr(batchtrace_last_error()));
}

/* interrupt -> true when an export in progress acts on it (batchtrace_interrupt). */
static VALUE native_interrupt(VALUE self) {
    return batchtrace_interrupt() ? Qtrue : Qfalse;
}

/* Batchtrace::Native: the calls the Ruby layer (lib/batchtrace.rb) wraps. */
void Init_batchtrace_ext(void) {
    VALUE batchtrace = rb_define_module("Batchtrace");
    VALUE native = rb_define_module_under(batchtrace, "Native");
    rb_define_const(native, "VERSION", rb_obj_freeze(rb_utf8_str_new_cstr(batchtrace_version())));
    rb_define_module_function(native, "collect", native_collect, 4);
    rb_define_module_function(native, "start", native_start, 2);
    rb_define_module_function(native, "flush", native_flush, 1);
    rb_define_module_function(native, "bind", native_bind, 3);
    rb_define_module_function(native, "interrupt", native_interrupt, 0);
}
