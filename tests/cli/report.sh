#!/usr/bin/env bash
# `batchtrace report` (README "What a batch cost"; docs/design.md, "Report"): costs in the
# --json report against a table computed by hand, one warning for a model without a price,
# the table piped (no colour) and under a pseudo-terminal at 80 and 200 columns (colour,
# long text cut to the width or shown whole, NO_COLOR honoured), the HTML page rendered by
# headless Chromium (no console message, every chart with the counts of the JSON, a
# screenshot kept under the build directory), and collect's progress line (items/s, ETA)
# at a terminal only.
#   tests/cli/report.sh BINARY
. "$(dirname "$0")/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
BUILD_DIR=$(dirname "$BIN")
PY=/usr/bin/python3
PTY="$BT_REPO_ROOT/tests/cli/pty_run.py"
EX="$BT_REPO_ROOT/examples"
passed=0
failed=0

# Records a check: check NAME CONDITION_TEXT... (the condition is evaluated with eval).
check() {
    local name=$1
    shift
    if eval "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name: $*" >&2
        if [ -s "$W/err" ]; then sed 's/^/    /' "$W/err" >&2; fi
    fi
}

# Runs the binary in $W with a clean environment; sets $code (stdout in $W/out, stderr in
# $W/err).
run() {
    set +e
    (cd "$W" && env -i PATH="$PATH" HOME="$W/home" ${NO_COLOR+NO_COLOR="$NO_COLOR"} \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
        $(bt_wrapper) "$BIN" "$@" >"$W/out" 2>"$W/err")
    code=$?
    set -e
}

# The value at a path of the JSON in file ("cost.usd", "models.0.cost_usd").
json_at() {
    "$PY" -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$1" "$2"
}

# True when $1 and $2 are equal within half a millionth of a dollar.
same_money() { "$PY" -c 'import sys; sys.exit(abs(float(sys.argv[1])-float(sys.argv[2]))>5e-7)' "$1" "$2"; }

ANTHROPIC=(--input "$EX/anthropic/requests.json" --results "$EX/anthropic/results.jsonl"
           --batch "$EX/anthropic/batch.json")
OPENAI=(--input "$EX/openai/input.jsonl" --results "$EX/openai/output.jsonl"
        --results "$EX/openai/errors.jsonl" --batch "$EX/openai/batch.json")

# Hand-computed (data/prices.json, per million tokens, batch discount 50%):
#   anthropic claude-sonnet-4-5: 4473 in = 2291 uncached + 1091 cache read + 1091 cache write,
#     738 out: (2291*3 + 1091*0.30 + 1091*3.75 + 738*15) / 1e6 / 2 = 0.011180775
#   anthropic claude-haiku-4-5: 41 in, 78 out: (41*1 + 78*5) / 1e6 / 2 = 0.0002155
#   anthropic claude-opus-4-1: two failed items, no tokens: no cost
#   batch: 0.011396275, saved the same
#   openai o4-mini: 4135 in = 2087 uncached + 2048 cache read, 1953 out:
#     (2087*1.10 + 2048*0.275 + 1953*4.40) / 1e6 / 2 = 0.00572605
costs_match_the_hand_computed_table() {
    W="$BT_TMP/costs" && mkdir -p "$W"
    run report --json "${ANTHROPIC[@]}"
    check anthropic-exit '[ "$code" = 0 ]'
    cp "$W/out" "$W/anthropic.json"
    check anthropic-total 'same_money "$(json_at "$W/anthropic.json" cost.usd)" 0.011396275'
    check anthropic-saved 'same_money "$(json_at "$W/anthropic.json" cost.saved_usd)" 0.011396275'
    check anthropic-sonnet '[ "$(json_at "$W/anthropic.json" models.1.model)" = claude-sonnet-4-5 ] &&
        same_money "$(json_at "$W/anthropic.json" models.1.cost_usd)" 0.011180775'
    check anthropic-haiku 'same_money "$(json_at "$W/anthropic.json" models.0.cost_usd)" 0.0002155'
    check anthropic-opus-no-cost '[ "$(json_at "$W/anthropic.json" models.2.cost_usd)" = None ]'
    check anthropic-errors '[ "$(json_at "$W/anthropic.json" errors.0.type)" = invalid_request_error ] &&
        [ "$(json_at "$W/anthropic.json" errors.0.custom_ids.0)" = bulk-0004 ] &&
        [ "$(json_at "$W/anthropic.json" errors.1.type)" = expired ]'
    run report --json "${OPENAI[@]}"
    cp "$W/out" "$W/openai.json"
    check openai-total 'same_money "$(json_at "$W/openai.json" cost.usd)" 0.00572605'
    check openai-latency '[ "$(json_at "$W/openai.json" latency.items)" = 9 ] &&
        [ "$(json_at "$W/openai.json" slowest.0.custom_id)" = lang-detect-0001 ]'
    # The spans carry the same numbers: the task sums its items.
    run collect "${ANTHROPIC[@]}" --output "$W/spans.jsonl" --json
    check spans-task-cost 'grep -q "\"batchtrace.cost.usd\",\"value\":{\"doubleValue\":0.011396275}" "$W/spans.jsonl"'
}

a_model_without_a_price_warns_once() {
    W="$BT_TMP/unpriced" && mkdir -p "$W"
    local fix="$BT_REPO_ROOT/tests/fixtures/openai-tool-calls-and-reasoning"
    run report --json --input "$fix/input.jsonl" --results "$fix/output.jsonl"
    check unpriced-warning '[ "$(grep -c "no price for openai model \"o3-mini\"" "$W/err")" = 1 ]'
    check unpriced-count '[ "$(json_at "$W/out" cost.unpriced_items)" = 3 ] &&
        [ "$(json_at "$W/out" cost.priced_items)" = 0 ]'
    printf '{"prices":[{"provider":"openai","model":"o3-mini","input":1.10,"output":4.40,"batch_discount":0.5}]}' \
        > "$W/prices.json"
    run report --json --prices "$W/prices.json" --input "$fix/input.jsonl" --results "$fix/output.jsonl"
    check prices-flag '[ "$(json_at "$W/out" cost.priced_items)" = 3 ] && ! grep -q "no price" "$W/err"'
    printf '{"prices": 1}' > "$W/bad.json"
    run report --prices "$W/bad.json" --results "$fix/output.jsonl"
    check prices-broken '[ "$code" = 2 ] && grep -q "not a price table" "$W/err"'
}

# The widest line of a file once ANSI escapes are removed, in characters.
widest() {
    "$PY" -c 'import re,sys
t=open(sys.argv[1],encoding="utf-8").read().replace("\r","")
print(max(len(re.sub(r"\x1b\[[0-9;]*[A-Za-z]","",l)) for l in t.split("\n")))' "$1"
}

LONG_MESSAGE='max_tokens: 64000 > 32000, which is the maximum allowed number of output tokens for claude-opus-4-1-20250805'

the_table_fits_the_terminal_and_is_coloured_only_there() {
    W="$BT_TMP/table" && mkdir -p "$W"
    run report "${ANTHROPIC[@]}"
    check piped-exit '[ "$code" = 0 ]'
    check piped-no-colour '! grep -q $'"'"'\033'"'"' "$W/out"'
    check piped-cost 'grep -q "^COST     \$0.0114 at the batch price, \$0.0114 saved" "$W/out"'
    local width
    for width in 80 200; do
        set +e
        (cd "$W" && env -i PATH="$PATH" HOME="$W/home" "$PY" "$PTY" "$width" "$W/tty$width" \
            $(bt_wrapper) "$BIN" report "${ANTHROPIC[@]}")
        code=$?
        set -e
        check "tty$width-exit" '[ "$code" = 0 ]'
        check "tty$width-colour" 'grep -q $'"'"'\033\[1m'"'"' "$W/tty$width"'
        check "tty$width-fits" '[ "$(widest "$W/tty$width")" -le "$width" ]'
    done
    check tty80-cut '! grep -qF "$LONG_MESSAGE" "$W/tty80" && grep -qF "max_tokens: 64000" "$W/tty80"'
    check tty200-whole 'grep -qF "$LONG_MESSAGE" "$W/tty200"'
    set +e
    (cd "$W" && env -i PATH="$PATH" HOME="$W/home" NO_COLOR=1 "$PY" "$PTY" 100 "$W/nocolor" \
        "$BIN" report "${ANTHROPIC[@]}")
    set -e
    check no-color '! grep -q $'"'"'\033'"'"' "$W/nocolor" && grep -q "^COST" "$W/nocolor"'
}

the_html_page_renders_every_chart_in_chromium() {
    W="$BT_TMP/html" && mkdir -p "$W"
    if ! command -v chromium >/dev/null; then
        check chromium-installed 'false # scripts/install-deps.sh test installs Debian chromium'
        return
    fi
    run report --json --html "$W/report.html" "${OPENAI[@]}"
    check html-exit '[ "$code" = 0 ] && [ -s "$W/report.html" ]'
    cp "$W/out" "$W/report.json"
    # Self-contained: no script, nothing fetched.
    check html-self-contained '! grep -qiE "<script|src=|<link|url\(|@import" "$W/report.html"'
    local chrome=(chromium --headless --no-sandbox --disable-gpu --no-first-run
                  --user-data-dir="$W/chrome" --enable-logging=stderr --v=0)
    set +e
    timeout 120 "${chrome[@]}" --dump-dom "file://$W/report.html" >"$W/dom.html" 2>"$W/chrome.err"
    code=$?
    timeout 120 "${chrome[@]}" --hide-scrollbars --window-size=1100,1500 \
        --screenshot="$BUILD_DIR/report-screenshot.png" "file://$W/report.html" \
        >/dev/null 2>>"$W/chrome.err"
    set -e
    check chromium-dom '[ "$code" = 0 ] && grep -q "chart-latency" "$W/dom.html"'
    check chromium-no-console-message '! grep -E "CONSOLE|Uncaught" "$W/chrome.err"'
    check chromium-screenshot '[ "$(head -c 8 "$BUILD_DIR/report-screenshot.png" | od -An -tx1 | tr -d " ")" = 89504e470d0a1a0a ]'
    # Every chart has one bar per value of the JSON, with that value.
    check charts-match-json '"$PY" - "$W/dom.html" "$W/report.json" <<'"'"'PYEOF'"'"'
import json, sys
from html.parser import HTMLParser
class Bars(HTMLParser):
    def __init__(self):
        super().__init__(); self.chart = None; self.bars = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg": self.chart = a.get("id"); self.bars[self.chart] = []
        if tag == "rect" and a.get("class") == "bar":
            self.bars[self.chart].append((a["data-label"], float(a["data-value"])))
p = Bars(); p.feed(open(sys.argv[1]).read())
r = json.load(open(sys.argv[2]))
want = {
  "chart-outcomes": [(k, r["items"][k]) for k in ("succeeded","errored","canceled","expired","missing")],
  "chart-tokens": [x for m in r["models"] for x in ((m["model"]+" input", m["tokens"]["input"]),
                                                     (m["model"]+" output", m["tokens"]["output"]))],
  "chart-cost": [(m["model"], m["cost_usd"] or 0) for m in r["models"]],
  "chart-latency": [(b["label"], b["count"]) for b in r["latency"]["histogram"]],
}
bad = [c for c in want if [(l, round(v, 6)) for l, v in p.bars.get(c, [])] != [(l, round(float(v), 6)) for l, v in want[c]]]
assert sum(v for _, v in p.bars["chart-latency"]) == r["latency"]["items"] == 9
assert p.bars["chart-outcomes"][0] == ("succeeded", 9.0)
sys.exit(1 if bad else 0)
PYEOF'
}

progress_shows_items_per_second_and_eta_at_a_terminal_only() {
    W="$BT_TMP/progress" && mkdir -p "$W"
    # About 10 MB of results (the bar starts above 8 MiB).
    "$PY" - "$W/output.jsonl" <<'PYEOF'
import json, sys
pad = "x" * 2000
with open(sys.argv[1], "w") as out:
    for i in range(5000):
        body = {"id": "chatcmpl-%d" % i, "object": "chat.completion", "created": 1767225600,
                "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant",
                "content": pad}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 500}}
        out.write(json.dumps({"id": "batch_req_%d" % i, "custom_id": "r-%d" % i,
                              "response": {"status_code": 200, "request_id": "q", "body": body},
                              "error": None}) + "\n")
PYEOF
    set +e
    (cd "$W" && env -i PATH="$PATH" HOME="$W/home" "$PY" "$PTY" 120 "$W/tty" \
        "$BIN" collect --results "$W/output.jsonl" --output "$W/spans.jsonl")
    set -e
    check progress-tty 'grep -aqE "[0-9]+ items/s +ETA [0-9-]" "$W/tty"'
    run collect --results "$W/output.jsonl" --output "$W/spans2.jsonl"
    check progress-silent-when-piped '! grep -q "items/s" "$W/err" && grep -q "cost     [$]0.7537" "$W/err"'
}

the_store_keeps_the_report_of_a_collect_with_a_context() {
    W="$BT_TMP/store" && mkdir -p "$W"
    local id=msgbatch_01hsDgD2H2BSBSgqYrFaurCR
    run start --input "$EX/anthropic/requests.json" --output "$W/spans.jsonl" --store "sqlite:$W/state.db"
    local context
    context=$(cat "$W/out")
    run bind --batch-id "$id" --context "$context" --store "sqlite:$W/state.db"
    run collect --results "$EX/anthropic/results.jsonl" --batch "$EX/anthropic/batch.json" \
        --output "$W/spans.jsonl" --store "sqlite:$W/state.db" --json
    check store-collect '[ "$code" = 0 ]'
    run report --json --batch-id "$id" --store "sqlite:$W/state.db"
    check store-report '[ "$code" = 0 ] && same_money "$(json_at "$W/out" cost.usd)" 0.011396275 &&
        [ "$(json_at "$W/out" items.total)" = 8 ] && [ "$(json_at "$W/out" batch_id)" = "$id" ]'
    run report --batch-id msgbatch_unknown --store "sqlite:$W/state.db"
    check store-unknown '[ "$code" = 1 ] && grep -q "batch id msgbatch_unknown has no report in the store" "$W/err"'
}

costs_match_the_hand_computed_table
the_store_keeps_the_report_of_a_collect_with_a_context
a_model_without_a_price_warns_once
the_table_fits_the_terminal_and_is_coloured_only_there
the_html_page_renders_every_chart_in_chromium
progress_shows_items_per_second_and_eta_at_a_terminal_only

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
