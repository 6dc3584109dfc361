'use strict';
// Self-test of the oracle (normalize.js, check.js, sink.js), independent of batchtrace: it
// hand-builds one export as OTLP/JSON and as protobuf (encoded with root.js), checks both
// normalize to the same hand-written canonical form, that check.js accepts it and rejects
// broken variants, and that the sink stores and answers as documented.
// Ids are golden values computed outside Node from docs/design.md "Identities".
//
//   node selftest.js      prints one line per failure and "N passed, N failed"

const assert = require('assert');
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const Long = require('protobufjs/minimal').util.Long;
const { normalize } = require('./normalize');

const proto = root.opentelemetry.proto;
const Request = proto.collector.trace.v1.ExportTraceServiceRequest;
const Response = proto.collector.trace.v1.ExportTraceServiceResponse;

// Golden ids for provider "openai", batch id "batch_abc" (SHA-256 computed with another tool).
const TRACE = '4faca1e7e86d5dde832b3825c946d3aa';
const TASK = 'f9d38685df5d3d2d';
const ITEM1 = '4ee004bcf6ef1b92'; // custom_id req-1
const ITEM2 = '9d9364484a406249'; // custom_id req-2
const START = '1767225600000000000';
const END = '1767225700000000000';

let passed = 0;
let failed = 0;
const pending = [];

// Registers a named test (sync or async); they run in order.
function test(name, body) {
  pending.push({ name, body });
}

// The export, as the hand-written canonical form.
function canonicalExport() {
  const common = { 'batchtrace.batch.id': 'batch_abc', 'gen_ai.provider.name': 'openai' };
  return {
    resource: {
      attributes: {
        'service.name': 'batchtrace', 'telemetry.sdk.language': 'c',
        'telemetry.sdk.name': 'batchtrace', 'telemetry.sdk.version': '0.1.0',
      },
    },
    scope: { name: 'batchtrace', version: '0.1.0' },
    spans: [
      {
        traceId: TRACE, spanId: ITEM1, parentSpanId: TASK, name: 'chat gpt-4o-mini', kind: 'CLIENT',
        startTimeUnixNano: START, endTimeUnixNano: END, status: { code: 'UNSET', message: '' },
        attributes: {
          ...common, 'batchtrace.custom_id': 'req-1', 'batchtrace.result': 'succeeded',
          'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.request.temperature': { double: 0.5 }, 'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.usage.input_tokens': 12, 'batchtrace.input_missing': false,
        },
      },
      {
        traceId: TRACE, spanId: ITEM2, parentSpanId: TASK, name: 'chat gpt-4o-mini', kind: 'CLIENT',
        startTimeUnixNano: START, endTimeUnixNano: END, status: { code: 'ERROR', message: 'context too long' },
        attributes: {
          ...common, 'batchtrace.custom_id': 'req-2', 'batchtrace.result': 'errored',
          'error.type': 'context_length_exceeded', 'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
        },
      },
      {
        traceId: TRACE, spanId: TASK, parentSpanId: '', name: 'openai.batch', kind: 'INTERNAL',
        startTimeUnixNano: START, endTimeUnixNano: END, status: { code: 'UNSET', message: '' },
        attributes: { ...common, 'batchtrace.batch.request_counts.total': 2 },
      },
    ],
  };
}

// An attribute list in OTLP/JSON from a canonical {key: value} object.
function jsonAttributes(attributes) {
  return Object.entries(attributes).map(([key, value]) => {
    let any;
    if (typeof value === 'string') any = { stringValue: value };
    else if (typeof value === 'boolean') any = { boolValue: value };
    else if (typeof value === 'number') any = { intValue: String(value) };
    else if (Array.isArray(value)) any = { arrayValue: { values: value.map((v) => ({ stringValue: v })) } };
    else any = { doubleValue: value.double };
    return { key, value: any };
  });
}

// The export as one OTLP/JSON request object (spans in the given order).
function jsonRequest(canonical) {
  const kinds = { INTERNAL: 1, CLIENT: 3 };
  const codes = { UNSET: 0, OK: 1, ERROR: 2 };
  return {
    resourceSpans: [{
      resource: { attributes: jsonAttributes(canonical.resource.attributes) },
      scopeSpans: [{
        scope: canonical.scope,
        spans: canonical.spans.map((s) => ({
          traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, name: s.name,
          kind: kinds[s.kind], startTimeUnixNano: s.startTimeUnixNano, endTimeUnixNano: s.endTimeUnixNano,
          attributes: jsonAttributes(s.attributes),
          status: s.status.code === 'UNSET' ? {} : { code: codes[s.status.code], message: s.status.message },
        })),
      }],
    }],
  };
}

// The same request as a root.js message (ids as bytes, times as Long).
function protoMessage(json) {
  const convertValue = (any) => {
    if (any.intValue !== undefined) return { intValue: Long.fromString(any.intValue) };
    if (any.arrayValue) return { arrayValue: { values: any.arrayValue.values.map(convertValue) } };
    return any;
  };
  const convertAttributes = (list) => list.map((kv) => ({ key: kv.key, value: convertValue(kv.value) }));
  return {
    resourceSpans: json.resourceSpans.map((rs) => ({
      resource: { attributes: convertAttributes(rs.resource.attributes) },
      scopeSpans: rs.scopeSpans.map((ss) => ({
        scope: ss.scope,
        spans: ss.spans.map((s) => ({
          ...s,
          traceId: Buffer.from(s.traceId, 'hex'),
          spanId: Buffer.from(s.spanId, 'hex'),
          parentSpanId: Buffer.from(s.parentSpanId, 'hex'),
          startTimeUnixNano: Long.fromString(s.startTimeUnixNano, true),
          endTimeUnixNano: Long.fromString(s.endTimeUnixNano, true),
          attributes: convertAttributes(s.attributes),
        })),
      })),
    })),
  };
}

// Scratch directories made by the tests, removed at the end.
const scratchDirs = [];

// A new scratch directory.
function scratch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-oracle-selftest-'));
  scratchDirs.push(dir);
  return dir;
}

// Writes text lines to a new file in dir; returns its path.
function writeFile(dir, name, text) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

// Expects normalize to throw an error whose message matches pattern.
function expectNormalizeFailure(input, pattern) {
  assert.throws(() => normalize(input), (err) => {
    assert.match(err.message, pattern);
    return true;
  });
}

// A case directory with expected files for the export above; returns its path.
function makeCase(canonical, summaryOverrides = {}) {
  const dir = scratch();
  writeFile(dir, 'args', '--results\ntests/fixtures/none.jsonl\n');
  writeFile(dir, 'expected-exit', '0\n');
  writeFile(dir, 'expected-spans.json', JSON.stringify(canonical.spans, null, 2));
  writeFile(dir, 'expected-summary.json', JSON.stringify(summaryFor(canonical, summaryOverrides), null, 2));
  return dir;
}

// The --json summary matching the export.
function summaryFor(canonical, overrides) {
  return {
    trace_id: TRACE, task_span_id: TASK, spans_exported: canonical.spans.length,
    items: { total: 2, succeeded: 1, errored: 1, canceled: 0, expired: 0, missing: 0 },
    exit_code: 0, destination: '/somewhere/spans.jsonl', ...overrides,
  };
}

// Runs check.js; returns {status, stderr}.
function runCheck(caseDir, input, summary, extra = []) {
  const summaryFile = writeFile(scratch(), 'stdout', JSON.stringify(summary));
  const result = spawnSync(process.execPath, [path.join(__dirname, 'check.js'), '--case', caseDir,
    '--input', input, '--exit', String(summary.exit_code), '--summary', summaryFile, ...extra], { encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

// Writes the canonical export as an OTLP/JSON file (after mutate(request)); returns its path.
function jsonFile(canonical, mutate = () => {}) {
  const request = jsonRequest(canonical);
  mutate(request);
  return writeFile(scratch(), 'spans.jsonl', `${JSON.stringify(request)}\n`);
}

test('an OTLP/JSON file normalizes to the canonical form, spans sorted by id', () => {
  const canonical = canonicalExport();
  const shuffled = { ...canonical, spans: [canonical.spans[2], canonical.spans[0], canonical.spans[1]] };
  assert.deepStrictEqual(normalize(jsonFile(shuffled)), canonical);
});

test('a file of two requests with one resource and scope merges their spans', () => {
  const canonical = canonicalExport();
  const first = jsonRequest({ ...canonical, spans: canonical.spans.slice(0, 1) });
  const second = jsonRequest({ ...canonical, spans: canonical.spans.slice(1) });
  const file = writeFile(scratch(), 'spans.jsonl', `${JSON.stringify(first)}\n${JSON.stringify(second)}\n`);
  assert.deepStrictEqual(normalize(file), canonical);
});

test('requests with different resources are reported', () => {
  const canonical = canonicalExport();
  const first = jsonRequest({ ...canonical, spans: canonical.spans.slice(0, 1) });
  const other = { ...canonical, resource: { attributes: { 'service.name': 'other' } }, spans: canonical.spans.slice(1) };
  const file = writeFile(scratch(), 'spans.jsonl', `${JSON.stringify(first)}\n${JSON.stringify(jsonRequest(other))}\n`);
  expectNormalizeFailure(file, /resource .* differs/);
});

test('OTLP/JSON encoding violations fail loudly', () => {
  const canonical = canonicalExport();
  const span = (request) => request.resourceSpans[0].scopeSpans[0].spans[0];
  expectNormalizeFailure(jsonFile(canonical, (r) => { span(r).trace_id = span(r).traceId; delete span(r).traceId; }), /not lowerCamelCase/);
  expectNormalizeFailure(jsonFile(canonical, (r) => { span(r).traceId = TRACE.toUpperCase(); }), /32 lowercase hex/);
  expectNormalizeFailure(jsonFile(canonical, (r) => { span(r).spanId = 'abcd'; }), /16 lowercase hex/);
  expectNormalizeFailure(jsonFile(canonical, (r) => { span(r).kind = 'SPAN_KIND_CLIENT'; }), /integer enum/);
  expectNormalizeFailure(jsonFile(canonical, (r) => { span(r).startTimeUnixNano = 1767225600; }), /decimal string/);
  expectNormalizeFailure(jsonFile(canonical, (r) => {
    span(r).attributes.find((a) => a.key === 'gen_ai.usage.input_tokens').value = { intValue: 12 };
  }), /intValue must be a decimal string/);
  expectNormalizeFailure(jsonFile(canonical, (r) => { span(r).status = { code: 'STATUS_CODE_ERROR' }; }), /integer enum/);
  expectNormalizeFailure(jsonFile(canonical, (r) => { span(r).attributes.push(span(r).attributes[0]); }), /duplicate attribute/);
  expectNormalizeFailure(jsonFile(canonical, (r) => { span(r).spanID = 'x'; }), /unknown key "spanID"/);
  const noNewline = writeFile(scratch(), 'spans.jsonl', JSON.stringify(jsonRequest(canonical)));
  expectNormalizeFailure(noNewline, /does not end with a newline/);
});

test('protobuf bodies decoded with root.js normalize like OTLP/JSON', () => {
  const canonical = canonicalExport();
  const dir = scratch();
  const body = Request.encode(protoMessage(jsonRequest(canonical))).finish();
  writeFile(dir, '0001.bin', body);
  writeFile(dir, '0001.json', JSON.stringify({
    seq: 1, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' },
    body_file: '0001.bin', response_status: 200,
  }));
  assert.deepStrictEqual(normalize(dir, { protocol: 'http/protobuf' }), canonical);
  assert.throws(() => normalize(dir, { protocol: 'http/json' }), /content-type/);
});

test('protobuf bytes the reference decoder skips are reported, Span.flags is allowed', () => {
  const canonical = canonicalExport();
  const message = protoMessage(jsonRequest({ ...canonical, spans: canonical.spans.slice(0, 1) }));
  const spanBytes = Buffer.from(proto.trace.v1.Span.encode(message.resourceSpans[0].scopeSpans[0].spans[0]).finish());
  // Rebuild ScopeSpans/ResourceSpans/Request around a span with an extra field appended.
  const wrap = (extra) => {
    const span = Buffer.concat([spanBytes, extra]);
    const len = (n) => Buffer.from(protoVarint(n));
    const scope = Buffer.from(proto.common.v1.InstrumentationScope.encode(canonical.scope).finish());
    const scopeSpans = Buffer.concat([Buffer.from([0x0a]), len(scope.length), scope, Buffer.from([0x12]), len(span.length), span]);
    const resource = Buffer.from(proto.resource.v1.Resource.encode(message.resourceSpans[0].resource).finish());
    const resourceSpans = Buffer.concat([Buffer.from([0x0a]), len(resource.length), resource, Buffer.from([0x12]), len(scopeSpans.length), scopeSpans]);
    return Buffer.concat([Buffer.from([0x0a]), len(resourceSpans.length), resourceSpans]);
  };
  const dir = scratch();
  const meta = { seq: 1, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' }, body_file: '0001.bin', response_status: 200 };
  writeFile(dir, '0001.json', JSON.stringify(meta));
  writeFile(dir, '0001.bin', wrap(Buffer.alloc(0)));
  assert.strictEqual(normalize(dir).spans.length, 1);
  writeFile(dir, '0001.bin', wrap(Buffer.from([0x85, 0x01, 0x01, 0x03, 0x00, 0x00]))); // field 16 fixed32 = 0x301
  assert.strictEqual(normalize(dir).spans.length, 1);
  writeFile(dir, '0001.bin', wrap(Buffer.from([0x98, 0x06, 0x01]))); // field 99 varint
  expectNormalizeFailure(dir, /not understood by the reference decoder/);
  writeFile(dir, '0001.bin', wrap(Buffer.alloc(0)).subarray(0, 40));
  expectNormalizeFailure(dir, /decode failed|truncated|index out of range/);
});

// A varint's bytes.
function protoVarint(value) {
  const bytes = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return bytes;
}

test('check.js accepts the export against a matching case (summary destination ignored)', () => {
  const canonical = canonicalExport();
  const result = runCheck(makeCase(canonical), jsonFile(canonical), summaryFor(canonical, { destination: 'elsewhere' }));
  assert.strictEqual(result.stderr, '');
  assert.strictEqual(result.status, 0);
});

test('check.js reports a field difference with the span and field named', () => {
  const canonical = canonicalExport();
  const caseDir = makeCase(canonical);
  const changed = canonicalExport();
  changed.spans[0].attributes['gen_ai.usage.input_tokens'] = 13;
  const result = runCheck(caseDir, jsonFile(changed), summaryFor(changed));
  assert.strictEqual(result.status, 1);
  assert.match(result.stderr, /span 4ee004bcf6ef1b92 "chat gpt-4o-mini"\.attributes\.gen_ai\.usage\.input_tokens: expected 12, got 13/);
});

test('check.js reports a summary difference', () => {
  const canonical = canonicalExport();
  const result = runCheck(makeCase(canonical), jsonFile(canonical), summaryFor(canonical, { items: { total: 3, succeeded: 1, errored: 1, canceled: 0, expired: 0, missing: 1 } }));
  assert.strictEqual(result.status, 1);
  assert.match(result.stderr, /summary\.items\.total: expected 2, got 3/);
});

test('structure checks catch what a wrong expected file would hide', () => {
  const cases = [
    [(c) => { c.spans[1].status = { code: 'UNSET', message: '' }; }, /result "errored" but status/],
    [(c) => { c.spans[0].status = { code: 'OK', message: '' }; }, /succeeded but status/],
    [(c) => { c.spans[0].parentSpanId = ITEM2; }, /is not the task span/],
    [(c) => { c.spans[0].traceId = '0123456789abcdef0123456789abcdef'; }, /2 trace ids/],
    [(c) => { c.spans[0].endTimeUnixNano = '1767225500000000000'; }, /precedes start/],
    [(c) => { c.spans[1].spanId = 'aaaaaaaaaaaaaaaa'; }, /custom_id "req-2"\): expected id 9d9364484a406249/],
    [(c) => { c.spans[2].spanId = '1111111111111111'; c.spans.forEach((s, i) => { if (i < 2) s.parentSpanId = '1111111111111111'; }); }, /task span id 1111111111111111, expected f9d38685df5d3d2d/],
    [(c) => { c.spans.forEach((s) => { s.traceId = '0123456789abcdef0123456789abcdef'; }); }, /expected 4faca1e7e86d5dde832b3825c946d3aa \(derived/],
    [(c) => { c.resource.attributes['telemetry.sdk.language'] = 'cpp'; }, /telemetry.sdk.language: expected "c"/],
    [(c) => { c.spans[2].name = 'batch'; }, /no task span/],
  ];
  for (const [mutate, pattern] of cases) {
    const broken = canonicalExport();
    mutate(broken);
    // The expected file agrees with the broken export: only the structure checks can object.
    const result = runCheck(makeCase(broken), jsonFile(broken), summaryFor(broken));
    assert.strictEqual(result.status, 1, `not caught: ${pattern}`);
    assert.match(result.stderr, pattern);
  }
});

test('a --trace-id argument and a TRACEPARENT env change the expected trace linkage', () => {
  const parentTrace = '0af7651916cd43dd8448eb211c80319c';
  const parentSpan = 'b7ad6b7169203331';
  const linked = canonicalExport();
  linked.spans.forEach((s) => { s.traceId = parentTrace; });
  linked.spans[2].parentSpanId = parentSpan;
  const caseDir = makeCase(linked, { trace_id: parentTrace });
  writeFile(caseDir, 'env', `TRACEPARENT=00-${parentTrace}-${parentSpan}-01\n`);
  assert.strictEqual(runCheck(caseDir, jsonFile(linked), summaryFor(linked, { trace_id: parentTrace })).status, 0);
  // With --trace-id the ambient TRACEPARENT loses: the task must be a root in the given trace.
  writeFile(caseDir, 'args', `--results\nx\n--trace-id\n${parentTrace}\n`);
  const result = runCheck(caseDir, jsonFile(linked), summaryFor(linked, { trace_id: parentTrace }));
  assert.strictEqual(result.status, 1);
  assert.match(result.stderr, /task parentSpanId "b7ad6b7169203331", expected "" \(a root span\)/);
});

test('without a batch id the nonce comes from the custom_ids, including custom-ids', () => {
  // Golden values for provider "anthropic" and custom_ids a, b, c; c is not exported (exit 4).
  const resource = canonicalExport().resource;
  const item = (spanId, customId) => ({
    traceId: 'b203ad3d5afc15eb048d93911a7bc950', spanId, parentSpanId: '16625431816dc418',
    name: 'chat claude-x', kind: 'CLIENT', startTimeUnixNano: START, endTimeUnixNano: END,
    status: { code: 'UNSET', message: '' },
    attributes: {
      'batchtrace.custom_id': customId, 'batchtrace.result': 'succeeded', 'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-x',
    },
  });
  const canonical = { resource, scope: { name: 'batchtrace', version: '0.1.0' }, spans: [item('a79fcab93c7972c2', 'b'), item('b025b02b029d4a89', 'a')] };
  const caseDir = makeCase(canonical);
  writeFile(caseDir, 'expected-exit', '4\n');
  const summary = {
    trace_id: 'b203ad3d5afc15eb048d93911a7bc950', task_span_id: '', spans_exported: 2,
    items: { total: 3, succeeded: 2, errored: 0, canceled: 0, expired: 0, missing: 1 }, exit_code: 4,
  };
  writeFile(caseDir, 'expected-summary.json', JSON.stringify(summary));
  const withoutC = runCheck(caseDir, jsonFile(canonical), summary);
  assert.strictEqual(withoutC.status, 1);
  assert.match(withoutC.stderr, /input digest of 2 custom_id/);
  writeFile(caseDir, 'custom-ids', 'c\n');
  const withC = runCheck(caseDir, jsonFile(canonical), summary);
  assert.strictEqual(withC.stderr, '');
  assert.strictEqual(withC.status, 0);
});

test('--update writes the expected files from the run, temp dir replaced', () => {
  const canonical = canonicalExport();
  const caseDir = scratch();
  writeFile(caseDir, 'args', '--results\nx\n');
  const tmp = scratch();
  const result = runCheck(caseDir, jsonFile(canonical), summaryFor(canonical, { destination: `${tmp}/spans.jsonl` }), ['--update', '--tmp', tmp]);
  assert.strictEqual(result.stderr, '');
  assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(caseDir, 'expected-spans.json'), 'utf8')), canonical.spans);
  const summaryText = fs.readFileSync(path.join(caseDir, 'expected-summary.json'), 'utf8');
  assert.match(summaryText, /^\{\n {2}"trace_id": /);
  assert.strictEqual(JSON.parse(summaryText).destination, '@TMP@/spans.jsonl');
});

// Sends one HTTP request to the sink; resolves to {status, headers, body} or {error}.
function post(port, urlPath, headers, body) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: urlPath, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', (error) => resolve({ error }));
    req.end(body);
  });
}

test('the sink stores gzip and plain bodies and answers per content type and script', async () => {
  const canonical = canonicalExport();
  const store = scratch();
  const sink = spawn(process.execPath, [path.join(__dirname, 'sink.js'), '--dir', store, '--idle-timeout', '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => sink.stdout.once('data', (d) => resolve(Number(String(d).split('\n')[0]))));
  try {
    const pb = Buffer.from(Request.encode(protoMessage(jsonRequest(canonical))).finish());
    const pbAnswer = await post(port, '/v1/traces', { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, zlib.gzipSync(pb));
    assert.strictEqual(pbAnswer.status, 200);
    assert.strictEqual(pbAnswer.headers['content-type'], 'application/x-protobuf');
    assert.strictEqual(pbAnswer.body.length, 0);
    assert.deepStrictEqual(fs.readFileSync(path.join(store, '0001.bin')), pb);
    const meta = JSON.parse(fs.readFileSync(path.join(store, '0001.json'), 'utf8'));
    assert.strictEqual(meta.content_encoding, 'gzip');
    assert.strictEqual(meta.response_status, 200);
    assert.deepStrictEqual(normalize(store, { protocol: 'http/protobuf' }), canonical);

    const jsonStore = path.join(store, 'json');
    const control = spawnSync(process.execPath, [path.join(__dirname, 'sink.js'), '--control', String(port),
      JSON.stringify({ dir: jsonStore, script: [{ status: 503, times: 2 }, { status: 200, partial_success: { rejected_spans: 1, error_message: 'too old' } }] })]);
    assert.strictEqual(control.status, 0);
    const body = JSON.stringify(jsonRequest(canonical));
    const headers = { 'content-type': 'application/json' };
    assert.strictEqual((await post(port, '/v1/traces', headers, body)).status, 503);
    assert.strictEqual((await post(port, '/v1/traces', headers, body)).status, 503);
    const partial = await post(port, '/v1/traces', headers, body);
    assert.strictEqual(partial.status, 200);
    assert.deepStrictEqual(JSON.parse(partial.body), { partialSuccess: { rejectedSpans: '1', errorMessage: 'too old' } });
    const plain = await post(port, '/v1/traces', headers, body);
    assert.strictEqual(String(plain.body), '{}');
    assert.strictEqual((await post(port, '/v2/traces', headers, body)).status, 404);
    // Two accepted requests with the same spans: normalize reports the second export.
    assert.throws(() => normalize(jsonStore, { protocol: 'http/json' }), /exported twice/);

    spawnSync(process.execPath, [path.join(__dirname, 'sink.js'), '--control', String(port),
      JSON.stringify({ script: [{ status: 200, partial_success: { rejected_spans: 2, error_message: 'x' } }, { reset: true }] })]);
    const pbPartial = await post(port, '/v1/traces', { 'content-type': 'application/x-protobuf' }, pb);
    assert.strictEqual(Response.decode(pbPartial.body).partialSuccess.rejectedSpans.toString(), '2');
    assert.ok((await post(port, '/v1/traces', { 'content-type': 'application/x-protobuf' }, pb)).error);
  } finally {
    sink.kill('SIGTERM');
  }
  const code = await new Promise((resolve) => sink.on('exit', resolve));
  assert.strictEqual(code, 0);
});

// Runs the registered tests in order and prints the totals.
async function main() {
  for (const { name, body } of pending) {
    try {
      await body();
      passed++;
    } catch (err) {
      failed++;
      process.stdout.write(`FAIL ${name}: ${err.message}\n`);
    }
  }
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exitCode = failed ? 1 : 0;
}

main();
