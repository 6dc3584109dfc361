#!/usr/bin/env bash
# The PostgreSQL store end to end (docs/design.md, "The PostgreSQL store"), against the
# private server of tests/pg/server.sh (BATCHTRACE_TEST_PG, set by tests/pg/with_server.sh)
# and the oracle's loopback OTLP sinks:
#   - 4 collectors on one 10,000-item batch, one killed with SIGKILL halfway, then one more
#     collect: every item and the task arrive, a span twice only within the killed run's
#     requests in flight, never twice from live runs;
#   - flush from two processes at once drains the spool exactly once;
#   - on a server of its own: the server restarted between start and collect (collect
#     still links to start's trace), and the connection dropped mid-collect
#     (pg_terminate_backend): the run fails, the next one sends the rest, nothing lost;
#   - clear errors, exit 1: server down, authentication failure, missing database, a schema
#     of a newer version; a password given in the URL, PGPASSWORD or ~/.pgpass never shown.
#   tests/pg/pg.sh BINARY
. "$(dirname "$0")/../cli/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ORACLE="$BT_REPO_ROOT/tests/oracle"
CHECK="$BT_REPO_ROOT/tests/cli/crash_check.js"
: "${BATCHTRACE_TEST_PG:?run through tests/pg/with_server.sh (the PostgreSQL test server)}"
passed=0
failed=0
cd "$BT_REPO_ROOT"
bt_oracle_ready
bt_start_sink
PORT=$SINK_PORT
SINK="http://127.0.0.1:$PORT"
. "$BT_REPO_ROOT/tests/cli/crash_lib.sh"

# The other sinks of the concurrent runs (one per run: crash_check.js wants each run's
# requests apart), started like lib.sh's.
declare -A SINKS
for n in 1 2 3 4; do
    node "$ORACLE/sink.js" --port-file "$BT_TMP/sink$n.port" --idle-timeout 600 >/dev/null 2>&1 &
    bt_track $!
done
for n in 1 2 3 4; do
    for _ in $(seq 100); do [ -f "$BT_TMP/sink$n.port" ] && break; sleep 0.1; done
    SINKS[$n]=$(cat "$BT_TMP/sink$n.port")
done

# sink_at PORT DIR: the sink on PORT stores what it accepts in DIR.
sink_at() {
    local config='{"dir": "'"$2"'", "then": {"status": 200}}'
    if command -v curl >/dev/null; then
        curl -sf -o /dev/null --data-binary "$config" "http://127.0.0.1:$1/_sink/config"
    else
        node "$ORACLE/sink.js" --control "$1" "$config"
    fi
}

# bt_bg STATE OUT_PREFIX ARG...: start the binary in the background in $W with the store of
# STATE and $FAULT; its pid in $! (the caller waits).
bt_bg() {
    local state=$1 prefix=$2
    shift 2
    (cd "$W" && exec env -i PATH="$PATH" HOME="$W/home" $(bt_store_env "$state") \
        BATCHTRACE_NOW=2026-01-01T00:00:00Z ${FAULT:+BATCHTRACE_FAULT="$FAULT"} \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
        "$BIN" "$@" >"$prefix.out" 2>"$prefix.err") &
}

# ---- 4 collectors on one batch, one killed halfway -------------------------------------
ITEMS=10000
COLLECT=(collect --results output.jsonl --batch batch.json --json)
start_batch "$BT_TMP/many" "$ITEMS"
CASE=four-collectors
pids=()
for n in 1 2 3 4; do
    sink_at "${SINKS[$n]}" "$W/run$n"
    FAULT=
    # The 4th is killed in its 6th claim transaction (of 10: 1,000 ids each), halfway.
    [ "$n" = 4 ] && FAULT=store.claim:6
    bt_bg "$W/state" "$W/run$n" "${COLLECT[@]}" --exporter otlp --endpoint "http://127.0.0.1:${SINKS[$n]}" \
        --max-request-bytes 65536 --max-in-flight 4
    pids+=($!)
done
FAULT=
codes=""
for pid in "${pids[@]}"; do
    set +e; wait "$pid" 2>/dev/null; c=$?; set -e
    codes="$codes$c "
done
code=${codes% }
echo "pg.sh: four collectors exited: $codes"
check live-runs-ended '[[ "$codes" =~ ^[04]\ [04]\ [04]\ 137\ $ ]]'
# What the killed run held is taken over at once (its process is gone): one more collect.
sink_at "$PORT" "$W/after"
bt "$W/state" "${COLLECT[@]}" --exporter otlp --endpoint "$SINK"
check after-exit '[ "$code" = 0 ]'
result=$(node "$CHECK" "$ITEMS" 5 "$W/run1" "$W/run2" "$W/run3" "$W/after" "$W/run4")
check every-item-arrived '[ "$(printf "%s" "$result" | head -n -1)" = ok ]'
[ "$(printf '%s' "$result" | head -n -1)" = ok ] || printf '%s\n' "$result" | head -n 5
echo "pg.sh: $(printf '%s' "$result" | tail -n 1) (all from the killed run's requests in flight)"
# Live runs never send one span twice between them: only the killed run's may come again.
live=$(node -e '
const { normalize } = require(process.argv[1]);
const seen = new Map(); let twice = 0;
for (const dir of process.argv.slice(2)) for (const s of normalize(dir, { missingOk: true }).spans) {
  if (seen.has(s.spanId)) twice++; seen.set(s.spanId, dir);
}
console.log(twice);' "$ORACLE/normalize.js" "$W/run1" "$W/run2" "$W/run3" "$W/after")
check live-runs-exactly-once '[ "$live" = 0 ]'
check store-settled '[ "$(bt_store_sql "$W/state" "SELECT items_delivered FROM batches; SELECT CAST(task_exported AS INTEGER) FROM batches" | tr "\n" " ")" = "$ITEMS 1 " ] && [ "$(bt_store_marks "$W/state")" = "$ITEMS 0" ]'


# ---- the spool drained exactly once by two flushes at once ------------------------------
new_case flush-twice "$BT_TMP/many"
bt_store_sql "$W/state" "DELETE FROM item_marks; UPDATE batches SET task_exported = false, items_delivered = 0" >/dev/null
sink_script "$W/refused" '[{"status": 503, "times": 1000000}]'
bt "$W/state" "${COLLECT[@]}" --exporter otlp --endpoint "$SINK" --max-request-bytes 65536 --export-timeout 1
check all-spooled '[ "$code" = 5 ] && [ "$(json_get spans_spooled)" = $((ITEMS + 1)) ]'
pids=()
for n in 1 2; do
    sink_at "${SINKS[$n]}" "$W/flush$n"
    bt_bg "$W/state" "$W/flush$n" flush --json --endpoint "http://127.0.0.1:${SINKS[$n]}"
    pids+=($!)
done
codes=""
for pid in "${pids[@]}"; do set +e; wait "$pid"; c=$?; set -e; codes="$codes$c "; done
# A flush that ends while the other still sends what it holds leaves those in the spool:
# exit 5 (spans_left); the other ends with the spool empty.
echo "pg.sh: two flushes exited: $codes"
check flushes-ended '[[ "$codes" =~ ^[05]\ [05]\ $ ]] && [[ "$codes" == *0* ]]'
result=$(node "$CHECK" "$ITEMS" 0 "$W/refused" "$W/flush1" "$W/flush2")
check drained-exactly-once '[ "$(printf "%s" "$result" | head -n -1)" = ok ] && [ "$(printf "%s" "$result" | tail -n 1)" = "duplicates 0" ]'
[ "$(printf '%s' "$result" | head -n -1)" = ok ] || printf '%s\n' "$result" | head -n 5
check spool-empty '[ "$(bt_store_sql "$W/state" "SELECT count(*) FROM spool")" = 0 ]'

# ---- errors: exit 1, the reason and what to do, no password -----------------------------
CASE=errors
W="$BT_TMP/errors"
mkdir -p "$W/home"
cp "$BT_TMP/many/output.jsonl" "$W/"
query=${BATCHTRACE_TEST_PG#*\?}
bt_store_cmd() { # bt_store_cmd URL [ENV...]: status on the store at URL
    local url=$1
    shift
    set +e
    (cd "$W" && env -i PATH="$PATH" HOME="$W/home" "$@" "$BIN" status --store "$url" >"$W/out" 2>"$W/err")
    code=$?
    set -e
    out=$(cat "$W/out"); err=$(cat "$W/err")
}
bt_store_cmd "postgres:///batchtrace?host=$BT_TMP/no-server&port=5432"
check server-down '[ "$code" = 1 ] && [[ "$err" == *"the server does not answer: start it, or check the host and port in the URL"* ]]'
wrong="postgres://bt_password:wr0ng-pw@/batchtrace?${query/&user=postgres/}&schema=auth"
bt_store_cmd "$wrong"
check auth-failure '[ "$code" = 1 ] && [[ "$err" == *"postgres://bt_password:<redacted>@/batchtrace"*"authentication failed: check the user and its password (in the URL, PGPASSWORD or ~/.pgpass)"* ]] && [[ "$err" != *wr0ng-pw* ]]'
bt_store_cmd "postgres:///batchtrace?${query/user=postgres/user=bt_password}&schema=auth" PGPASSWORD=wr0ng-pw
check auth-failure-pgpassword '[ "$code" = 1 ] && [[ "$err" == *"authentication failed"* ]] && [[ "$err" != *wr0ng-pw* ]]'
# The right password from ~/.pgpass (host: the socket directory; mode 0600 or libpq ignores it).
socket_dir=${query#host=}
socket_dir=${socket_dir%%&*}
printf '%s:5432:batchtrace:bt_password:pw-s3cret\n' "$socket_dir" > "$W/home/.pgpass"
chmod 600 "$W/home/.pgpass"
bt_store_cmd "postgres:///batchtrace?${query/user=postgres/user=bt_password}&schema=auth_pgpass"
check pgpass-password '[ "$code" = 0 ] && [[ "$out" == "no batches in postgres:///batchtrace?"* ]] && [[ "$out$err" != *pw-s3cret* ]]'
bt_store_cmd "postgres://bt_password:pw-s3cret@/batchtrace?${query/&user=postgres/}&schema=auth_url"
check url-password-not-shown '[ "$code" = 0 ] && [[ "$out" == "no batches in postgres://bt_password:<redacted>@/batchtrace?"* ]] && [[ "$out$err" != *pw-s3cret* ]]'
# A collect that spools says where, without the password; flush --json names the store so.
set +e
(cd "$W" && env -i PATH="$PATH" HOME="$W/home" "$BIN" collect --results output.jsonl \
    --exporter otlp --endpoint http://127.0.0.1:1 --export-timeout 0.2 --json \
    --store "postgres://bt_password:pw-s3cret@/batchtrace?${query/&user=postgres/}&schema=auth_url" >"$W/out" 2>"$W/err")
code=$?
set -e
out=$(cat "$W/out"); err=$(cat "$W/err")
check spool-notice-without-password '[ "$code" = 5 ] && [[ "$err" == *"(store postgres://bt_password:<redacted>@"* ]] && [[ "$out$err" != *pw-s3cret* ]]'
# A report of a batch the store has none of: the error names the store without its password.
bt_store_cmd_report() {
    set +e
    (cd "$W" && env -i PATH="$PATH" HOME="$W/home" "$BIN" report --batch-id batch_unknown --json \
        --store "$1" >"$W/out" 2>"$W/err")
    code=$?
    set -e
    out=$(cat "$W/out"); err=$(cat "$W/err")
}
bt_store_cmd_report "postgres://bt_password:pw-s3cret@/batchtrace?${query/&user=postgres/}&schema=auth_url"
check report-error-without-password '[ "$code" = 1 ] && [[ "$err" == *"has no report in the store postgres://bt_password:<redacted>@"* ]] && [[ "$out$err" != *pw-s3cret* ]]'
bt_store_cmd "postgres:///no_such_database?$query"
check missing-database '[ "$code" = 1 ] && [[ "$err" == *"the database does not exist: create it (createdb NAME) or name another one in the URL"* ]]'
# What a newer batchtrace would leave: its schema_version says 99.
bt_psql "$BATCHTRACE_TEST_PG" -c "CREATE SCHEMA newer_$$; CREATE TABLE newer_$$.schema_version (version BIGINT NOT NULL, migrated_ns BIGINT NOT NULL); INSERT INTO newer_$$.schema_version VALUES (99, 0)" >/dev/null
bt_store_cmd "$BATCHTRACE_TEST_PG&schema=newer_$$"
check newer-schema '[ "$code" = 1 ] && [[ "$err" == *"schema version 99 is newer than this batchtrace knows (2): upgrade batchtrace"* ]]'

# ---- a server of its own: restarted between start and collect; a connection dropped ------
OWN="$BT_TMP/own-server.env"
"$BT_REPO_ROOT/tests/pg/server.sh" start "$OWN"
trap '"$BT_REPO_ROOT/tests/pg/server.sh" stop "$OWN"; bt_cleanup' EXIT
# shellcheck disable=SC1090
. "$OWN"
MAIN_PG=$BATCHTRACE_TEST_PG
BATCHTRACE_TEST_PG=$BT_PG_URL
ITEMS=3000
start_batch "$BT_TMP/restart" "$ITEMS"
started_trace=$(bt_store_sql "$W/state" "SELECT trace_id FROM batches")
"$BT_REPO_ROOT/tests/pg/server.sh" restart "$OWN"
CASE=restart
sink_script "$W/run1" '[]'
bt "$W/state" "${COLLECT[@]}" --exporter otlp --endpoint "$SINK"
check collect-after-restart-links '[ "$code" = 0 ] && [ "$(printf "%s" "$out" | grep -o "\"trace_id\":\"[0-9a-f]*\"" | cut -d\" -f4)" = "$started_trace" ]'

# The connection dropped mid-collect: the collector stopped inside its 3rd claim transaction
# (SIGSTOP), its backend terminated, then it resumes: it connects again and claims again;
# the next collect finds nothing left; nothing lost, nothing sent twice.
new_case dropped "$BT_TMP/restart"
bt_store_sql "$W/state" "DELETE FROM item_marks; UPDATE batches SET task_exported = false, items_delivered = 0" >/dev/null
sink_script "$W/run1" '[]'
FAULT=store.claim:3:STOP
bt_bg "$W/state" "$W/run1" "${COLLECT[@]}" --exporter otlp --endpoint "$SINK" --max-request-bytes 32768
pid=$!
FAULT=
for _ in $(seq 200); do
    [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = T ] && break
    # the subshell execs the binary: its pid is $pid
    sleep 0.05
done
bt_psql "$BATCHTRACE_TEST_PG" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'batchtrace'" >/dev/null
kill -CONT "$pid"
set +e; wait "$pid"; code=$?; set -e
err=$(cat "$W/run1.err")
echo "pg.sh: dropped connection: exit $code: $(head -n 1 "$W/run1.err")"
# The claim transaction was lost whole; the store connects again and claims once more.
check dropped-connection-retried '[ "$code" = 0 ]'
sink_script "$W/run2" '[]'
bt "$W/state" "${COLLECT[@]}" --exporter otlp --endpoint "$SINK"
check next-collect-exit '[ "$code" = 0 ]'
result=$(node "$CHECK" "$ITEMS" 0 "$W/run1" "$W/run2")
check nothing-lost '[ "$(printf "%s" "$result" | head -n -1)" = ok ] && [ "$(printf "%s" "$result" | tail -n 1)" = "duplicates 0" ]'
[ "$(printf '%s' "$result" | head -n -1)" = ok ] || printf '%s\n' "$result" | head -n 5
BATCHTRACE_TEST_PG=$MAIN_PG

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
