'use strict';
// Queries for tests/cli/lifecycle.sh over what the oracle's sink stored (or a file exporter
// wrote). Each prints its answer on stdout; exit 1 with a message on an oracle error.
//
//   node lifecycle_check.js tree INPUT TRACEPARENT PROVIDER ITEMS
//       checks the collect side of a batch started under TRACEPARENT: exactly one task span
//       `{PROVIDER}.batch` whose parent is TRACEPARENT's span, ITEMS item spans each a child
//       of the task and carrying gen_ai.input.messages, one trace (TRACEPARENT's); prints
//       "ok" or the first problems, one per line
//   node lifecycle_check.js submit INPUT TRACEPARENT PROVIDER
//       the same for the submit span: one span `{PROVIDER}.batch.submit`, INTERNAL, child of
//       TRACEPARENT's span, in its trace; prints "ok" or the problems
//   node lifecycle_check.js ids INPUT        "SPAN_ID NAME" per span, sorted (none: nothing)
//   node lifecycle_check.js traces INPUT     the distinct trace ids, one per line
//   node lifecycle_check.js attr INPUT NAME KEY   the values of attribute KEY on the spans
//                                                 named NAME, sorted, one per line
//   node lifecycle_check.js ending INPUT NAME   "STATUS_CODE STATUS_MESSAGE END_NANOS" of the
//                                               spans named NAME, sorted, one per line
//   node lifecycle_check.js derived-trace PROVIDER BATCH_ID
//       the trace id collect-only derives from a batch id (docs/design.md "Identities")
// INPUT is a sink directory or an OTLP/JSON lines file; a span id received twice is an
// error (normalize.js), so every query also proves each span arrived once.

const crypto = require('crypto');
const fs = require('fs');
const { normalize } = require('../oracle/normalize');

// The canonical spans of INPUT ([] when it does not exist: nothing was sent).
function spans(input) {
  if (!fs.existsSync(input)) return [];
  return normalize(input, { missingOk: true }).spans || [];
}

// Problems of the collect side of a started batch.
function tree(input, traceparent, provider, items) {
  const [, traceId, parentSpanId] = traceparent.split('-');
  const all = spans(input);
  const problems = [];
  const tasks = all.filter((s) => s.name === `${provider}.batch`);
  if (tasks.length !== 1) return [`${tasks.length} task spans, expected 1`];
  const task = tasks[0];
  if (task.parentSpanId !== parentSpanId) problems.push(`task parent ${task.parentSpanId}, expected ${parentSpanId}`);
  const children = all.filter((s) => s !== task);
  if (children.length !== Number(items)) problems.push(`${children.length} item spans, expected ${items}`);
  for (const s of all) {
    if (s.traceId !== traceId) problems.push(`span ${s.spanId} in trace ${s.traceId}, expected ${traceId}`);
  }
  for (const s of children) {
    if (s.parentSpanId !== task.spanId) problems.push(`item ${s.spanId} parent ${s.parentSpanId}, expected the task ${task.spanId}`);
    if (s.kind !== 'CLIENT') problems.push(`item ${s.spanId} kind ${s.kind}`);
    if (typeof s.attributes['gen_ai.input.messages'] !== 'string') problems.push(`item ${s.spanId} has no gen_ai.input.messages`);
  }
  return problems;
}

// Problems of the submit span.
function submit(input, traceparent, provider) {
  const [, traceId, parentSpanId] = traceparent.split('-');
  const all = spans(input);
  if (all.length !== 1) return [`${all.length} spans, expected the submit span alone`];
  const s = all[0];
  const problems = [];
  if (s.name !== `${provider}.batch.submit`) problems.push(`name ${s.name}`);
  if (s.kind !== 'INTERNAL') problems.push(`kind ${s.kind}`);
  if (s.traceId !== traceId) problems.push(`trace ${s.traceId}, expected ${traceId}`);
  if (s.parentSpanId !== parentSpanId) problems.push(`parent ${s.parentSpanId}, expected ${parentSpanId}`);
  return problems;
}

// SHA-256 of the concatenated buffers.
function sha256(...parts) {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function main(args) {
  const [command, ...rest] = args;
  switch (command) {
    case 'tree': {
      const problems = tree(...rest);
      return problems.length ? problems.slice(0, 5).join('\n') : 'ok';
    }
    case 'submit': {
      const problems = submit(...rest);
      return problems.length ? problems.join('\n') : 'ok';
    }
    case 'ids':
      return spans(rest[0]).map((s) => `${s.spanId} ${s.name}`).sort().join('\n');
    case 'traces':
      return [...new Set(spans(rest[0]).map((s) => s.traceId))].sort().join('\n');
    case 'attr':
      return spans(rest[0]).filter((s) => s.name === rest[1])
        .map((s) => JSON.stringify(s.attributes[rest[2]])).sort().join('\n');
    case 'ending':
      return spans(rest[0]).filter((s) => s.name === rest[1])
        .map((s) => `${s.status.code} ${s.status.message} ${s.endTimeUnixNano}`).sort().join('\n');
    case 'derived-trace': {
      const [provider, batchId] = rest;
      const nonce = sha256(Buffer.from(`batchtrace.nonce\0${provider}\0batch\0${batchId}`)).subarray(0, 16);
      return sha256(nonce, Buffer.from('trace')).subarray(0, 16).toString('hex');
    }
    default:
      throw new Error(`lifecycle_check: unknown query ${command}`);
  }
}

try {
  const out = main(process.argv.slice(2));
  if (out !== '') console.log(out);
} catch (error) {
  console.error(`lifecycle_check: ${error.message}`);
  process.exit(1);
}
