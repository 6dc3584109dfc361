'use strict';
// The oracle of tests/cli/crash.sh: what several runs (some killed) delivered in total.
//
//   node crash_check.js ITEMS WINDOW_REQUESTS INPUT...
//
// INPUT is a sink directory (one per run, in order) or an OTLP/JSON lines file (a last line
// cut short, written by a run that was killed, was never delivered: it is left out). Checks
// that
//   - each INPUT alone is a valid export with no span id twice (normalize.js: a run never
//     sends one span twice);
//   - together they hold one trace, the task span `openai.batch`, and an item span for
//     every custom_id req-00001 .. req-ITEMS (at least once);
//   - spans received by more than one INPUT (duplicates across runs) are few enough to
//     have been in flight at a kill: at most WINDOW_REQUESTS times the largest number of
//     spans one accepted request carried.
// Prints "ok", or the problems (one per line), and then a line "duplicates N" either way.

const { normalize, readSinkDirectory, readJsonLinesFile } = require('../oracle/normalize');
const fs = require('fs');

// The span count of the largest request in INPUT.
function largestRequest(input) {
  if (!fs.existsSync(input)) return 0;
  const requests = fs.statSync(input).isDirectory() ? readSinkDirectory(input) : readJsonLinesFile(input);
  let largest = 0;
  for (const { request } of requests) {
    let count = 0;
    for (const rs of request.resourceSpans) for (const ss of rs.scopeSpans) count += ss.spans.length;
    largest = Math.max(largest, count);
  }
  return largest;
}

// INPUT itself, or for a file whose last line was cut short, a copy without it.
function whole(input) {
  if (!fs.existsSync(input) || fs.statSync(input).isDirectory()) return input;
  const text = fs.readFileSync(input, 'utf8');
  if (text === '' || text.endsWith('\n')) return input;
  fs.writeFileSync(`${input}.whole`, text.slice(0, text.lastIndexOf('\n') + 1));
  return `${input}.whole`;
}

function main([items, windowRequests, ...given]) {
  const inputs = given.map(whole);
  const problems = [];
  const seen = new Map(); // span id -> number of inputs holding it
  const customIds = new Set();
  const traces = new Set();
  let tasks = 0;
  let largest = 0;
  for (const input of inputs) {
    let spans;
    try {
      spans = normalize(input, { missingOk: true }).spans || [];
    } catch (err) {
      problems.push(`${input}: ${err.message}`);
      continue;
    }
    largest = Math.max(largest, largestRequest(input));
    for (const span of spans) {
      seen.set(span.spanId, (seen.get(span.spanId) || 0) + 1);
      traces.add(span.traceId);
      if (span.name === 'openai.batch') tasks++;
      const id = span.attributes['batchtrace.custom_id'];
      if (typeof id === 'string' && span.name !== 'openai.batch') customIds.add(id);
    }
  }
  if (tasks === 0) problems.push('the task span never arrived');
  const missing = [];
  for (let i = 1; i <= Number(items); i++) {
    const id = `req-${String(i).padStart(5, '0')}`;
    if (!customIds.has(id)) missing.push(id);
  }
  if (missing.length) problems.push(`${missing.length} items never arrived: ${missing.slice(0, 10).join(', ')}`);
  if (customIds.size > Number(items)) problems.push(`${customIds.size} distinct custom_ids, expected ${items}`);
  if (traces.size !== 1) problems.push(`${traces.size} traces, expected 1`);
  let duplicates = 0;
  for (const count of seen.values()) duplicates += count - 1;
  const window = Number(windowRequests) * largest;
  if (duplicates > window) problems.push(`${duplicates} spans arrived twice, more than the window (${windowRequests} requests of up to ${largest} spans)`);
  console.log(problems.length ? problems.join('\n') : 'ok');
  console.log(`duplicates ${duplicates}`);
}

main(process.argv.slice(2));
