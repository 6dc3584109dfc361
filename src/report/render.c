/* See render.h. */
#include "report/render.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json/json.h"
#include "util/arena.h"
#include "util/str.h"

/* ---- reading the report's JSON ---------------------------------------------------------- */

/* An unsigned count at key of obj, 0 when absent. */
static uint64_t count_at(const json_doc *doc, int obj, const char *key) {
    int64_t value = 0;
    if (json_get_int64(doc, obj, key, &value) != 0 || value < 0) return 0;
    return (uint64_t)value;
}

/* A number at key of obj; *known false when absent or null. */
static double number_at(const json_doc *doc, int obj, const char *key, bool *known) {
    double value = 0;
    bool ok = json_double(doc, json_get(doc, obj, key), &value) == 0;
    if (known) *known = ok;
    return ok ? value : 0;
}

/* A string at key of obj ("" when absent), in arena. */
static bt_str text_at(const json_doc *doc, int obj, const char *key, arena_t *arena) {
    bt_str s;
    if (json_get_string(doc, obj, key, arena, &s) != 0) return str_c("");
    return s;
}

/* The report's parts, as token indexes. */
typedef struct report_view {
    json_doc doc;
    arena_t arena;
    int items, tokens, cost, models, errors, latency, slowest, costliest;
} report_view;

/* Parse json as a report. 0, or -1 with reason. */
static int view_open(report_view *v, const char *json, size_t len, char *reason) {
    memset(v, 0, sizeof *v);
    char detail[REASON_MAX];
    if (json_parse(&v->doc, json, len, detail) != 0)
        return fail(reason, "not a report: %s", detail);
    v->items = json_get(&v->doc, 0, "items");
    v->tokens = json_get(&v->doc, 0, "tokens");
    v->cost = json_get(&v->doc, 0, "cost");
    v->models = json_get(&v->doc, 0, "models");
    v->errors = json_get(&v->doc, 0, "errors");
    v->latency = json_get(&v->doc, 0, "latency");
    v->slowest = json_get(&v->doc, 0, "slowest");
    v->costliest = json_get(&v->doc, 0, "most_expensive");
    if (json_type_of(&v->doc, v->items) != JSON_OBJECT ||
        json_type_of(&v->doc, v->models) != JSON_ARRAY)
        return fail(reason, "not a report: no items or models");
    return 0;
}

/* Release a view. */
static void view_close(report_view *v) {
    json_doc_free(&v->doc);
    arena_free(&v->arena);
}

/* Elements of an array, in order: for (int e = first(...); e >= 0; e = next(...)). */
static int first_of(const json_doc *doc, int array) {
    return json_type_of(doc, array) == JSON_ARRAY ? json_first(doc, array) : -1;
}
static int next_of(const json_doc *doc, int array, int e) {
    int next = json_next(doc, e);
    int end = json_next(doc, array);
    return next < end && next < doc->tok_count ? next : -1;
}

static const char *const outcome_keys[] = {"succeeded", "errored", "canceled", "expired",
                                           "missing"};
enum { OUTCOMES = 5 };

/* See render.h. */
void render_money(buf_t *out, double usd) {
    int decimals = usd >= 1 || usd == 0 ? 2 : usd >= 0.01 ? 4 : 6;
    buf_printf(out, "$%.*f", decimals, usd);
}
#define put_money render_money

/* A duration for a person: 45s, 12m 03s, 2h 05m. */
static void put_duration(buf_t *out, double seconds) {
    long s = lround(seconds);
    if (s < 60) buf_printf(out, "%lds", s);
    else if (s < 3600) buf_printf(out, "%ldm %02lds", s / 60, s % 60);
    else buf_printf(out, "%ldh %02ldm", s / 3600, (s % 3600) / 60);
}

/* ---- the terminal table ------------------------------------------------------------------ */

/* ANSI codes when colour is on, "" otherwise. */
static const char *paint(const render_style *style, const char *code) {
    return style->colour ? code : "";
}
#define BOLD "\033[1m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define DIM "\033[2m"
#define RESET "\033[0m"

/* Append s cut to at most max display columns (bytes, UTF-8 sequences kept whole; "..."
 * marks a cut), padded with spaces to pad columns when pad > 0. */
static void put_cut(buf_t *out, bt_str s, size_t max, size_t pad) {
    size_t columns = 0, at = 0;
    for (size_t i = 0; i < s.len; i++)
        if (((unsigned char)s.ptr[i] & 0xC0) != 0x80) columns++;
    if (columns <= max) {
        buf_append(out, s.ptr, s.len);
    } else {
        size_t keep = max > 3 ? max - 3 : 0, seen = 0;
        while (at < s.len) {
            if (((unsigned char)s.ptr[at] & 0xC0) != 0x80 && seen++ == keep) break;
            at++;
        }
        buf_append(out, s.ptr, at);
        buf_puts(out, "...");
        columns = keep + 3;
    }
    for (; columns < pad; columns++) buf_putc(out, ' ');
}

/* A control character in a value would move the cursor: show it as a space. */
static bt_str printable(bt_str s, arena_t *arena) {
    char *copy = arena_alloc(arena, s.len + 1);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        copy[i] = c < ' ' || c == 0x7F ? ' ' : (char)c;
    }
    copy[s.len] = '\0';
    return (bt_str){copy, s.len};
}

/* See render.h. */
int render_terminal(buf_t *out, const char *json, size_t len, const render_style *style,
                    char *reason) {
    report_view v;
    if (view_open(&v, json, len, reason) != 0) {
        view_close(&v);
        return -1;
    }
    const json_doc *doc = &v.doc;
    size_t width = style->width < 60 ? 60 : (size_t)style->width;
    const char *b = paint(style, BOLD), *r = paint(style, RESET);
    bt_str provider = text_at(doc, 0, "provider", &v.arena);
    bt_str batch_id = printable(text_at(doc, 0, "batch_id", &v.arena), &v.arena);
    bt_str status = text_at(doc, 0, "batch_status", &v.arena);
    buf_printf(out, "%sbatchtrace report%s: %.*s batch ", b, r, (int)provider.len, provider.ptr);
    put_cut(out, batch_id.len ? batch_id : str_c("(no id)"), width - 40, 0);
    if (status.len) buf_printf(out, " (%.*s)", (int)status.len, status.ptr);
    buf_putc(out, '\n');
    bt_str started = text_at(doc, 0, "started", &v.arena), ended = text_at(doc, 0, "ended", &v.arena);
    bool known;
    double duration = number_at(doc, 0, "duration_seconds", &known);
    if (started.len) {
        buf_printf(out, "  started %.*s", (int)started.len, started.ptr);
        if (ended.len) buf_printf(out, "  ended %.*s", (int)ended.len, ended.ptr);
        if (known) {
            buf_puts(out, "  took ");
            put_duration(out, duration);
        }
        buf_putc(out, '\n');
    }

    buf_printf(out, "\n%s%-8s%s %llu total", b, "ITEMS", r,
               (unsigned long long)count_at(doc, v.items, "total"));
    for (int k = 0; k < OUTCOMES; k++) {
        uint64_t n = count_at(doc, v.items, outcome_keys[k]);
        bool bad = k > 0 && n > 0;
        buf_printf(out, ", %s%llu %s%s", bad ? paint(style, RED) : "", (unsigned long long)n,
                   outcome_keys[k], bad ? r : "");
    }
    buf_printf(out, "\n%s%-8s%s %llu in (%llu cache read, %llu cache write), %llu out "
                    "(%llu reasoning)\n",
               b, "TOKENS", r, (unsigned long long)count_at(doc, v.tokens, "input"),
               (unsigned long long)count_at(doc, v.tokens, "cache_read"),
               (unsigned long long)count_at(doc, v.tokens, "cache_creation"),
               (unsigned long long)count_at(doc, v.tokens, "output"),
               (unsigned long long)count_at(doc, v.tokens, "reasoning"));
    uint64_t priced = count_at(doc, v.cost, "priced_items");
    uint64_t unpriced = count_at(doc, v.cost, "unpriced_items");
    buf_printf(out, "%s%-8s%s ", b, "COST", r);
    if (priced) {
        buf_puts(out, paint(style, GREEN));
        put_money(out, number_at(doc, v.cost, "usd", NULL));
        buf_printf(out, "%s at the batch price, ", r);
        put_money(out, number_at(doc, v.cost, "saved_usd", NULL));
        buf_puts(out, " saved");
    } else {
        buf_puts(out, "unknown (no item has a price)");
    }
    if (unpriced) buf_printf(out, "; %llu item%s without a price", (unsigned long long)unpriced,
                             unpriced == 1 ? "" : "s");
    buf_putc(out, '\n');

    /* Models: the name column takes what the numbers leave. */
    size_t name_width = width > 76 ? width - 56 : 20;
    if (name_width > 40) name_width = 40;
    buf_printf(out, "\n%s%-*s %6s %10s %10s %10s %10s%s\n", b, (int)name_width, "MODEL", "ITEMS",
               "INPUT", "OUTPUT", "COST", "SAVED", r);
    for (int m = first_of(doc, v.models); m >= 0; m = next_of(doc, v.models, m)) {
        bt_str name = printable(text_at(doc, m, "model", &v.arena), &v.arena);
        int tokens = json_get(doc, m, "tokens");
        put_cut(out, name.len ? name : str_c("(none)"), name_width, name_width);
        buf_printf(out, " %6llu %10llu %10llu ", (unsigned long long)count_at(doc, m, "items"),
                   (unsigned long long)count_at(doc, tokens, "input"),
                   (unsigned long long)count_at(doc, tokens, "output"));
        bool cost_known;
        double cost = number_at(doc, m, "cost_usd", &cost_known);
        buf_t cell = BUF_INIT;
        if (cost_known) put_money(&cell, cost);
        else buf_puts(&cell, count_at(doc, m, "unpriced_items") ? "no price" : "-");
        buf_printf(out, "%10s ", buf_cstr(&cell));
        buf_clear(&cell);
        if (cost_known) put_money(&cell, number_at(doc, m, "saved_usd", NULL));
        else buf_puts(&cell, "-");
        buf_printf(out, "%10s\n", buf_cstr(&cell));
        buf_free(&cell);
    }

    if (first_of(doc, v.errors) >= 0) {
        size_t type_width = 24, ids_width = width > 100 ? 30 : 16;
        size_t message_width = width - 9 - type_width - 2 - ids_width - 2;
        buf_printf(out, "\n%s%7s  %-*s  %-*s  %s%s\n", b, "ERRORS", (int)type_width, "TYPE",
                   (int)message_width, "MESSAGE", "FIRST CUSTOM_IDS", r);
        for (int g = first_of(doc, v.errors); g >= 0; g = next_of(doc, v.errors, g)) {
            buf_printf(out, "%s%7llu%s  ", paint(style, RED),
                       (unsigned long long)count_at(doc, g, "count"), r);
            put_cut(out, printable(text_at(doc, g, "type", &v.arena), &v.arena), type_width,
                    type_width);
            buf_puts(out, "  ");
            put_cut(out, printable(text_at(doc, g, "message", &v.arena), &v.arena),
                    message_width, message_width);
            buf_puts(out, "  ");
            buf_t ids = BUF_INIT;
            int list = json_get(doc, g, "custom_ids");
            for (int e = first_of(doc, list); e >= 0; e = next_of(doc, list, e)) {
                bt_str id;
                if (json_string(doc, e, &v.arena, &id) != 0) continue;
                buf_printf(&ids, "%s%.*s", ids.len ? ", " : "", (int)id.len, id.ptr);
            }
            put_cut(out, printable((bt_str){buf_cstr(&ids), ids.len}, &v.arena), ids_width, 0);
            buf_free(&ids);
            buf_putc(out, '\n');
        }
        uint64_t other = count_at(doc, 0, "other_errors");
        if (other) buf_printf(out, "%7llu  (other groups)\n", (unsigned long long)other);
    }

    uint64_t timed = count_at(doc, v.latency, "items");
    if (timed) {
        buf_printf(out, "\n%sLATENCY%s submit to end, %llu item%s with their own end time\n", b,
                   r, (unsigned long long)timed, timed == 1 ? "" : "s");
        int histogram = json_get(doc, v.latency, "histogram");
        uint64_t most = 1;
        for (int e = first_of(doc, histogram); e >= 0; e = next_of(doc, histogram, e))
            if (count_at(doc, e, "count") > most) most = count_at(doc, e, "count");
        size_t bar_width = width - 24;
        if (bar_width > 50) bar_width = 50;
        for (int e = first_of(doc, histogram); e >= 0; e = next_of(doc, histogram, e)) {
            uint64_t n = count_at(doc, e, "count");
            bt_str label = text_at(doc, e, "label", &v.arena);
            buf_printf(out, "  %-7.*s %8llu", (int)label.len, label.ptr, (unsigned long long)n);
            size_t filled = (size_t)((double)n / (double)most * (double)bar_width + 0.5);
            if (n && !filled) filled = 1;
            if (filled) buf_putc(out, ' ');
            for (size_t i = 0; i < filled; i++) buf_putc(out, '#');
            buf_putc(out, '\n');
        }
    }

    struct { int list; const char *title; const char *key; bool money; } rankings[] = {
        {v.slowest, "SLOWEST", "seconds", false},
        {v.costliest, "MOST EXPENSIVE", "usd", true},
    };
    for (int k = 0; k < 2; k++) {
        if (first_of(doc, rankings[k].list) < 0) continue;
        buf_printf(out, "\n%s%s%s\n", b, rankings[k].title, r);
        size_t id_width = (width - 16) / 2;
        for (int e = first_of(doc, rankings[k].list); e >= 0;
             e = next_of(doc, rankings[k].list, e)) {
            buf_puts(out, "  ");
            put_cut(out, printable(text_at(doc, e, "custom_id", &v.arena), &v.arena), id_width,
                    id_width);
            buf_putc(out, ' ');
            put_cut(out, printable(text_at(doc, e, "model", &v.arena), &v.arena),
                    width - id_width - 16, width - id_width - 16);
            buf_putc(out, ' ');
            double value = number_at(doc, e, rankings[k].key, NULL);
            if (rankings[k].money) put_money(out, value);
            else put_duration(out, value);
            buf_putc(out, '\n');
        }
    }
    view_close(&v);
    return 0;
}

/* ---- the HTML page ----------------------------------------------------------------------- */

/* Append s with <, >, &, " and ' escaped. */
static void put_html(buf_t *out, bt_str s) {
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        switch (c) {
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '&': buf_puts(out, "&amp;"); break;
        case '"': buf_puts(out, "&quot;"); break;
        case '\'': buf_puts(out, "&#39;"); break;
        default: buf_putc(out, c);
        }
    }
}

static const char page_style[] =
    "*{box-sizing:border-box}"
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "padding:16px;color:#1b1f24;background:#f6f7f9}"
    "main{max-width:1100px;margin:0 auto}"
    "h1{font-size:1.3rem;margin:0 0 4px}h2{font-size:1.05rem;margin:0 0 8px}"
    ".sub{color:#57606a;margin:0 0 16px;overflow-wrap:anywhere}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;"
    "margin-bottom:16px}"
    ".card{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:10px 12px}"
    ".card b{display:block;font-size:1.35rem}.card span{color:#57606a;font-size:.85rem}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px}"
    "section{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:12px;"
    "margin-bottom:12px;break-inside:avoid}"
    "svg{width:100%;height:auto;display:block}svg text{font:11px system-ui,sans-serif;"
    "fill:#1b1f24}"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}"
    "th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eaeef2;vertical-align:top;"
    "overflow-wrap:anywhere}td.n,th.n{text-align:right;white-space:nowrap}"
    ".scroll{overflow-x:auto}.bad{color:#b42318}.good{color:#1a7f37}"
    ".legend span{display:inline-block;margin-right:12px;font-size:.85rem}"
    ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}"
    "@media (max-width:600px){body{padding:8px;font-size:14px}.grid{grid-template-columns:1fr}}"
    "@media print{body{background:#fff;padding:0}section,.card{border-color:#999}"
    ".grid{grid-template-columns:1fr 1fr}a{color:inherit}}";

static const char *const outcome_colours[OUTCOMES] = {"#2da44e", "#cf222e", "#8c959f",
                                                      "#bf8700", "#6e7781"};

/* A summary card; tone is a class for the value ("bad", "good") or "". */
static void put_card(buf_t *out, const char *value, const char *label, const char *id,
                     const char *tone) {
    buf_printf(out, "<div class=\"card\" id=\"%s\"><b class=\"%s\">%s</b><span>%s</span></div>",
               id, tone, value, label);
}

/* Append s escaped, cut to max characters with an ellipsis (UTF-8 sequences kept whole). */
static void put_cut_html(buf_t *out, bt_str s, size_t max) {
    buf_t cut = BUF_INIT;
    put_cut(&cut, s, max, 0);
    put_html(out, (bt_str){buf_cstr(&cut), cut.len});
    buf_free(&cut);
}

/* One horizontal bar chart: rows of (label, value), bars scaled to the largest. Each bar is
 * a rect of class "bar" carrying data-label and data-value, so tests read the counts. */
static void put_bar_chart(buf_t *out, const char *id, const char *title, size_t count,
                          const bt_str *labels, const double *values, const char *const *colours,
                          bool money) {
    double most = 0;
    for (size_t i = 0; i < count; i++)
        if (values[i] > most) most = values[i];
    int row = 22, height = (int)count * row + 8;
    buf_printf(out, "<svg id=\"%s\" viewBox=\"0 0 400 %d\" role=\"img\" aria-label=\"", id,
               height);
    put_html(out, str_c(title));
    buf_puts(out, "\">");
    for (size_t i = 0; i < count; i++) {
        int y = (int)i * row + 4;
        double w = most > 0 ? values[i] / most * 170 : 0;
        if (values[i] > 0 && w < 2) w = 2;
        buf_printf(out, "<text x=\"0\" y=\"%d\">", y + 14);
        put_cut_html(out, labels[i], 24);
        buf_puts(out, "</text>");
        buf_printf(out, "<rect class=\"bar\" data-label=\"");
        put_html(out, labels[i]);
        buf_printf(out, "\" data-value=\"%.6f\" x=\"160\" y=\"%d\" width=\"%.1f\" height=\"16\" "
                        "rx=\"3\" fill=\"%s\"></rect>",
                   values[i], y + 2, w, colours ? colours[i] : "#0969da");
        buf_printf(out, "<text x=\"%.1f\" y=\"%d\">", 165 + w, y + 14);
        if (money) put_money(out, values[i]);
        else buf_printf(out, "%.0f", values[i]);
        buf_puts(out, "</text>");
    }
    buf_puts(out, "</svg>");
}

/* See render.h. */
int render_html(buf_t *out, const char *json, size_t len, char *reason) {
    report_view v;
    if (view_open(&v, json, len, reason) != 0) {
        view_close(&v);
        return -1;
    }
    const json_doc *doc = &v.doc;
    bt_str provider = text_at(doc, 0, "provider", &v.arena);
    bt_str batch_id = text_at(doc, 0, "batch_id", &v.arena);
    bt_str status = text_at(doc, 0, "batch_status", &v.arena);
    buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                  "<title>batchtrace report: ");
    put_html(out, batch_id.len ? batch_id : provider);
    buf_printf(out, "</title><style>%s</style></head><body><main>", page_style);
    buf_puts(out, "<h1>batchtrace report</h1><p class=\"sub\">");
    put_html(out, provider);
    buf_puts(out, " batch <b>");
    put_html(out, batch_id.len ? batch_id : str_c("(no id)"));
    buf_puts(out, "</b>");
    if (status.len) {
        buf_puts(out, " &middot; ");
        put_html(out, status);
    }
    bt_str started = text_at(doc, 0, "started", &v.arena), ended = text_at(doc, 0, "ended", &v.arena);
    if (started.len) {
        buf_puts(out, " &middot; started ");
        put_html(out, started);
    }
    if (ended.len) {
        buf_puts(out, " &middot; ended ");
        put_html(out, ended);
    }
    buf_puts(out, "</p>");

    /* Cards. */
    buf_t value = BUF_INIT;
    buf_puts(out, "<div class=\"cards\">");
    buf_printf(&value, "%llu", (unsigned long long)count_at(doc, v.items, "total"));
    put_card(out, buf_cstr(&value), "items", "card-items", "");
    buf_clear(&value);
    buf_printf(&value, "%llu", (unsigned long long)count_at(doc, v.items, "succeeded"));
    put_card(out, buf_cstr(&value), "succeeded", "card-succeeded", "");
    buf_clear(&value);
    uint64_t failed = count_at(doc, v.items, "total") - count_at(doc, v.items, "succeeded");
    buf_printf(&value, "%llu", (unsigned long long)failed);
    put_card(out, buf_cstr(&value), "did not succeed", "card-failed", failed ? "bad" : "good");
    buf_clear(&value);
    uint64_t priced = count_at(doc, v.cost, "priced_items");
    if (priced) put_money(&value, number_at(doc, v.cost, "usd", NULL));
    else buf_puts(&value, "unknown");
    put_card(out, buf_cstr(&value), "cost at the batch price", "card-cost", "");
    buf_clear(&value);
    if (priced) put_money(&value, number_at(doc, v.cost, "saved_usd", NULL));
    else buf_puts(&value, "unknown");
    put_card(out, buf_cstr(&value), "saved against synchronous calls", "card-saved", "good");
    buf_clear(&value);
    bool known;
    double duration = number_at(doc, 0, "duration_seconds", &known);
    if (known) put_duration(&value, duration);
    else buf_puts(&value, "unknown");
    put_card(out, buf_cstr(&value), "submit to end", "card-duration", "");
    buf_free(&value);
    buf_puts(out, "</div><div class=\"grid\">");

    /* Outcomes. */
    bt_str labels[OUTCOMES];
    double values[OUTCOMES];
    for (int k = 0; k < OUTCOMES; k++) {
        labels[k] = str_c(outcome_keys[k]);
        values[k] = (double)count_at(doc, v.items, outcome_keys[k]);
    }
    buf_puts(out, "<section><h2>Outcomes</h2>");
    put_bar_chart(out, "chart-outcomes", "items by outcome", OUTCOMES, labels, values,
                  outcome_colours, false);
    buf_puts(out, "</section>");

    /* Tokens and cost per model. */
    size_t model_count = (size_t)json_count(doc, v.models);
    bt_str *names = arena_calloc(&v.arena, model_count * 2 + 1, sizeof *names);
    double *tokens = arena_calloc(&v.arena, model_count * 2 + 1, sizeof *tokens);
    double *costs = arena_calloc(&v.arena, model_count + 1, sizeof *costs);
    const char **colours = arena_calloc(&v.arena, model_count * 2 + 1, sizeof *colours);
    size_t m_index = 0;
    for (int m = first_of(doc, v.models); m >= 0; m = next_of(doc, v.models, m), m_index++) {
        bt_str name = text_at(doc, m, "model", &v.arena);
        if (!name.len) name = str_c("(none)");
        int t = json_get(doc, m, "tokens");
        size_t input_len = name.len + 6, output_len = name.len + 7;
        char *input_label = arena_alloc(&v.arena, input_len + 1);
        char *output_label = arena_alloc(&v.arena, output_len + 1);
        snprintf(input_label, input_len + 1, "%.*s input", (int)name.len, name.ptr);
        snprintf(output_label, output_len + 1, "%.*s output", (int)name.len, name.ptr);
        names[2 * m_index] = (bt_str){input_label, input_len};
        names[2 * m_index + 1] = (bt_str){output_label, output_len};
        tokens[2 * m_index] = (double)count_at(doc, t, "input");
        tokens[2 * m_index + 1] = (double)count_at(doc, t, "output");
        colours[2 * m_index] = "#0969da";
        colours[2 * m_index + 1] = "#8250df";
        costs[m_index] = number_at(doc, m, "cost_usd", NULL);
    }
    buf_puts(out, "<section><h2>Tokens per model</h2><p class=\"legend\"><span><i "
                  "style=\"background:#0969da\"></i>input</span><span><i "
                  "style=\"background:#8250df\"></i>output</span></p>");
    put_bar_chart(out, "chart-tokens", "tokens per model", model_count * 2, names, tokens,
                  colours, false);
    buf_puts(out, "</section><section><h2>Cost per model</h2>");
    bt_str *model_names = arena_calloc(&v.arena, model_count + 1, sizeof *model_names);
    m_index = 0;
    for (int m = first_of(doc, v.models); m >= 0; m = next_of(doc, v.models, m), m_index++) {
        model_names[m_index] = text_at(doc, m, "model", &v.arena);
        if (!model_names[m_index].len) model_names[m_index] = str_c("(none)");
    }
    put_bar_chart(out, "chart-cost", "cost per model at the batch price (USD)", model_count,
                  model_names, costs, NULL, true);
    buf_puts(out, "</section>");

    /* Latency. */
    int histogram = json_get(doc, v.latency, "histogram");
    size_t buckets = (size_t)json_count(doc, histogram);
    bt_str *bucket_labels = arena_calloc(&v.arena, buckets + 1, sizeof *bucket_labels);
    double *bucket_counts = arena_calloc(&v.arena, buckets + 1, sizeof *bucket_counts);
    size_t b_index = 0;
    for (int e = first_of(doc, histogram); e >= 0; e = next_of(doc, histogram, e), b_index++) {
        bucket_labels[b_index] = text_at(doc, e, "label", &v.arena);
        bucket_counts[b_index] = (double)count_at(doc, e, "count");
    }
    buf_printf(out, "<section><h2>Latency, submit to end</h2><p class=\"sub\">%llu items carry "
                    "their own end time</p>",
               (unsigned long long)count_at(doc, v.latency, "items"));
    put_bar_chart(out, "chart-latency", "latency histogram", buckets, bucket_labels,
                  bucket_counts, NULL, false);
    buf_puts(out, "</section></div>");

    /* Tables: models, errors, rankings. */
    buf_puts(out, "<section><h2>Models</h2><div class=\"scroll\"><table id=\"table-models\">"
                  "<tr><th>model</th><th class=\"n\">items</th><th class=\"n\">input</th>"
                  "<th class=\"n\">cache read</th><th class=\"n\">cache write</th>"
                  "<th class=\"n\">output</th><th class=\"n\">reasoning</th>"
                  "<th class=\"n\">cost</th><th class=\"n\">saved</th></tr>");
    for (int m = first_of(doc, v.models); m >= 0; m = next_of(doc, v.models, m)) {
        int t = json_get(doc, m, "tokens");
        buf_puts(out, "<tr><td>");
        put_html(out, text_at(doc, m, "model", &v.arena));
        buf_printf(out, "</td><td class=\"n\">%llu</td>", (unsigned long long)count_at(doc, m, "items"));
        const char *keys[] = {"input", "cache_read", "cache_creation", "output", "reasoning"};
        for (int k = 0; k < 5; k++)
            buf_printf(out, "<td class=\"n\">%llu</td>", (unsigned long long)count_at(doc, t, keys[k]));
        bool cost_known;
        double cost = number_at(doc, m, "cost_usd", &cost_known);
        buf_puts(out, "<td class=\"n\">");
        if (cost_known) put_money(out, cost);
        else buf_puts(out, count_at(doc, m, "unpriced_items") ? "no price" : "-");
        buf_puts(out, "</td><td class=\"n\">");
        if (cost_known) put_money(out, number_at(doc, m, "saved_usd", NULL));
        else buf_puts(out, "-");
        buf_puts(out, "</td></tr>");
    }
    buf_puts(out, "</table></div></section>");

    buf_puts(out, "<section><h2>Errors by type and message</h2>");
    if (first_of(doc, v.errors) < 0) {
        buf_puts(out, "<p class=\"good\">No item failed.</p>");
    } else {
        buf_puts(out, "<div class=\"scroll\"><table id=\"table-errors\"><tr><th class=\"n\">"
                      "count</th><th>type</th><th>message</th><th>first custom_ids</th></tr>");
        for (int g = first_of(doc, v.errors); g >= 0; g = next_of(doc, v.errors, g)) {
            buf_printf(out, "<tr><td class=\"n bad\">%llu</td><td>",
                       (unsigned long long)count_at(doc, g, "count"));
            put_html(out, text_at(doc, g, "type", &v.arena));
            buf_puts(out, "</td><td>");
            put_html(out, text_at(doc, g, "message", &v.arena));
            buf_puts(out, "</td><td>");
            int list = json_get(doc, g, "custom_ids");
            bool first = true;
            for (int e = first_of(doc, list); e >= 0; e = next_of(doc, list, e)) {
                bt_str id;
                if (json_string(doc, e, &v.arena, &id) != 0) continue;
                if (!first) buf_puts(out, ", ");
                put_html(out, id);
                first = false;
            }
            buf_puts(out, "</td></tr>");
        }
        buf_puts(out, "</table></div>");
    }
    buf_puts(out, "</section><div class=\"grid\">");
    struct { int list; const char *title; const char *id; const char *key; bool money; } rankings[] = {
        {v.slowest, "Slowest items", "table-slowest", "seconds", false},
        {v.costliest, "Most expensive items", "table-expensive", "usd", true},
    };
    for (int k = 0; k < 2; k++) {
        buf_printf(out, "<section><h2>%s</h2>", rankings[k].title);
        if (first_of(doc, rankings[k].list) < 0) {
            buf_puts(out, "<p class=\"sub\">None known.</p></section>");
            continue;
        }
        buf_printf(out, "<table id=\"%s\"><tr><th>custom_id</th><th>model</th><th class=\"n\">"
                        "%s</th></tr>",
                   rankings[k].id, rankings[k].money ? "cost" : "latency");
        for (int e = first_of(doc, rankings[k].list); e >= 0;
             e = next_of(doc, rankings[k].list, e)) {
            buf_puts(out, "<tr><td>");
            put_html(out, text_at(doc, e, "custom_id", &v.arena));
            buf_puts(out, "</td><td>");
            put_html(out, text_at(doc, e, "model", &v.arena));
            buf_puts(out, "</td><td class=\"n\">");
            double amount = number_at(doc, e, rankings[k].key, NULL);
            if (rankings[k].money) put_money(out, amount);
            else put_duration(out, amount);
            buf_puts(out, "</td></tr>");
        }
        buf_puts(out, "</table></section>");
    }
    buf_puts(out, "</div><p class=\"sub\">Costs are estimates at the provider's batch price "
                  "from batchtrace's price table; items whose model has no price have no "
                  "cost.</p></main></body></html>\n");
    view_close(&v);
    return 0;
}
