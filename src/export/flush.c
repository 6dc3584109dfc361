/* `batchtrace flush` (see flush.h): take the spooled requests one by one, oldest first,
 * each held by this run (store.h, "runs and claims") so that a second flush running at
 * the same time skips it while this one lives (a killed flush's rows are taken over at
 * once), and hand them to the OTLP sender, which deletes each one the server accepts and gives back
 * the others. The sender's rules apply unchanged: retries within the export timeout, and
 * once the endpoint proves down (or an interruption comes) the rest stays spooled. */
#include "export/flush.h"

#include <stdlib.h>
#include <string.h>

#include "export/exporter.h"
#include "export/http.h"
#include "export/select.h"
#include "json/writer.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

/* The summary handed to callers, with the strings it points to. */
typedef struct flush_owner {
    batchtrace_flush_summary public; /* first: callers hold a pointer to this */
    char *store;                     /* owned */
    char *destination;               /* owned */
} flush_owner;

/* export_notice_fn: a sender's notice as a diagnostic of its severity. ctx is the options. */
static void notice_to_diagnostic(void *ctx, batchtrace_severity severity, const char *message) {
    const batchtrace_flush_options *options = ctx;
    if (options->on_diagnostic)
        options->on_diagnostic(options->callback_ctx, severity, "", 0, message);
}

/* Hand every spooled request the sender can take; stop early when it stops. 0, or -1
 * with reason when the store fails. */
static int send_spooled(store_t *store, otlp_sender *sender,
                        const batchtrace_flush_options *options, char *reason) {
    spool_claim claim = SPOOL_CLAIM_INIT;
    int64_t after_id = 0;
    int rc = 0;
    while (!otlp_sender_stopped(sender)) {
        int found = store_spool_claim(store, after_id, &claim, reason);
        if (found <= 0) {
            rc = found;
            break;
        }
        after_id = claim.chunk.id;
        otlp_protocol protocol;
        if (strcmp(claim.chunk.protocol, "http/protobuf") == 0) {
            protocol = OTLP_HTTP_PROTOBUF;
        } else if (strcmp(claim.chunk.protocol, "http/json") == 0) {
            protocol = OTLP_HTTP_JSON;
        } else {
            char why[REASON_MAX];
            fail(why, "spooled request %lld has an unknown protocol", (long long)claim.chunk.id);
            notice_to_diagnostic((void *)options, BATCHTRACE_WARNING, why);
            if (store_spool_release(store, claim.chunk.id, why, reason) != 0) {
                rc = -1;
                break;
            }
            continue;
        }
        /* --braintrust-parent wins; else the parent the request was first sent with. */
        otlp_request request = {{claim.chunk.body, claim.chunk.body_len},
                                claim.chunk.span_count,
                                protocol,
                                options->braintrust_parent ? NULL
                                                           : claim.chunk.braintrust_parent,
                                claim.chunk.id,
                                NULL,
                                NULL,
                                0};
        otlp_sender_submit(sender, &request);
    }
    spool_claim_free(&claim);
    return rc;
}

/* See flush.h. */
int flush_run(batchtrace_flush_summary **out, const batchtrace_flush_options *options,
              char *reason) {
    flush_owner *owner = xcalloc(1, sizeof *owner);
    *out = &owner->public;
    batchtrace_flush_summary *summary = &owner->public;
    summary->exit_code = BATCHTRACE_EXIT_FATAL;
    summary->store = "";
    summary->destination = "";
    otlp_settings settings;
    memset(&settings, 0, sizeof settings);
    store_t *store = NULL;
    otlp_sender *sender = NULL;
    int rc = BATCHTRACE_EFATAL;
    if (!options || options->version != BATCHTRACE_FLUSH_OPTIONS_VERSION) {
        fail(reason, "options version mismatch: initialize with BATCHTRACE_FLUSH_OPTIONS_INIT");
        summary->exit_code = BATCHTRACE_EXIT_USAGE;
        return BATCHTRACE_EUSAGE;
    }
    export_request request = {"otlp", NULL, options->endpoint, NULL, options->store,
                              options->max_request_bytes, options->max_in_flight,
                              options->export_timeout, options->braintrust_parent,
                              notice_to_diagnostic, (void *)options, true,
                              false, NULL, 0};
    int usage_error = 0;
    if (export_otlp_settings(&request, &settings, &usage_error, reason) != 0) {
        summary->exit_code = usage_error ? BATCHTRACE_EXIT_USAGE : BATCHTRACE_EXIT_FATAL;
        rc = usage_error ? BATCHTRACE_EUSAGE : BATCHTRACE_EFATAL;
        goto done;
    }
    owner->store = store_shown_url(settings.store_url); /* no password in a message */
    owner->destination = xstrdup(settings.destination);
    summary->store = owner->store;
    summary->destination = owner->destination;

    char why[REASON_MAX] = "";
    store = store_open(settings.store_url, false, why);
    if (!store && why[0]) {
        fail(reason, "%s", why);
        goto done;
    }
    if (store) store_set_cancel(store, exporter_interrupted); /* SIGTERM ends a lock wait */
    if (store && store_spool_count(store, &summary->requests_found, &summary->spans_found,
                                   reason) != 0)
        goto done;
    if (summary->requests_found > 0) {
        sender = otlp_sender_new(&settings.config, reason);
        if (!sender) goto done;
        int sent = send_spooled(store, sender, options, reason);
        otlp_sender_drain(sender);
        if (sent != 0) goto done;
        export_report report;
        export_details details;
        memset(&report, 0, sizeof report);
        memset(&details, 0, sizeof details);
        otlp_sender_tally(sender, &report, &details);
        summary->spans_sent = report.spans_exported;
        summary->spans_rejected = details.spans_rejected;
        summary->interrupted = details.interrupted;
        /* What waits now; rows another flush holds are its to report (it may deliver them
         * all after this one ended). */
        if (store_spool_tally(store, &summary->spans_left, &summary->spans_held, reason) != 0)
            goto done;
    }
    summary->exit_code = summary->spans_left > 0 || summary->spans_rejected > 0
                             ? BATCHTRACE_EXIT_EXPORT_FAILED
                             : BATCHTRACE_EXIT_OK;
    rc = BATCHTRACE_OK;
done:
    otlp_sender_free(sender);
    store_close(store);
    otlp_settings_free(&settings);
    return rc;
}

/* See batchtrace.h. */
char *batchtrace_flush_summary_json(const batchtrace_flush_summary *s) {
    buf_t out = BUF_INIT;
    jw_t w;
    jw_init(&w, &out);
    jw_object_open(&w);
    jw_key(&w, "store");
    jw_cstring(&w, s->store);
    jw_key(&w, "destination");
    jw_cstring(&w, s->destination);
    jw_key(&w, "requests_found");
    jw_uint(&w, s->requests_found);
    jw_key(&w, "spans_found");
    jw_uint(&w, s->spans_found);
    jw_key(&w, "spans_sent");
    jw_uint(&w, s->spans_sent);
    jw_key(&w, "spans_rejected");
    jw_uint(&w, s->spans_rejected);
    jw_key(&w, "spans_left");
    jw_uint(&w, s->spans_left);
    jw_key(&w, "spans_held");
    jw_uint(&w, s->spans_held);
    jw_key(&w, "interrupted");
    jw_bool(&w, s->interrupted != 0);
    jw_key(&w, "exit_code");
    jw_int(&w, s->exit_code);
    jw_object_close(&w);
    return buf_detach(&out);
}

/* See batchtrace.h. */
void batchtrace_flush_summary_free(batchtrace_flush_summary *summary) {
    if (!summary) return;
    flush_owner *owner = (flush_owner *)summary;
    free(owner->store);
    free(owner->destination);
    free(owner);
}
