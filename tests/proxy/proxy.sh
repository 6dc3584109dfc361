#!/usr/bin/env bash
# `batchtrace proxy` end to end (issue 16): the real npm SDKs (flow.js) talk to the proxy,
# which forwards to the fake OpenAI/Anthropic API (tests/sync/fake_provider.js) and exports
# to the oracle's OTLP sink; check.js decodes what arrived. All on 127.0.0.1.
#
#   tests/proxy/proxy.sh BIN
#
# Cases: the OpenAI and Anthropic flows, submit and results in two client processes with the
# proxy restarted between them (the store links them), every span once in the submit trace;
# a sync and a manual collect of the same store send nothing again; byte-for-byte answers (result files, a
# streamed chat completion, an upstream error); bad input (an upload cut short by the
# client, a malformed multipart upload, a non-JSON results body, an upstream reset
# mid-download, a client that disconnects mid-download): the proxy keeps serving, the log
# says what happened, nothing is exported twice; SIGTERM lets a download under way end and
# traces it; --json logs; keys never logged nor stored; usage errors.
. "$(dirname "$0")/../cli/lib.sh"

BIN=$1
HERE="$BT_REPO_ROOT/tests/proxy"
# A runaway test must not fill the disk: no file this script writes grows past 256 MB.
ulimit -f $((256 * 1024 * 2))
bt_oracle_ready
bt_proxy_clients_ready
bt_start_sink
SINK=$SINK_PORT
FAILURES=0
OPENAI_KEY="sk-proxy-openai-$RANDOM$RANDOM-SECRET"
ANTHROPIC_KEY="sk-ant-proxy-$RANDOM$RANDOM-SECRET"
TRACEPARENT="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

fail() {
    echo "FAIL: $*" >&2
    FAILURES=$((FAILURES + 1))
}

node "$BT_REPO_ROOT/tests/sync/fake_provider.js" --port-file "$BT_TMP/fake.port" \
    > /dev/null 2> "$BT_TMP/fake.err" < /dev/null &
bt_track $!
for _ in $(seq 100); do [ -f "$BT_TMP/fake.port" ] && break; sleep 0.1; done
FAKE=$(cat "$BT_TMP/fake.port")

# fake_config [FAULTS_JSON]: the fake's account from now on (live batches only), with faults.
fake_config() {
    curl -sf -o /dev/null --data-binary \
        '{"openai_key": "'"$OPENAI_KEY"'", "anthropic_key": "'"$ANTHROPIC_KEY"'", "faults": '"${1:-[]}"'}' \
        "http://127.0.0.1:$FAKE/_fake/config"
}

# sink_dir DIR: from now on the sink stores what it accepts in DIR.
sink_dir() {
    bt_sink_control "$SINK" '{"dir": "'"$1"'", "script": [], "then": {"status": 200}}'
}

# start_proxy NAME STORE [ARG...]: a proxy on a free port, logging to $BT_TMP/NAME.log;
# sets PROXY_PID and PROXY (host:port).
start_proxy() {
    local name=$1 store=$2
    shift 2
    env -i PATH="$PATH" HOME="$BT_TMP/home" TMPDIR="$BT_TMP" BATCHTRACE_SIGNING_KEY=proxy-test \
        $(bt_wrapper) "$BIN" proxy --listen 127.0.0.1:0 --upstream "http://127.0.0.1:$FAKE" \
        --store "$store" --endpoint "http://127.0.0.1:$SINK" "$@" \
        > "$BT_TMP/$name.out" 2> "$BT_TMP/$name.log" &
    PROXY_PID=$!
    bt_track $PROXY_PID
    PROXY=""
    for _ in $(seq 100); do
        PROXY=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$BT_TMP/$name.log" 2>/dev/null |
                sed 's|.*http://||' || true)
        [ -n "$PROXY" ] && break
        PROXY=$(grep -o '"message":"listening on http://127.0.0.1:[0-9]*' "$BT_TMP/$name.log" 2>/dev/null |
                sed 's|.*http://||' || true)
        [ -n "$PROXY" ] && break
        sleep 0.1
    done
    [ -n "$PROXY" ] || { echo "the proxy did not start:" >&2; cat "$BT_TMP/$name.log" >&2; exit 1; }
}

# stop_proxy: SIGTERM, and wait for it to end; sets $code to its exit code.
stop_proxy() {
    kill -TERM "$PROXY_PID"
    set +e
    wait "$PROXY_PID"
    code=$?
    set -e
}

# client NAME ARG...: flow.js through the proxy, as a user's program; fails the case when it
# does not exit 0.
client() {
    local name=$1
    shift
    if ! env -i PATH="$PATH" HOME="$BT_TMP/home" OPENAI_API_KEY="$OPENAI_KEY" \
        ANTHROPIC_API_KEY="$ANTHROPIC_KEY" OPENAI_BASE_URL="http://$PROXY/v1" \
        ANTHROPIC_BASE_URL="http://$PROXY" FLOW_ITEMS="${FLOW_ITEMS:-5}" \
        node "$HERE/flow.js" "$@" > "$BT_TMP/$name.client" 2>&1; then
        fail "$name: the client failed:"
        sed 's/^/    /' "$BT_TMP/$name.client" >&2
    fi
}

# check_spans NAME DIR STATE...: check.js over the sink directory DIR for these batches.
check_spans() {
    local name=$1 dir=$2
    shift 2
    node "$HERE/flow.js" expect "$TRACEPARENT" "$@" > "$BT_TMP/$name.expected"
    if ! node "$HERE/check.js" "$BT_TMP/$name.expected" "$dir" > "$BT_TMP/$name.check" 2>&1; then
        fail "$name: the spans are wrong:"
        sed 's/^/    /' "$BT_TMP/$name.check" >&2
        echo "  the proxies' logs:" >&2
        tail -n 40 "$BT_TMP"/*.log | sed 's/^/    /' >&2
    fi
}

# same_bytes NAME GOT WANT: the client got exactly the fake's bytes.
same_bytes() {
    cmp -s "$2" "$3" || fail "$1: the client did not get the upstream's bytes ($(wc -c < "$2") vs $(wc -c < "$3"))"
}

# logged NAME LOG PATTERN: the log has a line matching PATTERN (grep -E).
logged() {
    grep -Eq "$3" "$2" || { fail "$1: the log does not say /$3/:"; sed 's/^/    /' "$2" >&2; }
}

# batch_of STATE: the batch id the submit step wrote.
batch_of() {
    node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).batch_id)' "$1"
}

# ---- the two-process flows, the proxy restarted in between ---------------------------------
fake_config
STORE="sqlite:$BT_TMP/flows.db"
sink_dir "$BT_TMP/sink-flows"
start_proxy submit "$STORE"
client openai-submit openai-submit "$BT_TMP/openai.state" "$TRACEPARENT"
client anthropic-submit anthropic-submit "$BT_TMP/anthropic.state" "$TRACEPARENT"
stop_proxy
[ "$code" = 0 ] || fail "flows: the proxy exited $code on SIGTERM"
logged flows "$BT_TMP/submit.log" "openai batch batch_[0-9a-z]+ submitted: 5 requests, trace 4bf92f3577b34da6a3ce929d0e0e4736"
logged flows "$BT_TMP/submit.log" "anthropic batch msgbatch_[0-9a-z]+ submitted: 5 requests"
start_proxy results "$STORE"
client openai-results openai-results "$BT_TMP/openai.state" "$BT_TMP/openai.out"
client anthropic-results anthropic-results "$BT_TMP/anthropic.state" "$BT_TMP/anthropic.out"
client chat-stream chat-stream "$BT_TMP/stream.out"
stop_proxy
check_spans flows "$BT_TMP/sink-flows" "$BT_TMP/openai.state" "$BT_TMP/anthropic.state"
logged flows "$BT_TMP/results.log" "openai batch $(batch_of "$BT_TMP/openai.state") collected \(completed\): 5 items \(4 succeeded, 1 errored\)"
logged flows "$BT_TMP/results.log" "anthropic batch $(batch_of "$BT_TMP/anthropic.state") collected \(ended\): 5 items"

# Byte for byte: the result files, the streamed chat completion and its headers.
for file in output error; do
    id=$(cat "$BT_TMP/openai.out/$file.jsonl.id")
    curl -sf -o "$BT_TMP/want-$file" "http://127.0.0.1:$FAKE/_fake/file/$id"
    same_bytes "bytes-$file" "$BT_TMP/openai.out/$file.jsonl" "$BT_TMP/want-$file"
done
curl -sf -o "$BT_TMP/want-sse" "http://127.0.0.1:$FAKE/_fake/sse"
same_bytes bytes-sse "$BT_TMP/stream.out" "$BT_TMP/want-sse"
grep -q '"content-type":"text/event-stream","x-request-id":"req_stream_1","status":200' \
    "$BT_TMP/stream.out.headers" || fail "bytes-sse: headers $(cat "$BT_TMP/stream.out.headers")"
grep -q "a-canceled-4 canceled" "$BT_TMP/anthropic.out/results.types" ||
    fail "anthropic: the SDK's results() did not read every result through the proxy"

# A sync of the same store sends nothing again (the proxy traced both batches).
for provider in openai anthropic; do
    batch=$(batch_of "$BT_TMP/$provider.state")
    set +e
    env -i PATH="$PATH" HOME="$BT_TMP/home" TMPDIR="$BT_TMP" BATCHTRACE_SIGNING_KEY=proxy-test \
        OPENAI_API_KEY="$OPENAI_KEY" OPENAI_BASE_URL="http://127.0.0.1:$FAKE/v1" \
        ANTHROPIC_API_KEY="$ANTHROPIC_KEY" ANTHROPIC_BASE_URL="http://127.0.0.1:$FAKE" \
        "$BIN" sync --provider "$provider" --batch-id "$batch" --store "$STORE" \
        --endpoint "http://127.0.0.1:$SINK" > "$BT_TMP/sync.out" 2> "$BT_TMP/sync.err"
    code=$?
    set -e
    [ "$code" = 0 ] || fail "sync-after-proxy: exit $code: $(cat "$BT_TMP/sync.err")"
    grep -q "traced before, nothing to send" "$BT_TMP/sync.err" ||
        fail "sync-after-proxy: $provider batch not seen as traced: $(cat "$BT_TMP/sync.err")"
done
# ... nor does a manual collect of the files the client downloaded, by the batch id.
batch=$(batch_of "$BT_TMP/openai.state")
set +e
env -i PATH="$PATH" HOME="$BT_TMP/home" TMPDIR="$BT_TMP" BATCHTRACE_SIGNING_KEY=proxy-test \
    "$BIN" collect --batch-id "$batch" --results "$BT_TMP/openai.out/output.jsonl" \
    --results "$BT_TMP/openai.out/error.jsonl" --batch "$BT_TMP/openai.out/batch.json" \
    --store "$STORE" --endpoint "http://127.0.0.1:$SINK" --json > "$BT_TMP/collect.out" 2> "$BT_TMP/collect.err"
code=$?
set -e
[ "$code" = 0 ] || fail "collect-after-proxy: exit $code: $(cat "$BT_TMP/collect.err")"
grep -q '"spans_exported":0,' "$BT_TMP/collect.out" && grep -q '"items_skipped":5' "$BT_TMP/collect.out" ||
    fail "collect-after-proxy: sent again: $(cat "$BT_TMP/collect.out")"
check_spans sync-after-proxy "$BT_TMP/sink-flows" "$BT_TMP/openai.state" "$BT_TMP/anthropic.state"

# ---- bad input --------------------------------------------------------------------------------
STORE="sqlite:$BT_TMP/bad.db"
sink_dir "$BT_TMP/sink-bad"
start_proxy bad "$STORE" --json

# An upload the client cuts short (it promised more bytes than it sent, then closed): never
# forwarded; a malformed multipart upload (no closing boundary): forwarded, the upstream's
# 400 passed on unchanged, the log says so.
exec {fd}<>"/dev/tcp/${PROXY%:*}/${PROXY#*:}"
printf 'POST /v1/files HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 5000\r\n\r\n--xyz\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n' \
    "$PROXY" "$OPENAI_KEY" >&"$fd"
exec {fd}>&-
printf -- '--xyz\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--xyz\r\nContent-Disposition: form-data; name="file"; filename="in.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}\n' \
    > "$BT_TMP/truncated.multipart"
status=$(curl -s -o "$BT_TMP/truncated.answer" -w '%{http_code}' -H "Authorization: Bearer $OPENAI_KEY" \
    -H 'Content-Type: multipart/form-data; boundary=xyz' --data-binary @"$BT_TMP/truncated.multipart" \
    "http://$PROXY/v1/files")
[ "$status" = 400 ] || fail "truncated-upload: status $status, expected the upstream's 400"
grep -q '"message":"The multipart body is malformed."' "$BT_TMP/truncated.answer" ||
    fail "truncated-upload: the upstream's error body was not passed on: $(cat "$BT_TMP/truncated.answer")"
sleep 0.3
logged truncated-upload "$BT_TMP/bad.log" '"event":"untraced".*"path":"/v1/files".*the client.s request was cut short \(not forwarded\)'
logged truncated-upload "$BT_TMP/bad.log" '"path":"/v1/files".*the upstream answered 400, passed on'

# A non-JSON results body: passed on as it is; collect rejects it, nothing is exported for
# it; the next, good, download exports every item once.
fake_config '[{"match": "/v1/messages/batches/.*/results", "body": "this is not JSON\n", "times": 1}]'
client bad-anthropic-submit anthropic-submit "$BT_TMP/bad-anthropic.state" "$TRACEPARENT"
batch=$(batch_of "$BT_TMP/bad-anthropic.state")
curl -sf -o /dev/null -H "x-api-key: $ANTHROPIC_KEY" -H 'anthropic-version: 2023-06-01' "http://$PROXY/v1/messages/batches/$batch"
curl -sf -o /dev/null -H "x-api-key: $ANTHROPIC_KEY" -H 'anthropic-version: 2023-06-01' "http://$PROXY/v1/messages/batches/$batch"
got=$(curl -sf -H "x-api-key: $ANTHROPIC_KEY" -H 'anthropic-version: 2023-06-01' "http://$PROXY/v1/messages/batches/$batch/results")
[ "$got" = "this is not JSON" ] || fail "non-json-results: the client got \"$got\", not the upstream's body"
client bad-anthropic-results anthropic-results "$BT_TMP/bad-anthropic.state" "$BT_TMP/bad-anthropic.out"

# An upstream that resets mid-download, then a client that disconnects mid-download (the
# upstream sends slowly, so the proxy is still streaming): neither is traced; the next full
# download is, once.
FLOW_ITEMS=1000 client bad-openai-submit openai-submit "$BT_TMP/bad-openai.state" "$TRACEPARENT"
batch=$(batch_of "$BT_TMP/bad-openai.state")
curl -sf -o /dev/null -H "Authorization: Bearer $OPENAI_KEY" "http://$PROXY/v1/batches/$batch"
curl -sf -o "$BT_TMP/bad-batch.json" -H "Authorization: Bearer $OPENAI_KEY" "http://$PROXY/v1/batches/$batch"
output=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).output_file_id)' "$BT_TMP/bad-batch.json")
curl -sf -o /dev/null --data-binary '{"match": "/v1/files/'"$output"'/content", "reset_after_bytes": 100000}' \
    "http://127.0.0.1:$FAKE/_fake/fault" || fail "reset: the fake did not take the fault"
set +e
curl -s -o "$BT_TMP/reset.body" -H "Authorization: Bearer $OPENAI_KEY" "http://$PROXY/v1/files/$output/content"
reset_code=$?
set -e
[ "$reset_code" != 0 ] || fail "reset: the client did not see the answer break off"
curl -sf -o /dev/null --data-binary '{"match": "/v1/files/'"$output"'/content", "throttle_ms": 50}' \
    "http://127.0.0.1:$FAKE/_fake/fault"
set +e
curl -s -H "Authorization: Bearer $OPENAI_KEY" "http://$PROXY/v1/files/$output/content" | head -c 1000 > /dev/null
set -e
sleep 0.5
FLOW_ITEMS=1000 client bad-openai-results openai-results "$BT_TMP/bad-openai.state" "$BT_TMP/bad-openai.out"
curl -sf -o "$BT_TMP/want-big" "http://127.0.0.1:$FAKE/_fake/file/$output"
same_bytes bytes-big "$BT_TMP/bad-openai.out/output.jsonl" "$BT_TMP/want-big"

# SIGTERM while a download is under way: it ends, and is traced before the proxy exits.
client drain-submit anthropic-submit "$BT_TMP/drain.state" "$TRACEPARENT"
batch=$(batch_of "$BT_TMP/drain.state")
curl -sf -o /dev/null -H "x-api-key: $ANTHROPIC_KEY" -H 'anthropic-version: 2023-06-01' "http://$PROXY/v1/messages/batches/$batch"
curl -sf -o /dev/null -H "x-api-key: $ANTHROPIC_KEY" -H 'anthropic-version: 2023-06-01' "http://$PROXY/v1/messages/batches/$batch"
curl -sf -o /dev/null --data-binary '{"match": "/v1/messages/batches/'"$batch"'/results", "delay_ms": 1500}' \
    "http://127.0.0.1:$FAKE/_fake/fault"
curl -s -o "$BT_TMP/drain.body" -w '%{http_code}' -H "x-api-key: $ANTHROPIC_KEY" -H 'anthropic-version: 2023-06-01' \
    "http://$PROXY/v1/messages/batches/$batch/results" > "$BT_TMP/drain.status" &
drain_client=$!
sleep 0.5
stop_proxy
wait $drain_client || true
[ "$code" = 0 ] || fail "drain: the proxy exited $code on SIGTERM"
[ "$(cat "$BT_TMP/drain.status")" = 200 ] || fail "drain: the download under way got $(cat "$BT_TMP/drain.status")"
curl -sf -o "$BT_TMP/want-drain" "http://127.0.0.1:$FAKE/_fake/file/$batch.results"
same_bytes drain "$BT_TMP/drain.body" "$BT_TMP/want-drain"

check_spans bad "$BT_TMP/sink-bad" "$BT_TMP/bad-anthropic.state" "$BT_TMP/bad-openai.state" "$BT_TMP/drain.state"
logged non-json-results "$BT_TMP/bad.log" '"level":"warning","event":"rejected".*not JSON|"event":"rejected"'
logged reset "$BT_TMP/bad.log" '"event":"untraced".*the upstream.s answer broke off'
logged disconnect "$BT_TMP/bad.log" '"event":"untraced".*the client disconnected'
logged drain "$BT_TMP/bad.log" '"event":"stopping"'
node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) JSON.parse(l)' \
    "$BT_TMP/bad.log" || fail "json-logs: a --json log line is not JSON"

# The keys are in no log, output or store.
for f in "$BT_TMP"/*.log "$BT_TMP"/*.client "$BT_TMP"/flows.db "$BT_TMP"/bad.db; do
    if grep -aq -e "$OPENAI_KEY" -e "$ANTHROPIC_KEY" "$f"; then fail "keys: $f holds an API key"; fi
done

# ---- usage -------------------------------------------------------------------------------------
set +e
"$BIN" proxy > "$BT_TMP/usage.out" 2> "$BT_TMP/usage.err"
code=$?
set -e
[ "$code" = 2 ] || fail "usage: proxy without --upstream exits $code, expected 2"
grep -q "proxy needs --upstream URL" "$BT_TMP/usage.err" || fail "usage: $(cat "$BT_TMP/usage.err")"
set +e
"$BIN" proxy --upstream ftp://x > /dev/null 2> "$BT_TMP/usage.err"
code=$?
set -e
[ "$code" = 2 ] || fail "usage: --upstream ftp://x exits $code, expected 2"
"$BIN" proxy --help > "$BT_TMP/help.out"
grep -q "OPENAI_BASE_URL=http://127.0.0.1:8787/v1" "$BT_TMP/help.out" || fail "help: no base URL hint"
grep -q -- "--upstream URL" "$BT_TMP/help.out" || fail "help: no --upstream"

if [ "$FAILURES" -gt 0 ]; then
    echo "proxy.sh: $FAILURES failures" >&2
    exit 1
fi
echo "proxy.sh: ok"
