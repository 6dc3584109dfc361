'use strict';
// The oracle of tests/proxy/proxy.sh: what `batchtrace proxy` delivered to the OTLP sink,
// decoded with the OpenTelemetry JS project's generated code (tests/oracle/normalize.js).
//
//   node check.js EXPECTED SINK_DIR...
//
// EXPECTED: {BATCH_ID: {provider, trace_id, parent_span_id, model, items: {CUSTOM_ID:
// RESULT}}}, RESULT being batchtrace.result ("succeeded", "errored", "canceled", "expired").
// Checks, over all SINK_DIRs together, for each batch:
//   - one {provider}.batch.submit span, in trace_id under parent_span_id (the traceparent
//     the client sent with its submit call);
//   - one task span ({provider}.batch) in that trace;
//   - one item span per custom_id, no other: in that trace, under the task span, with its
//     request (gen_ai.request.model = model, gen_ai.input.messages), its result; a
//     succeeded one with its output (gen_ai.output.messages naming "echo: CUSTOM_ID") and
//     tokens (gen_ai.usage.input_tokens/output_tokens) and status unset; a failed one with
//     status ERROR;
//   - every span exactly once.
// Prints "ok" or the problems, then "spans N".
const fs = require('fs');
const { readSinkDirectory } = require('../oracle/normalize');

function attribute(span, key) {
  const kv = span.attributes.find((a) => a.key === key);
  return kv ? kv.value.value : undefined;
}

function main(argv) {
  const expected = JSON.parse(fs.readFileSync(argv[0], 'utf8'));
  const spans = [];
  for (const dir of argv.slice(1)) {
    if (!fs.existsSync(dir)) continue;
    for (const { request } of readSinkDirectory(dir)) {
      for (const rs of request.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
    }
  }
  const problems = [];
  const seen = new Set();
  for (const span of spans) {
    const key = `${span.traceId}/${span.spanId}`;
    if (seen.has(key)) problems.push(`span ${span.name} ${attribute(span, 'batchtrace.custom_id') || ''} arrived more than once`);
    seen.add(key);
  }
  for (const [batchId, want] of Object.entries(expected)) {
    const mine = spans.filter((s) => attribute(s, 'batchtrace.batch.id') === batchId);
    const submit = mine.filter((s) => s.name === `${want.provider}.batch.submit`);
    const task = mine.filter((s) => s.name === `${want.provider}.batch`);
    if (submit.length !== 1) problems.push(`${batchId}: ${submit.length} submit spans, expected 1`);
    if (task.length !== 1) problems.push(`${batchId}: ${task.length} task spans, expected 1`);
    for (const s of [...submit, ...task]) {
      if (s.traceId !== want.trace_id) problems.push(`${batchId}: ${s.name} in trace ${s.traceId}, not ${want.trace_id}`);
    }
    if (submit[0] && submit[0].parentSpanId !== want.parent_span_id) {
      problems.push(`${batchId}: the submit span's parent is ${submit[0].parentSpanId}, not the traceparent's ${want.parent_span_id}`);
    }
    const items = mine.filter((s) => s !== submit[0] && !task.includes(s) && !submit.includes(s));
    const byId = new Map();
    for (const s of items) {
      const id = attribute(s, 'batchtrace.custom_id');
      if (!byId.has(id)) byId.set(id, []);
      byId.get(id).push(s);
    }
    for (const [id, result] of Object.entries(want.items)) {
      const found = byId.get(id) || [];
      if (found.length !== 1) {
        problems.push(`${batchId} ${id}: ${found.length} item spans, expected 1`);
        continue;
      }
      const s = found[0];
      const got = attribute(s, 'batchtrace.result');
      if (got !== result) problems.push(`${batchId} ${id}: batchtrace.result ${got}, expected ${result}`);
      if (s.traceId !== want.trace_id) problems.push(`${batchId} ${id}: in trace ${s.traceId}, not the submit trace ${want.trace_id}`);
      if (task[0] && s.parentSpanId !== task[0].spanId) problems.push(`${batchId} ${id}: not under the task span`);
      if (attribute(s, 'gen_ai.request.model') !== want.model) problems.push(`${batchId} ${id}: gen_ai.request.model ${attribute(s, 'gen_ai.request.model')}, expected ${want.model} (the request)`);
      const input = attribute(s, 'gen_ai.input.messages') || '';
      if (!input.includes(id)) problems.push(`${batchId} ${id}: gen_ai.input.messages does not hold the request's text`);
      const failed = s.status && s.status.code === 2;
      if (result === 'succeeded') {
        const output = attribute(s, 'gen_ai.output.messages') || '';
        if (!output.includes(`echo: ${id}`)) problems.push(`${batchId} ${id}: gen_ai.output.messages lacks the output`);
        const input_tokens = Number(attribute(s, 'gen_ai.usage.input_tokens'));
        const output_tokens = Number(attribute(s, 'gen_ai.usage.output_tokens'));
        const wantIn = want.provider === 'openai' ? 9 : 12;
        if (input_tokens !== wantIn || output_tokens !== 3) problems.push(`${batchId} ${id}: tokens ${input_tokens}+${output_tokens}, expected ${wantIn}+3`);
        if (failed) problems.push(`${batchId} ${id}: status ERROR on a succeeded item`);
      } else if (!failed) {
        problems.push(`${batchId} ${id}: status is not ERROR on a ${result} item`);
      }
    }
    for (const id of byId.keys()) if (!(id in want.items)) problems.push(`${batchId}: unexpected item span ${id}`);
  }
  const known = new Set(Object.keys(expected));
  for (const s of spans) {
    const batchId = attribute(s, 'batchtrace.batch.id');
    if (!known.has(batchId)) problems.push(`unexpected span ${s.name} of batch ${batchId}`);
  }
  console.log(problems.length ? problems.slice(0, 30).join('\n') : 'ok');
  console.log(`spans ${spans.length}`);
  process.exitCode = problems.length ? 1 : 0;
}

main(process.argv.slice(2));
