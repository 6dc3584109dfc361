/* `batchtrace report`: parse, call batchtrace_report, print the table (or the JSON) and
 * write the HTML page. The table and the page are drawn by src/report/render.c from the
 * report's JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "batchtrace.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/report.h"
#include "report/render.h"
#include "util/buf.h"

/* How the table is drawn on stdout: as wide as the terminal (else $COLUMNS, else 100),
 * coloured only at a terminal and when NO_COLOR is unset or empty (no-color.org). */
static render_style table_style(void) {
    render_style style = {100, false};
    bool tty = isatty(STDOUT_FILENO) == 1;
    struct winsize size;
    const char *columns = getenv("COLUMNS");
    if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
        style.width = size.ws_col;
    else if (columns && atoi(columns) > 0)
        style.width = atoi(columns);
    const char *no_color = getenv("NO_COLOR");
    style.colour = tty && !(no_color && *no_color);
    return style;
}

/* Write text to path. 0, or -1 after saying why. */
static int write_page(const char *path, const buf_t *page) {
    FILE *file = fopen(path, "wb");
    if (!file) {
        perror(path);
        return -1;
    }
    bool failed = fwrite(buf_cstr(page), 1, page->len, file) != page->len;
    failed = fclose(file) != 0 || failed;
    if (failed) perror(path);
    return failed ? -1 : 0;
}

/* See commands.h. */
int cmd_report(int argc, char **argv) {
    cli_config config;
    int exit_code = BATCHTRACE_EXIT_USAGE;
    batchtrace_summary *summary = NULL;
    buf_t text = BUF_INIT;
    cli_report report;
    report_init(&report, false);
    if (cli_parse(CMD_REPORT, argc, argv, &config) != 0) {
        fputs("Try 'batchtrace report --help'.\n", stderr);
        goto done;
    }
    if (config.help || config.version) {
        if (config.help) cli_print_help(stdout, CMD_REPORT);
        else printf("batchtrace %s\n", batchtrace_version());
        exit_code = BATCHTRACE_EXIT_OK;
        goto done;
    }
    report.quiet = config.quiet;
    batchtrace_collect_options options = BATCHTRACE_COLLECT_OPTIONS_INIT;
    options.results_paths = config.results_paths;
    options.results_count = config.results_count;
    options.batch_path = config.batch_path;
    options.input_path = config.input_path;
    options.provider = config.provider;
    options.prices_path = config.prices_path;
    options.batch_id = config.batch_id;
    options.store = config.store;
    options.on_diagnostic = report_diagnostic;
    options.callback_ctx = &report;
    int rc = batchtrace_report(&summary, &options);
    report_finish(&report);
    if (rc != BATCHTRACE_OK) {
        fprintf(stderr, "batchtrace: error: %s\n", batchtrace_last_error());
        if (rc == BATCHTRACE_EUSAGE) fputs("Try 'batchtrace report --help'.\n", stderr);
        exit_code = rc == BATCHTRACE_EUSAGE ? BATCHTRACE_EXIT_USAGE : BATCHTRACE_EXIT_FATAL;
        goto done;
    }
    exit_code = summary->rejected_count ? BATCHTRACE_EXIT_REJECTED : BATCHTRACE_EXIT_OK;
    char reason[REASON_MAX];
    if (config.html_path) {
        if (render_html(&text, summary->report_json, strlen(summary->report_json), reason) != 0 ||
            write_page(config.html_path, &text) != 0) {
            exit_code = BATCHTRACE_EXIT_FATAL;
            goto done;
        }
        buf_clear(&text);
    }
    if (config.json) {
        printf("%s\n", summary->report_json);
    } else {
        render_style style = table_style();
        if (render_terminal(&text, summary->report_json, strlen(summary->report_json), &style,
                            reason) != 0) {
            fprintf(stderr, "batchtrace: error: %s\n", reason);
            exit_code = BATCHTRACE_EXIT_FATAL;
            goto done;
        }
        fwrite(buf_cstr(&text), 1, text.len, stdout);
    }
    if (config.html_path && !config.quiet)
        fprintf(stderr, "batchtrace: the HTML report is in %s\n", config.html_path);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("batchtrace: writing to stdout");
        exit_code = BATCHTRACE_EXIT_FATAL;
    }
done:
    buf_free(&text);
    batchtrace_summary_free(summary);
    cli_config_free(&config);
    return exit_code;
}
