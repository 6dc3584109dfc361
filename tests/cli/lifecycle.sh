#!/usr/bin/env bash
# The lifecycle end to end (SPEC section 3; docs/design.md, "Lifecycle"): `start` in one
# process and working directory, `bind`, `collect` in another with only the results and
# the batch id, against the oracle's sink on 127.0.0.1: the trace tree, the submit span,
# tokens that fail (tampered, another key, other inputs), collecting twice and --force,
# a running batch collected in two steps, two collects at once on one store, `status`, an
# Anthropic task sent provisional without the batch object and finished by a later collect.
#   tests/cli/lifecycle.sh BINARY
. "$(dirname "$0")/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ORACLE="$BT_REPO_ROOT/tests/oracle"
CHECK="$BT_REPO_ROOT/tests/cli/lifecycle_check.js"
FIXTURES="$BT_REPO_ROOT/tests/fixtures"
TP=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
passed=0
failed=0
cd "$BT_REPO_ROOT"
bt_oracle_ready
command -v sqlite3 >/dev/null || { echo "$0: needs the sqlite3 command (scripts/install-deps.sh test)" >&2; exit 1; }

bt_start_sink
PORT=$SINK_PORT
SINK="http://127.0.0.1:$PORT"

# Environment added to every run (on top of a clean one); cases set it.
EXTRA_ENV=()

# Starts a case: its directory $W (with a/ for start and b/ for collect: two working
# directories sharing the user's store under $W/state).
begin() {
    CASE=$1
    W="$BT_TMP/$CASE"
    mkdir -p "$W/a" "$W/b"
    EXTRA_ENV=()
}

# The state directory of the next run's store: XDG_STATE_HOME in EXTRA_ENV, else $W/state.
# With BATCHTRACE_TEST_PG set, it names a schema of that database instead (lib.sh).
store_dir() {
    local assignment
    for assignment in ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"}; do
        case $assignment in XDG_STATE_HOME=*) echo "${assignment#XDG_STATE_HOME=}"; return ;; esac
    done
    echo "$W/state"
}

# Whether the store is SQLite (the checks of the store file itself run only then).
sqlite_store() { [ -z "${BATCHTRACE_TEST_PG:-}" ]; }

# bt DIR RECEIVED ARG...: runs the binary in working directory DIR with a clean environment,
# exporting over OTLP/protobuf to the sink, which stores what it receives in $W/RECEIVED;
# sets $code, $out (stdout) and $err (stderr).
bt() {
    local dir=$1 received=$2
    shift 2
    bt_sink_control "$PORT" '{"dir": "'"$W/$received"'", "then": {"status": 200}}'
    set +e
    (cd "$dir" && env -i PATH="$PATH" HOME="$W/home" XDG_STATE_HOME="$W/state" \
        $(bt_store_env "$(store_dir)") BATCHTRACE_NOW=2026-01-01T00:00:00Z \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
        ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"} $(bt_wrapper) "$BIN" "$@" \
        --exporter otlp --endpoint "$SINK" >"$W/out" 2>"$W/err")
    code=$?
    set -e
    out=$(cat "$W/out")
    err=$(cat "$W/err")
}

# Like bt for commands that export nothing (bind, status).
bt_local() {
    set +e
    env -i PATH="$PATH" HOME="$W/home" XDG_STATE_HOME="$W/state" $(bt_store_env "$(store_dir)") \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
        ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"} $(bt_wrapper) "$BIN" "$@" >"$W/out" 2>"$W/err"
    code=$?
    set -e
    out=$(cat "$W/out")
    err=$(cat "$W/err")
}

# q QUERY ARG...: a lifecycle_check.js query.
q() {
    node "$CHECK" "$@"
}

# How many spans the sink received in $W/DIR.
span_count() {
    q ids "$W/$1" | grep -c . || true
}

# The value of a top-level member of the JSON object in $out.
json_get() {
    printf '%s' "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(typeof v==="string"?v:JSON.stringify(v))})' "$1"
}

# with_metadata BATCH_JSON TOKEN: the batch object with metadata.batchtrace_ctx = TOKEN.
with_metadata() {
    node -e 'const fs=require("fs");const b=JSON.parse(fs.readFileSync(process.argv[1]));b.metadata=Object.assign({},b.metadata,{batchtrace_ctx:process.argv[2]});console.log(JSON.stringify(b))' "$1" "$2"
}

# gen_batch DIR COUNT STATUS HALF: an OpenAI batch of COUNT chat items in DIR: input.jsonl,
# output.jsonl (all results), half.jsonl (the first HALF), batch-running.json and
# batch-done.json (ids batch_gen_COUNT).
gen_batch() {
    mkdir -p "$1"
    node -e '
const fs = require("fs");
const [dir, count, half] = process.argv.slice(1);
const inputs = [], outputs = [];
for (let i = 1; i <= Number(count); i++) {
  const id = `req-${String(i).padStart(5, "0")}`;
  inputs.push(JSON.stringify({custom_id: id, method: "POST", url: "/v1/chat/completions",
    body: {model: "gpt-4o-mini", max_tokens: 20, messages: [{role: "user", content: `Label review ${i}.`}]}}));
  outputs.push(JSON.stringify({id: `batch_req_${i}`, custom_id: id, response: {status_code: 200,
    request_id: `r${i}`, body: {id: `chatcmpl-${i}`, object: "chat.completion", created: 1767225700,
    model: "gpt-4o-mini", choices: [{index: 0, message: {role: "assistant", content: "positive"},
    finish_reason: "stop"}], usage: {prompt_tokens: 9, completion_tokens: 1, total_tokens: 10}}}, error: null}));
}
const batch = (status, done) => JSON.stringify({id: `batch_gen_${count}`, object: "batch",
  endpoint: "/v1/chat/completions", status, created_at: 1767225600, in_progress_at: 1767225610,
  completed_at: done ? 1767229200 : null, request_counts: {total: Number(count),
  completed: done ? Number(count) : Number(half), failed: 0}});
fs.writeFileSync(`${dir}/input.jsonl`, inputs.join("\n") + "\n");
fs.writeFileSync(`${dir}/output.jsonl`, outputs.join("\n") + "\n");
fs.writeFileSync(`${dir}/half.jsonl`, outputs.slice(0, Number(half)).join("\n") + "\n");
fs.writeFileSync(`${dir}/batch-running.json`, batch("in_progress", false));
fs.writeFileSync(`${dir}/batch-done.json`, batch("completed", true));
' "$1" "$2" "$3"
}

OA="$FIXTURES/openai-chat-all-outcomes"
OA_ID=batch_696eb2d17b178190575b2822d8e962d4
AN="$FIXTURES/anthropic-all-result-types"
AN_ID=msgbatch_01i41Z2MgCZzaQepWQa42pcY
MISMATCH="signature does not match: signed under another key, or altered"

# ---- OpenAI end to end: the token travels in the batch object's metadata -----------------
begin openai-end-to-end
cp "$OA/input.jsonl" "$W/a/"
EXTRA_ENV=(TRACEPARENT=$TP)
bt "$W/a" submit start --input input.jsonl --json
check start-exit '[ "$code" = 0 ]'
TOKEN=$(json_get context)
check start-json '[ "$(json_get trace_id)" = 0af7651916cd43dd8448eb211c80319c ] && [ "$(json_get metadata)" = "{\"batchtrace_ctx\":\"$TOKEN\"}" ] && [ "${#TOKEN}" = 171 ]'
TASK=$(json_get task_span_id)
check start-traceparent '[ "$(json_get traceparent)" = "00-0af7651916cd43dd8448eb211c80319c-$TASK-01" ]'
check submit-span '[ "$(q submit "$W/submit" $TP openai)" = ok ]'
check submit-attributes '[ "$(q attr "$W/submit" openai.batch.submit batchtrace.custom_id.count)" = 5 ] && [ "$(q attr "$W/submit" openai.batch.submit gen_ai.request.model)" = "\"gpt-4o-mini\"" ] && [ "$(q attr "$W/submit" openai.batch.submit batchtrace.batch.request_count)" = 5 ]'
with_metadata "$OA/batch.json" "$TOKEN" > "$W/b/batch.json"
cp "$OA/output.jsonl" "$OA/errors.jsonl" "$W/b/"
EXTRA_ENV=()
bt "$W/b" first collect --results output.jsonl --results errors.jsonl --batch batch.json --json
check collect-exit '[ "$code" = 0 ]'
check collect-tree '[ "$(q tree "$W/first" $TP openai 5)" = ok ]'
check collect-task-span-id '[ "$(json_get task_span_id)" = "$TASK" ]'
check one-trace '[ "$(cat "$W/submit/"*.json >/dev/null; { q traces "$W/submit"; q traces "$W/first"; } | sort -u)" = 0af7651916cd43dd8448eb211c80319c ]'
bt "$W/b" second collect --results output.jsonl --results errors.jsonl --batch batch.json
check again-exit '[ "$code" = 0 ]'
check again-message 'grep -qxF "batchtrace: openai batch $OA_ID: already collected: 5 items and the task were exported before; use --force to send them again" "$W/err"'
check again-sends-nothing '[ -z "$(ls "$W/second")" ]'
bt "$W/b" forced collect --results output.jsonl --results errors.jsonl --batch batch.json --force
check force-exit '[ "$code" = 0 ]'
check force-sends-the-same-ids '[ "$(span_count forced)" = 6 ] && [ "$(q ids "$W/forced")" = "$(q ids "$W/first")" ]'
bt_local status --json
check status '[ "$code" = 0 ] && printf "%s" "$out" | grep -qF "\"batch_id\":\"$OA_ID\",\"state\":\"complete\",\"batch_status\":\"expired\",\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\"" && printf "%s" "$out" | grep -qF "\"request_count\":5,\"items_exported\":5,\"task_exported\":true,\"inputs_kept\":true"'
check store-counts '[ "$(bt_store_sql "$W/state" "SELECT items_delivered FROM batches; SELECT CAST(task_exported AS INTEGER) FROM batches;" | tr "\n" " ")" = "5 1 " ] && [ "$(bt_store_marks "$W/state")" = "5 0" ]'
# A result no input has, collected after the batch was complete: its span is sent, and the
# summary says how the batch stands (the task was exported before), never "nothing to
# export".
head -n 1 "$OA/output.jsonl" | sed 's/"custom_id": *"[^"]*"/"custom_id":"stray-1"/' > "$W/b/stray.jsonl"
bt "$W/b" stray collect --results output.jsonl --results errors.jsonl --results stray.jsonl --batch batch.json
check stray-sent '[ "$(span_count stray)" = 1 ] && grep -q "^  spans    1 exported" "$W/err"'
check stray-outcome-consistent '! grep -q "nothing to export" "$W/err" && grep -q "^batchtrace: openai batch $OA_ID: batch expired" "$W/err"'

# ---- Anthropic end to end: bind the batch id, collect with it alone ----------------------
begin anthropic-end-to-end
cp "$AN/requests.json" "$W/a/"
EXTRA_ENV=(TRACEPARENT=$TP)
bt "$W/a" submit start --input requests.json
check start-exit '[ "$code" = 0 ] && [ "${#out}" = 171 ]'
TOKEN=$out
check submit-span '[ "$(q submit "$W/submit" $TP anthropic)" = ok ]'
EXTRA_ENV=()
bt_local bind --batch-id $AN_ID --context "$TOKEN"
check bind '[ "$code" = 0 ] && [ "$err" = "batchtrace: bound batch $AN_ID to its context" ]'
cp "$AN/results.jsonl" "$W/b/"
bt "$W/b" first collect --results results.jsonl --batch-id $AN_ID --json
check collect-exit '[ "$code" = 0 ]'
check collect-tree '[ "$(q tree "$W/first" $TP anthropic 6)" = ok ]'
check items-carry-the-batch-id '[ "$(q attr "$W/first" "chat claude-haiku-4-5" batchtrace.batch.id | sort -u)" = "\"$AN_ID\"" ]'
check submit-in-the-trace '[ "$(q traces "$W/submit")" = "$(q traces "$W/first")" ]'
# Without the batch object the task's status comes from the items (two canceled: the batch
# was canceled) and it is provisional, ending at the collection time; status says so.
check task-from-the-items '[ "$(q ending "$W/first" anthropic.batch)" = "ERROR batch canceled 1767225600000000000" ]'
check task-provisional '[ "$(q attr "$W/first" anthropic.batch batchtrace.task.provisional)" = true ]'
bt_local status --batch-id $AN_ID --json
check status-provisional '[ "$(printf "%s" "$out" | grep -c "\"state\":\"provisional\"")" = 1 ]'
# Collecting again without the batch object sends nothing; with it, the task alone, once,
# final: the batch's end, no provisional mark.
bt "$W/b" again collect --results results.jsonl --batch-id $AN_ID --json
check no-batch-again-sends-nothing '[ "$code" = 0 ] && [ "$(span_count again)" = 0 ]'
cp "$AN/batch.json" "$W/b/"
bt "$W/b" final collect --results results.jsonl --batch batch.json --json
check final-task-alone '[ "$code" = 0 ] && [ "$(q ids "$W/final")" = "$(q ids "$W/first" | grep anthropic.batch)" ]'
check final-task-ends-with-the-batch '[ "$(q ending "$W/final" anthropic.batch)" = "ERROR batch canceled 1769623272450164000" ] && [ "$(q attr "$W/final" anthropic.batch batchtrace.task.provisional)" = "" ]'
bt "$W/b" final-again collect --results results.jsonl --batch batch.json --json
check final-is-sent-once '[ "$code" = 0 ] && [ "$(span_count final-again)" = 0 ]'
bt_local status --batch-id $AN_ID --json
check status-complete '[ "$(printf "%s" "$out" | grep -c "\"state\":\"complete\"")" = 1 ]'
bt_local bind --batch-id $AN_ID --context "$TOKEN"
check bind-again-is-fine '[ "$code" = 0 ]'
bt "$W/a" other start --input requests.json
OTHER=$out
bt_local bind --batch-id $AN_ID --context "$OTHER"
check rebind-refused '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: batch id \"$AN_ID\" is already bound to another context; refusing to rebind it" ]'

# ---- tokens that are not used: tampered, another key, other inputs -----------------------
begin bad-tokens
cp "$OA/input.jsonl" "$W/a/"
cp "$OA/output.jsonl" "$OA/errors.jsonl" "$OA/batch.json" "$W/b/"
DERIVED=$(q derived-trace openai $OA_ID)
EXTRA_ENV=(TRACEPARENT=$TP)
bt "$W/a" submit start --input input.jsonl
TOKEN=$out
EXTRA_ENV=()
# One payload character changed (position 20 is inside the payload, never its last).
TAMPERED=${TOKEN:0:20}$([ "${TOKEN:20:1}" = A ] && echo B || echo A)${TOKEN:21}
bt "$W/b" tampered collect --results output.jsonl --results errors.jsonl --batch batch.json --context "$TAMPERED" --json
check tampered '[ "$code" = 0 ] && grep -qxF "batchtrace: warning: ignoring the context token from --context: context token $MISMATCH; collecting without it" "$W/err"'
check tampered-falls-back '[ "$(json_get trace_id)" = "$DERIVED" ] && [ "$(q traces "$W/tampered")" = "$DERIVED" ]'
with_metadata "$OA/batch.json" "$TOKEN" > "$W/b/batch-with-token.json"
EXTRA_ENV=(BATCHTRACE_SIGNING_KEY=another-key)
bt "$W/b" other-key collect --results output.jsonl --results errors.jsonl --batch batch-with-token.json --json
check other-key '[ "$code" = 0 ] && grep -qxF "batchtrace: warning: ignoring the context token from the batch object'"'"'s metadata: context token $MISMATCH; collecting without it" "$W/err"'
check other-key-falls-back '[ "$(json_get trace_id)" = "$DERIVED" ] && [ "$(q traces "$W/other-key")" = "$DERIVED" ]'
EXTRA_ENV=()
head -n 4 "$OA/input.jsonl" > "$W/b/other-input.jsonl"
bt "$W/b" other-inputs collect --input other-input.jsonl --results output.jsonl --results errors.jsonl --batch batch.json --context "$TOKEN" --json
check other-inputs '[ "$code" = 0 ] && grep -qxF "batchtrace: warning: ignoring the context from --context: it was made for other inputs (the custom_ids of other-input.jsonl differ); collecting without it" "$W/err"'
check other-inputs-falls-back '[ "$(json_get trace_id)" = "$DERIVED" ] && [ "$(q traces "$W/other-inputs")" = "$DERIVED" ]'
# Without a batch object, the dropped context gives no task start: the results' earliest
# created does (docs/design.md "Time"), so each item ends at its own created (collected
# later than those).
EXTRA_ENV=(BATCHTRACE_NOW=2026-03-01T00:00:00Z)
bt "$W/b" other-inputs-no-batch collect --input other-input.jsonl --results output.jsonl --context "$TOKEN" --json
EXTRA_ENV=()
check other-inputs-created '[ "$code" = 4 ] && [ "$(q ending "$W/other-inputs-no-batch" "chat gpt-4o-mini" | tr "\n" " ")" = "UNSET  1768862458000000000 UNSET  1768862461000000000 " ]'
check nothing-recorded '[ "$(bt_store_sql "$W/state" "SELECT count(*) FROM item_marks; SELECT count(batch_id) FROM batches;" | tr "\n" " ")" = "0 0 " ]'

# ---- a running batch collected in two steps ----------------------------------------------
begin incremental
gen_batch "$W/a" 10 5
EXTRA_ENV=(TRACEPARENT=$TP)
bt "$W/a" submit start --input input.jsonl
TOKEN=$out
EXTRA_ENV=()
with_metadata "$W/a/batch-running.json" "$TOKEN" > "$W/b/batch-running.json"
with_metadata "$W/a/batch-done.json" "$TOKEN" > "$W/b/batch-done.json"
cp "$W/a/half.jsonl" "$W/a/output.jsonl" "$W/b/"
bt "$W/b" running collect --results half.jsonl --batch batch-running.json
check running-exit '[ "$code" = 4 ]'
check running-sends-the-present-items '[ "$(span_count running)" = 5 ] && ! q ids "$W/running" | grep -q " openai.batch$"'
bt "$W/b" done collect --results output.jsonl --batch batch-done.json --json
check done-exit '[ "$code" = 0 ] && [ "$(json_get items_skipped)" = 5 ] && [ "$(json_get spans_exported)" = 6 ]'
check done-sends-the-rest-and-the-task '[ "$(span_count done)" = 6 ] && [ "$(q ids "$W/done" | grep -c " openai.batch$")" = 1 ] && [ -z "$(comm -12 <(q ids "$W/running") <(q ids "$W/done"))" ]'
check whole-tree '[ "$(q tree "$W/done" $TP openai 5)" = ok ] && [ "$(q traces "$W/running")" = 0af7651916cd43dd8448eb211c80319c ]'

# ---- two collects at once on one store ---------------------------------------------------
begin concurrent
gen_batch "$W/a" 2000 0
bt "$W/a" submit start --input input.jsonl
TOKEN=$out
with_metadata "$W/a/batch-done.json" "$TOKEN" > "$W/b/batch.json"
cp "$W/a/output.jsonl" "$W/b/"
bt_sink_control "$PORT" '{"dir": "'"$W/both"'", "then": {"status": 200}}'
pids=()
for run in 1 2; do
    (cd "$W/b" && env -i PATH="$PATH" HOME="$W/home" XDG_STATE_HOME="$W/state" \
        $(bt_store_env "$W/state") BATCHTRACE_NOW=2026-01-01T00:00:00Z \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
        $(bt_wrapper) "$BIN" collect --results output.jsonl --batch batch.json --json \
        --exporter otlp --endpoint "$SINK" >"$W/out$run" 2>"$W/err$run") &
    pids+=($!)
done
code=0
wait "${pids[0]}" || code=$?
code2=0
wait "${pids[1]}" || code2=$?
cat "$W/err1" "$W/err2" > "$W/err"
# Each run sends what it claimed; items the other (alive) run holds are pending: exit 4
# (exits.sh checks the message). A run that saw none of those sends the task.
check both-exit '{ [ "$code" = 0 ] || [ "$code" = 4 ]; } && { [ "$code2" = 0 ] || [ "$code2" = 4 ]; } && ! grep -q "locked" "$W/err"'
# A run that printed no summary (killed, crashed) fails both-print-a-summary with its output
# shown, rather than ending the script on an arithmetic error with nothing said.
exported_of() { grep -o "\"spans_exported\":[0-9]*" "$1" | cut -d: -f2 | grep . || echo 0; }
sent=$(( $(exported_of "$W/out1") + $(exported_of "$W/out2") ))
check both-print-a-summary 'grep -q "\"spans_exported\"" "$W/out1" && grep -q "\"spans_exported\"" "$W/out2" || { echo "out1: $(head -c 400 "$W/out1") out2: $(head -c 400 "$W/out2")"; false; }'
if [ "$code" != 0 ] && [ "$code2" != 0 ]; then
    bt "$W/b" third collect --results output.jsonl --batch batch.json --json
    check third-sends-the-task '[ "$code" = 0 ] && [ "$(json_get spans_exported)" = 1 ] && [ "$(json_get items_skipped)" = 2000 ]'
    sent=$((sent + 1))
fi
check each-item-once '[ "$(( $(span_count both) + $(span_count third) ))" = 2001 ] && [ -z "$({ q ids "$W/both"; q ids "$W/third"; } | sort | uniq -d)" ] && [ "$({ q ids "$W/both"; q ids "$W/third"; } | grep -c " openai.batch$")" = 1 ]'
check sent-counts-add-up '[ "$sent" = 2001 ]'
check store-consistent '[ "$(bt_store_sql "$W/state" "SELECT items_delivered FROM batches; SELECT CAST(task_exported AS INTEGER) FROM batches; SELECT count(*) FROM runs;" | tr "\n" " ")" = "2000 1 0 " ] && [ "$(bt_store_marks "$W/state")" = "2000 0" ]'

# ---- start refuses inputs the provider would refuse --------------------------------------
begin start-rejected
{ cat "$OA/input.jsonl"; head -n 1 "$OA/input.jsonl"; } > "$W/a/input.jsonl"
bt "$W/a" submit start --input input.jsonl
check rejected '[ "$code" = 3 ] && [ -z "$out" ] && grep -q "^input.jsonl:6: duplicate custom_id \"review-0001\" (first at line 1); this record is skipped$" "$W/err" && [ "$(span_count submit)" = 0 ]'

# ---- another machine: its own store, the same BATCHTRACE_SIGNING_KEY ---------------------
begin other-machine
cp "$AN/requests.json" "$W/a/"
cp "$AN/requests.json" "$AN/results.jsonl" "$W/b/"
EXTRA_ENV=(TRACEPARENT=$TP BATCHTRACE_SIGNING_KEY=shared-secret)
bt "$W/a" submit start --input requests.json
TOKEN=$out
EXTRA_ENV=(XDG_STATE_HOME="$W/state2" BATCHTRACE_SIGNING_KEY=shared-secret)
bt_local bind --batch-id $AN_ID --context "$TOKEN"
check bind-records-the-batch '[ "$code" = 0 ] && [ "$(bt_store_sql "$W/state2" "SELECT batch_id, CAST(inputs_kept AS INTEGER) FROM batches")" = "$AN_ID|0" ]'
bt "$W/b" first collect --input requests.json --results results.jsonl --batch-id $AN_ID
check collect-tree '[ "$code" = 0 ] && [ "$(q tree "$W/first" $TP anthropic 6)" = ok ]'

if sqlite_store; then # the store file itself
# ---- --store on another application's database: refused without a byte written -------
begin foreign-store
sqlite3 "$W/notes.db" "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine'); PRAGMA user_version = 1;"
chmod 600 "$W/notes.db"
before=$(md5sum < "$W/notes.db")$(stat -c %Y.%y "$W/notes.db")
NOT_OURS="$W/notes.db is not a batchtrace store (it holds tables batchtrace did not make: notes); batchtrace leaves it untouched (give --store a path of its own)"
bt_local status --store "sqlite:$W/notes.db"
check status-refuses '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: the store cannot be used: $NOT_OURS" ]'
cp "$OA/input.jsonl" "$W/a/"
bt "$W/a" submit start --input input.jsonl --store "sqlite:$W/notes.db"
check start-refuses '[ "$code" = 1 ] && grep -qF "$NOT_OURS" "$W/err" && [ "$(span_count submit)" = 0 ]'
check untouched '[ "$(md5sum < "$W/notes.db")$(stat -c %Y.%y "$W/notes.db")" = "$before" ] && [ ! -e "$W/notes.db-wal" ] && [ ! -e "$W/notes.db-shm" ] && [ "$(sqlite3 "$W/notes.db" "PRAGMA journal_mode")" = delete ]'

# ---- the store's file: private, never through a symbolic link; status only reads --------
begin store-file
cp "$OA/input.jsonl" "$W/a/"
bt "$W/a" submit start --input input.jsonl --store "sqlite:$W/state.db"
check marked '[ "$code" = 0 ] && [ "$(sqlite3 "$W/state.db" "PRAGMA application_id")" = 1112822339 ]'
before=$(md5sum < "$W/state.db")$(stat -c %Y.%y "$W/state.db")
bt_local status --store "sqlite:$W/state.db"
check status-reads-only '[ "$code" = 0 ] && [ "$(md5sum < "$W/state.db")$(stat -c %Y.%y "$W/state.db")" = "$before" ] && [ ! -e "$W/state.db-wal" ] && [ ! -e "$W/state.db-shm" ]'
chmod 644 "$W/state.db"
bt_local status --store "sqlite:$W/state.db"
check readable-by-others-refused '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: the store cannot be used: $W/state.db can be read or written by other users (mode 0644), and a store holds the signing key and the prompts: run chmod 600 $W/state.db" ]'
ln -s "$W/elsewhere.db" "$W/link.db"
bt "$W/a" linked start --input input.jsonl --store "sqlite:$W/link.db"
check symlink-refused '[ "$code" = 1 ] && grep -qF "$W/link.db is a symbolic link; batchtrace does not follow one to its store" "$W/err" && [ ! -e "$W/elsewhere.db" ]'

# ---- status on a store an earlier batchtrace left at an older schema: listed, upgraded -----
begin old-store
sqlite3 "$W/old.db" "CREATE TABLE spool (id INTEGER PRIMARY KEY AUTOINCREMENT, created_ns INTEGER NOT NULL, protocol TEXT NOT NULL CHECK (protocol IN ('http/protobuf', 'http/json')), span_count INTEGER NOT NULL CHECK (span_count >= 0), body BLOB NOT NULL, destination TEXT NOT NULL, braintrust_parent TEXT, reason TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, lease_until_ns INTEGER NOT NULL DEFAULT 0); PRAGMA user_version = 1; PRAGMA journal_mode = WAL;" >/dev/null
chmod 600 "$W/old.db"
bt_local status --store "sqlite:$W/old.db"
check status-upgrades-an-old-store '[ "$code" = 0 ] && [ "$out" = "no batches in sqlite:$W/old.db" ] && [ "$(sqlite3 "$W/old.db" "PRAGMA user_version")" -gt 1 ] && [ "$(sqlite3 "$W/old.db" "PRAGMA application_id")" = 1112822339 ]'

# ---- a start that fails after keeping its inputs leaves no part of them behind ----------
begin start-fails
cp "$OA/input.jsonl" "$W/a/"
bt "$W/a" submit start --input input.jsonl
sqlite3 "$W/state/batchtrace/state.db" "CREATE TRIGGER refuse BEFORE INSERT ON batches BEGIN SELECT RAISE(FAIL, 'no room for the batch'); END;"
bt "$W/a" failed start --input input.jsonl
check start-failed '[ "$code" = 1 ] && grep -q "no room for the batch" "$W/err"'
check no-orphan-inputs '[ "$(sqlite3 "$W/state/batchtrace/state.db" "SELECT count(*) FROM batch_inputs WHERE nonce NOT IN (SELECT nonce FROM batches); SELECT count(*) FROM batches;" | tr "\n" " ")" = "0 1 " ]'

fi

# ---- the commands' usage -----------------------------------------------------------------
begin usage
bt_local status
sqlite_store && check status-without-a-store '[ "$code" = 0 ] && [ "$out" = "no batches in sqlite:$W/state/batchtrace/state.db" ]'
bt_local start --help
check start-help '[ "$code" = 0 ] && for flag in --input --provider --parent --batch-id --no-keep-inputs --store --exporter --json --quiet; do printf "%s" "$out" | grep -q "^  $flag" || exit 1; done'
bt_local bind --batch-id batch_x
check bind-needs-a-context '[ "$code" = 2 ] && [ "$(head -n 1 "$W/err")" = "batchtrace: error: bind needs --batch-id ID and --context TOKEN" ]'
bt_local bind --batch-id batch_x --context "$TAMPERED"
check bind-refuses-a-bad-token '[ "$code" = 2 ] && [ "$(head -n 1 "$W/err")" = "batchtrace: error: the context token cannot be used: context token $MISMATCH" ]'
cp "$OA/batch.json" "$OA/output.jsonl" "$W/b/"
bt "$W/b" none collect --results output.jsonl --batch batch.json --batch-id batch_other
check batch-id-must-match '[ "$code" = 1 ] && [ "$(head -n 1 "$W/err")" = "batchtrace: error: --batch-id batch_other does not match the batch object'"'"'s id $OA_ID" ]'
cp "$OA/input.jsonl" "$W/a/"
bt "$W/a" submit start --input input.jsonl --no-keep-inputs --batch-id $OA_ID --json
STARTED_TRACE=$(json_get trace_id)
check start-with-batch-id '[ "$code" = 0 ] && [ "$(q attr "$W/submit" openai.batch.submit batchtrace.batch.id)" = "\"$OA_ID\"" ]'
bt "$W/b" no-inputs collect --results output.jsonl --batch batch.json --json
check without-kept-inputs '[ "$code" = 0 ] && [ "$(json_get trace_id)" = "$STARTED_TRACE" ] && [ "$(q attr "$W/no-inputs" "chat gpt-4o-mini" batchtrace.input_missing)" = "$(printf "true\ntrue")" ] && [ "$(span_count no-inputs)" = 3 ]'

if sqlite_store; then # the default store file
# ---- a batch id no store knows: a warning naming the store, then collect-only -------------
begin unknown-batch-id
cp "$AN/results.jsonl" "$W/b/"
bt "$W/b" first collect --results results.jsonl --batch-id msgbatch_never_bound
check no-store-yet '[ "$code" = 0 ] && grep -qxF "batchtrace: warning: batch id msgbatch_never_bound is not in the store sqlite:$W/state/batchtrace/state.db (nothing was stored there yet): collecting without a context (did you run \`batchtrace bind\`?)" "$W/err"'
check no-store-made '[ ! -e "$W/state/batchtrace/state.db" ] && [ "$(q traces "$W/first")" = "$(q derived-trace anthropic msgbatch_never_bound)" ]'
bt "$W/b" second collect --results results.jsonl --batch-id msgbatch_never_bound --store "sqlite:$W/named.db"
check not-in-a-named-store '[ "$code" = 0 ] && grep -qxF "batchtrace: warning: batch id msgbatch_never_bound is not in the store sqlite:$W/named.db: collecting without a context (did you run \`batchtrace bind\`?)" "$W/err"'

fi

# ---- status: the pinned clock, and columns as wide as their values ----------------------
begin status-table
cp "$OA/input.jsonl" "$W/a/"
EXTRA_ENV=(BATCHTRACE_SIGNING_KEY=shared-secret)
bt "$W/a" submit start --input input.jsonl --batch-id $OA_ID
TOKEN=$out
bt_local status --json
check created-is-the-pinned-start '[ "$code" = 0 ] && printf "%s" "$out" | grep -qF "\"created\":\"2026-01-01T00:00:00.000Z\""'
bt_local status
header=$(printf '%s\n' "$out" | sed -n 1p)
row=$(printf '%s\n' "$out" | sed -n 2p)
before_state=${header%%STATE*}
before_started=${row%%started*}
check columns-line-up '[ "$code" = 0 ] && [[ "$row" == "openai   $OA_ID started"* ]] && [ "${#before_state}" = "${#before_started}" ]'
EXTRA_ENV=(XDG_STATE_HOME="$W/state2" BATCHTRACE_SIGNING_KEY=shared-secret BATCHTRACE_NOW=2026-01-02T03:04:05Z)
bt_local bind --batch-id $OA_ID --context "$TOKEN"
bt_local status --json
check bind-records-at-the-pinned-time '[ "$code" = 0 ] && printf "%s" "$out" | grep -qF "\"created\":\"2026-01-02T03:04:05.000Z\""'

# ---- `store migrate`: creates the store, or brings its schema up to date, and says so ----
begin store-migrate
URL=$(bt_store_url "$W/state")
bt_local store migrate
if sqlite_store; then current=$(sqlite3 "$W/state/batchtrace/state.db" "PRAGMA user_version"); else current=$(bt_store_sql "$W/state" "SELECT max(version) FROM schema_version"); fi
check migrate-creates '[ "$code" = 0 ] && [ "$out" = "$URL: schema version 0 -> $current" ] && [ -z "$err" ] && [ "$current" -gt 0 ]'
bt_local store migrate
check migrate-again-is-up-to-date '[ "$code" = 0 ] && [ "$out" = "$URL: schema version $current, up to date" ]'
bt_local status
check migrated-store-is-usable '[ "$code" = 0 ] && [ "$out" = "no batches in $URL" ]'
bt_store_sql "$W/state" "$(sqlite_store && echo "PRAGMA user_version = 99" || echo "INSERT INTO schema_version VALUES (99, 0)")" >/dev/null
bt_local store migrate
check migrate-refuses-a-newer-schema '[ "$code" = 1 ] && [ -z "$out" ] && grep -qF "schema version 99 is newer than this batchtrace knows ($current): upgrade batchtrace" "$W/err"'
bt_local store
check store-needs-migrate '[ "$code" = 2 ] && [ "$err" = "batchtrace: store needs a subcommand: migrate
Try '"'"'batchtrace store --help'"'"'." ]'
bt_local store migrate --store nowhere:x
check migrate-bad-url-is-usage '[ "$code" = 2 ] && grep -qF "unknown store type \"nowhere:\"" "$W/err"'
bt_local store --help
check migrate-help '[ "$code" = 0 ] && [[ "$out" == "Usage: batchtrace store migrate [--store URL]"* ]] && [[ "$out" == *"Exit codes: 0 done"* ]]'
if sqlite_store; then # an older schema, named by --store and by BATCHTRACE_STORE
    sqlite3 "$W/old.db" "CREATE TABLE spool (id INTEGER PRIMARY KEY AUTOINCREMENT, created_ns INTEGER NOT NULL, protocol TEXT NOT NULL CHECK (protocol IN ('http/protobuf', 'http/json')), span_count INTEGER NOT NULL CHECK (span_count >= 0), body BLOB NOT NULL, destination TEXT NOT NULL, braintrust_parent TEXT, reason TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, lease_until_ns INTEGER NOT NULL DEFAULT 0); PRAGMA user_version = 1; PRAGMA journal_mode = WAL;" >/dev/null
    chmod 600 "$W/old.db"
    bt_local store migrate --store "sqlite:$W/old.db"
    check migrate-upgrades-an-old-store '[ "$code" = 0 ] && [ "$out" = "sqlite:$W/old.db: schema version 1 -> $current" ] && [ "$(sqlite3 "$W/old.db" "PRAGMA user_version")" = "$current" ]'
    EXTRA_ENV=(BATCHTRACE_STORE="sqlite:$W/env.db")
    bt_local store migrate
    check migrate-from-the-variable '[ "$code" = 0 ] && [ "$out" = "sqlite:$W/env.db: schema version 0 -> $current" ] && [ -f "$W/env.db" ]'
fi

# A batch too large to carry whole on its submit span (docs/conventions.md): 10,000
# requests, custom_ids of 9 bytes. Each list takes whole entries, in custom_id order, while
# they fit in --max-attribute-bytes (the custom_ids keep 512 bytes of it for the rest of the
# metadata), else in a quarter of --max-request-bytes; the span says it was cut, keeps the
# full count, and fits in one request.
begin submit-too-large
gen_batch "$W/a" 10000 0
bt "$W/a" submit start --input input.jsonl --convention braintrust --max-attribute-bytes 4096 \
    --max-request-bytes 65536
ids=$(q attr "$W/submit" openai.batch.submit batchtrace.custom_ids)
metadata=$(q attr "$W/submit" openai.batch.submit braintrust.metadata)
input=$(q attr "$W/submit" openai.batch.submit braintrust.input_json)
check exported-in-one-request '[ "$code" = 0 ] && [ "$(span_count submit)" = 1 ]'
check custom-ids-that-fit '[ "$(node -e "const a=JSON.parse(process.argv[1]);console.log(a.length, a[0], a[a.length-1])" "$ids")" = "298 req-00001 req-00298" ]'
check marked-truncated-with-the-full-count '[ "$(q attr "$W/submit" openai.batch.submit batchtrace.truncated)" = true ] && [ "$(q attr "$W/submit" openai.batch.submit batchtrace.custom_id.count)" = 10000 ]'
check metadata-says-how-much '[ "$(node -e "const m=JSON.parse(JSON.parse(process.argv[1])), r=JSON.parse(JSON.parse(process.argv[2]));console.log(m.request_count, m.custom_ids.length, m.custom_ids_shown, m.requests_shown === r.length)" "$metadata" "$input")" = "10000 298 298 true" ]'
check requests-within-the-limit '[ "$(node -e "const s=JSON.parse(process.argv[1]);console.log(s.length <= 4096, JSON.parse(s)[0].custom_id)" "$input")" = "true req-00001" ]'
bt "$W/a" submit-default start --input input.jsonl --convention braintrust --max-request-bytes 65536
check default-budget-is-a-quarter-of-a-request '[ "$code" = 0 ] && [ "$(node -e "console.log(JSON.parse(process.argv[1]).length)" "$(q attr "$W/submit-default" openai.batch.submit batchtrace.custom_ids)")" = 1322 ]'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
