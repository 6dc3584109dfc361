#!/usr/bin/env bash
# `batchtrace sync` end to end (issue 24): a fake OpenAI and Anthropic API on 127.0.0.1
# (fake_provider.js) serving an account with batches in every state (account.js), the
# oracle's OTLP sink as the receiver, and sync_check.js counting what arrived.
#
#   tests/sync/sync.sh BIN
#
# Cases: two syncs with a manual collect in between send every item exactly once, and so
# does a sync after a collect by hand of a batch it never saw; a sync
# killed with SIGKILL halfway, then run again, the same; 429 with Retry-After, a 500 and
# connection resets mid-download are retried in one run; two syncs at once share the work;
# the keys appear in no output, message or store; --json prints one object per batch;
# usage errors.
. "$(dirname "$0")/../cli/lib.sh"

BIN=$1
HERE="$BT_REPO_ROOT/tests/sync"
bt_oracle_ready
bt_start_sink
PORT=$SINK_PORT
FAILURES=0

# Keys only this run knows, so that a grep for them finds nothing else.
OPENAI_KEY="sk-test-openai-$RANDOM$RANDOM-SECRET"
ANTHROPIC_KEY="sk-ant-test-$RANDOM$RANDOM-SECRET"
SIGNING_KEY="sync-test-signing-key"
A="$BT_TMP/account"
node "$HERE/account.js" files "$A" 3000

# The fake provider, for the whole run.
node "$HERE/fake_provider.js" --port-file "$BT_TMP/fake.port" \
    > /dev/null 2> "$BT_TMP/fake.err" < /dev/null &
bt_track $!
for _ in $(seq 100); do [ -f "$BT_TMP/fake.port" ] && break; sleep 0.1; done
FAKE=$(cat "$BT_TMP/fake.port")

fail() {
    echo "FAIL: $*" >&2
    FAILURES=$((FAILURES + 1))
}

# sink_dir DIR: from now on the sink stores what it accepts in DIR.
sink_dir() {
    curl -sf -o /dev/null --data-binary '{"dir": "'"$1"'", "script": [], "then": {"status": 200}}' \
        "http://127.0.0.1:$PORT/_sink/config"
}

# fake_config FILE [FAULTS_JSON]: the account the fake serves from now on, with faults.
fake_config() {
    node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
             c.faults = JSON.parse(process.argv[2]); process.stdout.write(JSON.stringify(c));' \
        "$1" "${2:-[]}" > "$BT_TMP/fake-config.json"
    curl -sf -o /dev/null --data-binary @"$BT_TMP/fake-config.json" "http://127.0.0.1:$FAKE/_fake/config"
}

# run_bt NAME ARG...: the binary with a clean environment (the keys, the base URLs, the
# signing key, no OTEL_* variables); stdout in $BT_TMP/NAME.out, stderr in NAME.err; sets
# $code. Every output is kept for the key check at the end.
run_bt() {
    local name=$1
    shift
    set +e
    env -i PATH="$PATH" HOME="$BT_TMP/home" TMPDIR="$BT_TMP" \
        OPENAI_API_KEY="$OPENAI_KEY" OPENAI_BASE_URL="http://127.0.0.1:$FAKE/v1" \
        ANTHROPIC_API_KEY="$ANTHROPIC_KEY" ANTHROPIC_BASE_URL="http://127.0.0.1:$FAKE" \
        BATCHTRACE_SIGNING_KEY="$SIGNING_KEY" ${FAULT:+BATCHTRACE_FAULT="$FAULT"} \
        $(bt_wrapper) "$BIN" "$@" > "$BT_TMP/$name.out" 2> "$BT_TMP/$name.err"
    code=$?
    set -e
}

# sync_both NAME STORE [ARG...]: sync OpenAI then Anthropic to the sink; $code is the worse.
sync_both() {
    local name=$1 store=$2
    shift 2
    run_bt "$name.openai" sync --provider openai --store "$store" --endpoint "http://127.0.0.1:$PORT" "$@"
    local first=$code
    run_bt "$name.anthropic" sync --provider anthropic --store "$store" --endpoint "http://127.0.0.1:$PORT" "$@"
    [ "$first" -gt "$code" ] && code=$first
    return 0
}

# expect_code NAME WANT: the last run's exit code.
expect_code() {
    if [ "$code" != "$2" ]; then
        fail "$1: exit $code, expected $2"
        sed 's/^/    /' "$BT_TMP"/"$1"*.err >&2 || true
    fi
}

# check NAME [ARG...]: sync_check.js over the sink directories in ARG (and its options).
check() {
    local name=$1
    shift
    if ! node "$HERE/sync_check.js" "$@" > "$BT_TMP/$name.check" 2>&1; then
        [ -z "${SYNC_KEEP:-}" ] || cp -r "$BT_TMP" "$SYNC_KEEP" 
        fail "$name: what arrived is wrong:"
        sed 's/^/    /' "$BT_TMP/$name.check" >&2
    fi
}

# started STORE: `start` the batches a binding would have started (batch_ctx, whose token
# goes into its OpenAI metadata, and msgbatch_started, bound by id), in STORE. Sets $CTX and
# $CTX_TRACE.
started() {
    local store=$1
    run_bt start.openai start --input "$A/openai-ctx.jsonl" --store "$store" --exporter file \
        --output "$BT_TMP/submit.jsonl" --json
    CTX=$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(s.context)' "$BT_TMP/start.openai.out")
    CTX_TRACE=$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(s.trace_id)' "$BT_TMP/start.openai.out")
    run_bt start.anthropic start --input "$A/anthropic-started.jsonl" --store "$store" \
        --exporter file --output "$BT_TMP/submit.jsonl"
    local token
    token=$(cat "$BT_TMP/start.anthropic.out")
    run_bt bind bind --batch-id msgbatch_started --context "$token" --store "$store"
    expect_code bind 0
}

# new_case NAME [FAULTS_JSON]: a store and a directory of its own ($store, $w), the batches
# started in it, and the account with every batch ended served with FAULTS.
new_case() {
    store="sqlite:$BT_TMP/$1/state.db"
    w="$BT_TMP/$1"
    mkdir -p "$w"
    started "$store"
    node "$HERE/account.js" config "$A" 2 "$OPENAI_KEY" "$ANTHROPIC_KEY" "$CTX"
    fake_config "$A/config-2.json" "${2:-[]}"
}

# ---- two syncs, a manual collect in between: every item exactly once -------------------
test_two_syncs_and_a_collect() {
    local store="sqlite:$BT_TMP/two/state.db" w="$BT_TMP/two"
    mkdir -p "$w"
    started "$store"
    node "$HERE/account.js" config "$A" 1 "$OPENAI_KEY" "$ANTHROPIC_KEY" "$CTX"
    fake_config "$A/config-1.json"
    sink_dir "$w/sync1"
    sync_both sync1 "$store"
    expect_code sync1 0
    grep -q 'batch_late (in_progress): still running' "$BT_TMP/sync1.openai.err" ||
        fail "sync1: batch_late is not reported as still running"
    grep -q 'inputs   none: Anthropic does not return the requests' "$BT_TMP/sync1.anthropic.err" ||
        fail "sync1: msgbatch_done's summary does not say it is collect-only"
    grep -q 'inputs   kept in the store by start' "$BT_TMP/sync1.anthropic.err" ||
        fail "sync1: msgbatch_started's summary does not say its inputs came from the store"

    # batch_late and msgbatch_running end; a person collects batch_late by hand.
    node "$HERE/account.js" config "$A" 2 "$OPENAI_KEY" "$ANTHROPIC_KEY" "$CTX"
    fake_config "$A/config-2.json"
    curl -sf "http://127.0.0.1:$FAKE/v1/batches/batch_late" -H "Authorization: Bearer $OPENAI_KEY" \
        > "$w/late.json"
    sink_dir "$w/manual"
    run_bt manual collect --batch "$w/late.json" --results "$A/file-late-out" \
        --input "$A/file-late-in" --store "$store" --endpoint "http://127.0.0.1:$PORT"
    expect_code manual 0

    sink_dir "$w/sync2"
    sync_both sync2 "$store"
    expect_code sync2 0
    grep -q 'batch_late (completed): traced before, nothing to send' "$BT_TMP/sync2.openai.err" ||
        fail "sync2: batch_late, collected by hand, is not reported as traced before"
    check two "$A/expected.json" --trace "batch_ctx=$CTX_TRACE" "$w/sync1" "$w/manual" "$w/sync2"

    # A third sync finds nothing to send.
    sink_dir "$w/sync3"
    sync_both sync3 "$store" --json
    expect_code sync3 0
    [ -z "$(ls "$w/sync3" 2>/dev/null)" ] || fail "sync3: sent spans again"
    node -e '
      const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
      const ids = lines.map((l) => l.batch_id).sort().join(",");
      const want = "batch_big,batch_cancelled,batch_ctx,batch_done,batch_expired,batch_failed,batch_late,batch_manual,batch_validating";
      if (ids !== want) { console.error(`--json batches ${ids}, expected ${want}`); process.exit(1); }
      for (const l of lines) {
        const sync = l.batch_id === "batch_validating" ? "pending" : "complete";
        if (l.sync !== sync || l.exit_code !== 0 || l.summary !== null) { console.error(`--json ${JSON.stringify(l)}`); process.exit(1); }
      }' "$BT_TMP/sync3.openai.out" || fail "sync3 --json: not one object per batch as expected"
}

# ---- killed with SIGKILL halfway, run again: every item exactly once ----------------------
test_sigkill_halfway() {
    local store w
    # The big batch's output hangs: the sync is killed while it waits for it, with
    # batch_late and batch_done already sent.
    new_case kill '[{"match": "file-big-out", "delay_ms": 20000}]'
    sink_dir "$w/killed"
    (env -i PATH="$PATH" HOME="$BT_TMP/home" TMPDIR="$BT_TMP" OPENAI_API_KEY="$OPENAI_KEY" \
        OPENAI_BASE_URL="http://127.0.0.1:$FAKE/v1" BATCHTRACE_SIGNING_KEY="$SIGNING_KEY" \
        "$BIN" sync --provider openai --store "$store" --endpoint "http://127.0.0.1:$PORT" \
        > "$BT_TMP/killed.out" 2> "$BT_TMP/killed.err") &
    local pid=$!
    for _ in $(seq 200); do
        curl -sf "http://127.0.0.1:$FAKE/_fake/log" | grep -q 'file-big-out' && break
        sleep 0.1
    done
    pkill -KILL -P "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    [ -n "$(ls "$w/killed" 2>/dev/null)" ] || fail "kill: the killed sync had sent nothing yet"
    fake_config "$A/config-2.json"
    sink_dir "$w/again"
    sync_both again "$store"
    expect_code again 0
    check kill "$A/expected.json" --trace "batch_ctx=$CTX_TRACE" "$w/killed" "$w/again"
}

# ---- 429 with Retry-After, a 500, resets mid-download: retried, nothing lost or doubled --
test_faults() {
    local store w
    new_case faults '[
      {"match": "^/v1/batches\\?limit", "status": 429, "headers": {"Retry-After": "1"}},
      {"match": "file-done-out", "status": 500},
      {"match": "file-big-out", "reset_after_bytes": 700000, "times": 2},
      {"match": "msgbatch_done/results", "reset_after_bytes": 300},
      {"match": "^/v1/messages/batches\\?", "status": 529},
      {"match": "file-done-err", "delay_ms": 1000}]'
    sink_dir "$w/sink"
    sync_both faults "$store"
    expect_code faults 0
    grep -q 'HTTP 429.*trying again in 1.0 s' "$BT_TMP/faults.openai.err" ||
        fail "faults: the 429's Retry-After was not honoured (no notice)"
    grep -q 'HTTP 500' "$BT_TMP/faults.openai.err" || fail "faults: the 500 was not retried"
    check faults "$A/expected.json" --trace "batch_ctx=$CTX_TRACE" "$w/sink"
    # The big output was asked for three times (two resets), and nothing came twice.
    local asked
    asked=$(curl -sf "http://127.0.0.1:$FAKE/_fake/log" | grep -o 'file-big-out' | wc -l)
    [ "$asked" = 3 ] || fail "faults: the reset download was asked for $asked times, expected 3"
    # A batch's files download at once: batch_done's input was asked for before its error
    # file was answered (a second late).
    curl -sf "http://127.0.0.1:$FAKE/_fake/log" | node -e '
      const log = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const input = log.find((e) => e.path.includes("/file-done-in/"));
      const errors = log.find((e) => e.path.includes("/file-done-err/"));
      process.exit(input && errors && input.arrived < errors.answered ? 0 : 1);' ||
        fail "faults: batch_done's input was not asked for while its error file downloaded"
}

# ---- a download that keeps failing: that batch fails, the next run collects it ----------
test_failure_then_next_run() {
    local store w
    new_case again '[{"match": "file-manual-out", "status": 500, "times": 100}]'
    sink_dir "$w/first"
    run_bt fail1 sync --provider openai --store "$store" --endpoint "http://127.0.0.1:$PORT"
    expect_code fail1 1
    grep -q 'batch_manual (completed): not collected this time (the next sync tries again): GET http://127.0.0.1:[0-9]*/v1/files/file-manual-out/content: HTTP 500' \
        "$BT_TMP/fail1.err" || { fail "fail1: no error naming the failed download"; cat "$BT_TMP/fail1.err" >&2; }
    fake_config "$A/config-2.json"
    sink_dir "$w/second"
    sync_both fail2 "$store"
    expect_code fail2 0
    check failure "$A/expected.json" --trace "batch_ctx=$CTX_TRACE" "$w/first" "$w/second"
}

# ---- a batch collected by hand before any sync saw it: sync does not send it again ------
test_collect_before_sync() {
    local store w
    new_case handfirst
    curl -sf "http://127.0.0.1:$FAKE/v1/batches/batch_manual" -H "Authorization: Bearer $OPENAI_KEY" \
        > "$w/manual.json"
    sink_dir "$w/hand"
    run_bt hand collect --batch "$w/manual.json" --results "$A/file-manual-out" --input "$A/file-manual-in" --store "$store" \
        --endpoint "http://127.0.0.1:$PORT"
    expect_code hand 0
    sink_dir "$w/sync"
    sync_both handsync "$store"
    expect_code handsync 0
    grep -q 'batch_manual (completed): traced before, nothing to send' "$BT_TMP/handsync.openai.err" ||
        fail "handsync: batch_manual, collected by hand before any sync, is not reported as traced before"
    check handfirst "$A/expected.json" --trace "batch_ctx=$CTX_TRACE" "$w/hand" "$w/sync"
    # The same collect again finds it sent and sends nothing.
    sink_dir "$w/again"
    run_bt hand2 collect --batch "$w/manual.json" --results "$A/file-manual-out" --input "$A/file-manual-in" --store "$store" \
        --endpoint "http://127.0.0.1:$PORT"
    expect_code hand2 0
    grep -q 'already collected: 4 items and the task were exported before' "$BT_TMP/hand2.err" ||
        fail "hand2: a second collect of batch_manual does not say it was collected before"
    grep -q '  spans    none: nothing was sent to http://127.0.0.1' "$BT_TMP/hand2.err" ||
        fail "hand2: the summary does not say that nothing was sent"
    [ -z "$(ls "$w/again" 2>/dev/null)" ] || fail "hand2: sent spans again"
    # Without a named store (the default one exists), collect-only stays stateless: a second
    # run sends the spans again, as a user regenerating a file expects.
    run_bt migrate store migrate
    expect_code migrate 0
    local run
    for run in plain1 plain2; do
        run_bt "$run" collect --batch "$w/manual.json" --results "$A/file-manual-out" \
            --input "$A/file-manual-in" --exporter file --output "$w/$run.jsonl" --json
        expect_code "$run" 0
        grep -q '"spans_exported": *5' "$BT_TMP/$run.out" ||
            fail "$run: a collect-only run with the default store did not send its 5 spans"
    done
}

# ---- two syncs at once on one store share the work ---------------------------------------
test_two_at_once() {
    local store w
    new_case par
    sink_dir "$w/sink"
    run_bt par1 sync --provider openai --store "$store" --endpoint "http://127.0.0.1:$PORT" &
    local first=$!
    run_bt par2 sync --provider openai --store "$store" --endpoint "http://127.0.0.1:$PORT"
    wait "$first" || true
    # A batch both worked on may be left for the next run (each saw the other's items).
    sync_both par3 "$store"
    expect_code par3 0
    check par "$A/expected.json" --trace "batch_ctx=$CTX_TRACE" "$w/sink"
}

# ---- the keys: never printed, logged or stored ---------------------------------------
test_keys_never_shown() {
    local w="$BT_TMP/keys"
    mkdir -p "$w"
    # A wrong key: the fake's 401 echoes the key it was given.
    OPENAI_KEY_SAVED=$OPENAI_KEY
    OPENAI_KEY="sk-wrong-$RANDOM$RANDOM-SECRET"
    run_bt wrongkey sync --provider openai --store "sqlite:$w/state.db" --endpoint "http://127.0.0.1:$PORT"
    expect_code wrongkey 1
    grep -q 'HTTP 401 (Incorrect API key provided: Bearer <redacted>)' "$BT_TMP/wrongkey.err" ||
        { fail "wrongkey: the 401 is not reported with the key hidden"; cat "$BT_TMP/wrongkey.err" >&2; }
    if grep -rl -- "$OPENAI_KEY" "$BT_TMP"/*.out "$BT_TMP"/*.err "$w" 2>/dev/null; then
        fail "the wrong key appears in the files above"
    fi
    OPENAI_KEY=$OPENAI_KEY_SAVED
    # Every output of every run, every sink request and every store.
    local leaks
    leaks=$(grep -rlF -e "$OPENAI_KEY" -e "$ANTHROPIC_KEY" "$BT_TMP" --exclude='config-*.json' \
        --exclude='fake-config.json' --exclude='*.check' 2>/dev/null || true)
    [ -z "$leaks" ] || fail "an API key appears in: $leaks"
}

# ---- usage errors ------------------------------------------------------------------------
test_usage() {
    run_bt noprovider sync
    expect_code noprovider 2
    grep -q 'sync needs --provider openai or --provider anthropic' "$BT_TMP/noprovider.err" ||
        fail "noprovider: message"
    set +e
    env -i PATH="$PATH" HOME="$BT_TMP/home" "$BIN" sync --provider openai --store "sqlite:$BT_TMP/u.db" \
        > /dev/null 2> "$BT_TMP/nokey.err"
    code=$?
    set -e
    expect_code nokey 2
    grep -q 'OPENAI_API_KEY is not set' "$BT_TMP/nokey.err" || fail "nokey: message"
    run_bt badid sync --provider openai --batch-id 'a/b' --store "sqlite:$BT_TMP/u.db"
    expect_code badid 2
    run_bt badsince sync --provider openai --since yesterday --store "sqlite:$BT_TMP/u.db"
    expect_code badsince 2
    run_bt both sync --provider openai --once --every 60 --store "sqlite:$BT_TMP/u.db"
    expect_code both 2
    # The list refused: the error, and a summary that does not read as an empty account.
    node "$HERE/account.js" config "$A" 2 "$OPENAI_KEY" "$ANTHROPIC_KEY"
    fake_config "$A/config-2.json" '[{"match": "^/v1/batches\\?", "status": 401, "times": 100}]'
    run_bt listfail sync --provider openai --store "sqlite:$BT_TMP/u.db" --endpoint "http://127.0.0.1:$PORT"
    expect_code listfail 1
    grep -q 'HTTP 401' "$BT_TMP/listfail.err" || fail "listfail: the error does not name the 401"
    grep -q 'sync: stopped before any batch was looked at (see the error above); nothing was collected' \
        "$BT_TMP/listfail.err" || fail "listfail: the summary does not say the run stopped"
    ! grep -q '0 batches listed' "$BT_TMP/listfail.err" || fail "listfail: says 0 batches listed"
}

# ---- --batch-id and --since narrow the work ------------------------------------------------
test_batch_id_and_since() {
    local store="sqlite:$BT_TMP/narrow/state.db" w="$BT_TMP/narrow"
    mkdir -p "$w"
    node "$HERE/account.js" config "$A" 2 "$OPENAI_KEY" "$ANTHROPIC_KEY"
    fake_config "$A/config-2.json"
    sink_dir "$w/sink"
    run_bt one sync --provider openai --batch-id batch_done --batch-id batch_manual --store "$store" \
        --endpoint "http://127.0.0.1:$PORT" --json
    expect_code one 0
    [ "$(wc -l < "$BT_TMP/one.out")" = 2 ] || fail "--batch-id: not one line per named batch"
    # created_at of batch_late is T0+800 s, batch_done T0+700 s: --since keeps late and validating.
    run_bt since sync --provider openai --since 2026-01-01T00:12:00Z --store "$store" \
        --endpoint "http://127.0.0.1:$PORT" --json
    expect_code since 0
    local ids
    ids=$(node -e 'console.log(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l).batch_id).join(","))' "$BT_TMP/since.out")
    [ "$ids" = "batch_validating,batch_late" ] || fail "--since: synced $ids"
}

# SYNC_TESTS="two_at_once faults" runs only those cases (while working on one).
for name in ${SYNC_TESTS:-two_syncs_and_a_collect collect_before_sync sigkill_halfway faults failure_then_next_run \
        two_at_once batch_id_and_since usage keys_never_shown}; do
    "test_$name"
done

if [ "$FAILURES" -gt 0 ]; then
    echo "sync.sh: $FAILURES failed" >&2
    exit 1
fi
echo "sync.sh: ok"
