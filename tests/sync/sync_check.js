'use strict';
// The oracle of tests/sync/sync.sh: what several runs delivered to the OTLP sink, in total.
//
//   node sync_check.js EXPECTED [--window SPANS] [--trace BATCH_ID=TRACE_ID]... SINK_DIR...
//
// EXPECTED is account.js's expected.json. Checks, over all SINK_DIRs together (decoded with
// the OpenTelemetry JS project's generated code, tests/oracle/normalize.js), that
//   - every expected (batch id, custom_id) arrived as an item span, and the task span of
//     every expected batch arrived;
//   - nothing else arrived (no batch still running, no unknown item);
//   - each arrived exactly once; with --window, spans sent again with the same span id
//     (the at-least-once window of a killed run) are allowed up to SPANS in all;
//   - items of a batch with inputs carry their request (gen_ai.request.model), the others
//     are marked batchtrace.input_missing;
//   - with --trace, that batch's spans are in that trace (the trace `start` opened).
// Prints "ok", or the problems (one per line), then "spans N duplicates N".

const { readSinkDirectory } = require('../oracle/normalize');
const fs = require('fs');

function attribute(span, key) {
  const kv = span.attributes.find((a) => a.key === key);
  return kv ? kv.value.value : undefined;
}

function main(argv) {
  const expected = JSON.parse(fs.readFileSync(argv[0], 'utf8'));
  let window = 0;
  const traces = {};
  const dirs = [];
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--window') window = Number(argv[++i]);
    else if (argv[i] === '--trace') {
      const [batch, trace] = argv[++i].split('=');
      traces[batch] = trace;
    } else dirs.push(argv[i]);
  }
  const problems = [];
  const items = new Map(); // "batch\0custom_id" -> [span]
  const tasks = new Map(); // batch -> [span]
  let spanCount = 0;
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const { request } of readSinkDirectory(dir)) {
      for (const rs of request.resourceSpans) {
        for (const ss of rs.scopeSpans) {
          for (const span of ss.spans) {
            spanCount++;
            const batch = attribute(span, 'batchtrace.batch.id');
            if (span.name.endsWith('.batch.submit')) continue;
            if (span.name === 'openai.batch' || span.name === 'anthropic.batch') {
              if (!tasks.has(batch)) tasks.set(batch, []);
              tasks.get(batch).push(span);
              continue;
            }
            const key = `${batch}\0${attribute(span, 'batchtrace.custom_id')}`;
            if (!items.has(key)) items.set(key, []);
            items.get(key).push(span);
          }
        }
      }
    }
  }
  let duplicates = 0;
  const seenKeys = new Set();
  for (const [batch, want] of Object.entries(expected)) {
    const taskSpans = tasks.get(batch) || [];
    if (taskSpans.length === 0) problems.push(`${batch}: the task span never arrived`);
    const missing = [];
    for (const id of want.custom_ids) {
      const key = `${batch}\0${id}`;
      seenKeys.add(key);
      const spans = items.get(key) || [];
      if (spans.length === 0) {
        missing.push(id);
        continue;
      }
      const span = spans[0];
      if (want.inputs && attribute(span, 'gen_ai.request.model') === undefined) {
        problems.push(`${batch} ${id}: no request (gen_ai.request.model) although the inputs were available`);
      }
      if (!want.inputs && attribute(span, 'batchtrace.input_missing') !== true) {
        problems.push(`${batch} ${id}: not marked batchtrace.input_missing`);
      }
      if (traces[batch] && span.traceId !== traces[batch]) {
        problems.push(`${batch} ${id}: in trace ${span.traceId}, not the submitting trace ${traces[batch]}`);
      }
    }
    if (missing.length) problems.push(`${batch}: ${missing.length} items never arrived: ${missing.slice(0, 5).join(', ')}`);
    for (const spans of [taskSpans, ...want.custom_ids.map((id) => items.get(`${batch}\0${id}`) || [])]) {
      if (spans.length < 2) continue;
      const ids = new Set(spans.map((s) => s.spanId));
      if (ids.size !== 1) problems.push(`${batch}: one item arrived under ${ids.size} different span ids`);
      if (spans.length - 1 + duplicates > window) problems.push(`${batch}: ${spans[0].name} ${attribute(spans[0], 'batchtrace.custom_id') || ''} arrived ${spans.length} times`);
      duplicates += spans.length - 1;
    }
  }
  for (const batch of tasks.keys()) {
    if (!expected[batch]) problems.push(`${batch}: a task span arrived for a batch that should not be collected`);
  }
  for (const [key, spans] of items) {
    if (!seenKeys.has(key)) problems.push(`unexpected item span ${key.replace('\0', ' ')} (${spans.length}x)`);
  }
  if (duplicates > window) {
    problems.push(`${duplicates} spans arrived more than once (allowed: ${window})`);
  }
  console.log(problems.length ? problems.slice(0, 30).join('\n') : 'ok');
  console.log(`spans ${spanCount} duplicates ${duplicates}`);
  process.exitCode = problems.length ? 1 : 0;
}

main(process.argv.slice(2));
