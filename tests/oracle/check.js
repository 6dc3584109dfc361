'use strict';
// Checks one run of `batchtrace collect` against a CLI test case (docs/design.md, "CLI test
// cases" and "Identities"):
//   (a) the canonical spans deep-equal the case's expected-spans.json, and the --json summary
//       (stdout) deep-equals expected-summary.json, `destination` ignored;
//   (b) structure checks that do not trust the expected files: one task span or none as the
//       exit code implies, parent links, one trace id, end >= start, status vs
//       batchtrace.result, resource and scope;
//   (c) the ids recomputed with SHA-256 from the formulas in docs/design.md, and the summary's
//       ids and counts against the spans.
//
//   node check.js --case DIR --input FILE|DIR [--protocol P] [--missing-ok]
//                 --exit CODE --summary FILE [--args FILE] [--tmp DIR]
//                 [--canonical-out FILE] [--label TEXT] [--failures-out FILE] [--update]
//   node check.js --jobs FILE    (several runs, see main)
//
// --args is the file of arguments actually passed (one per line, @TMP@ already replaced;
// default: the case's args). With --update the expected files are written from this run
// first (expected-spans.json; expected-summary.json, or removed when stdout was empty), then
// every check runs. Exit 0 when all checks pass, 1 with the failures on stderr.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { normalize, OracleError } = require('./normalize');

const MAX_REPORTED = 12;
const RESULTS = ['succeeded', 'errored', 'canceled', 'expired', 'missing'];
// What Braintrust's own SDKs name the span of a call, by provider and endpoint (see
// docs/conventions.md); the braintrust convention names item spans so.
const BRAINTRUST_SDK_NAMES = {
  'anthropic /v1/messages': 'anthropic.messages.create',
  'openai /v1/chat/completions': 'Chat Completion',
  'openai /v1/responses': 'openai.responses.create',
  'openai /v1/embeddings': 'Embedding',
};

// Parses the command line (see the header).
function parseArgs(argv) {
  const options = { update: false, missingOk: false, label: '' };
  const valued = {
    '--case': 'caseDir', '--input': 'input', '--protocol': 'protocol', '--exit': 'exit',
    '--summary': 'summary', '--args': 'args', '--tmp': 'tmp', '--canonical-out': 'canonicalOut',
    '--label': 'label', '--failures-out': 'failuresOut',
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--update') options.update = true;
    else if (argv[i] === '--missing-ok') options.missingOk = true;
    else if (valued[argv[i]] && i + 1 < argv.length) options[valued[argv[i]]] = argv[++i];
    else throw new Error(`check.js: bad argument ${argv[i]}`);
  }
  for (const required of ['caseDir', 'input', 'exit', 'summary']) {
    if (options[required] === undefined) throw new Error(`check.js: --${required} is required`);
  }
  options.exit = Number(options.exit);
  return options;
}

// Reads a case's optional text file as lines (without blank lines); absent -> [].
function readLines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
}

// The case's environment additions: {KEY: VALUE} from its `env` file.
function readCaseEnv(caseDir) {
  const env = {};
  for (const line of readLines(path.join(caseDir, 'env'))) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

// The value following flag in args (the last occurrence, `--flag=value` too), or undefined.
function flagValue(args, flag) {
  let value;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag && i + 1 < args.length) value = args[i + 1];
    else if (args[i].startsWith(`${flag}=`)) value = args[i].slice(flag.length + 1);
  }
  return value;
}

// ---------------------------- readable diffs -------------------------------------------

// Short JSON for messages.
function show(value) {
  const text = JSON.stringify(value);
  return text === undefined ? 'absent' : text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

// JSON text with object keys sorted at every level (key order does not matter to equality).
function sortedJson(value) {
  return JSON.stringify(value, (key, v) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
    : v));
}

// Appends to out the differences between expected and actual as "path: expected X, got Y".
function diffValues(expected, actual, where, out) {
  if (sortedJson(expected) === sortedJson(actual)) return;
  const bothObjects = expected && actual && typeof expected === 'object' && typeof actual === 'object' &&
    Array.isArray(expected) === Array.isArray(actual);
  if (!bothObjects) {
    out.push(`${where}: expected ${show(expected)}, got ${show(actual)}`);
    return;
  }
  if (Array.isArray(expected)) {
    if (expected.length !== actual.length) {
      out.push(`${where}: expected ${expected.length} elements, got ${actual.length}: expected ${show(expected)}, got ${show(actual)}`);
      return;
    }
    expected.forEach((e, i) => diffValues(e, actual[i], `${where}[${i}]`, out));
    return;
  }
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
  for (const key of keys) diffValues(expected[key], actual[key], where ? `${where}.${key}` : key, out);
}

// Attribute strings longer than this are kept in expected-spans.json as their SHA-256 and
// byte length, so a case with a multi-megabyte output does not commit megabytes; the value
// is still checked whole, byte for byte, through its digest.
const DIGEST_OVER_BYTES = 65536;

// A copy of spans with every attribute string over DIGEST_OVER_BYTES replaced by
// {"sha256": hex, "bytes": n}.
function digestLargeStrings(spans) {
  return spans.map((span) => {
    const attributes = {};
    for (const [key, value] of Object.entries(span.attributes)) {
      const bytes = typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0;
      attributes[key] = bytes > DIGEST_OVER_BYTES
        ? { sha256: crypto.createHash('sha256').update(value, 'utf8').digest('hex'), bytes }
        : value;
    }
    return { ...span, attributes };
  });
}

// Differences between two span lists, matched by span id: [message].
function diffSpans(expected, actual) {
  const out = [];
  const actualById = new Map(actual.map((s) => [s.spanId, s]));
  const expectedIds = new Set(expected.map((s) => s.spanId));
  for (const span of expected) {
    const label = `span ${span.spanId} "${span.name}"`;
    if (!actualById.has(span.spanId)) out.push(`${label}: expected, not exported`);
    else diffValues(span, actualById.get(span.spanId), label, out);
  }
  for (const span of actual) {
    if (!expectedIds.has(span.spanId)) out.push(`span ${span.spanId} "${span.name}": exported, not expected`);
  }
  const expectedOrder = expected.map((s) => s.spanId).join(',');
  if (out.length === 0 && expectedOrder !== actual.map((s) => s.spanId).join(',')) {
    out.push(`span order differs: expected ${expectedOrder}`);
  }
  return out;
}

// A copy of a summary with the case's temporary directory written as @TMP@ (as the expected
// files hold it: paths of generated inputs appear in diagnostics).
function withTmpToken(summary, tmp) {
  if (!tmp || !summary || typeof summary !== 'object') return summary;
  const escaped = JSON.stringify(tmp).slice(1, -1);
  return JSON.parse(JSON.stringify(summary).split(escaped).join('@TMP@'));
}

// A copy of a summary without its `destination`.
function withoutDestination(summary) {
  if (!summary || typeof summary !== 'object') return summary;
  const copy = { ...summary };
  delete copy.destination;
  return copy;
}

// ---------------------------- identities -----------------------------------------------

// SHA-256 of the concatenated parts (strings as UTF-8, Buffers as is).
function sha256(...parts) {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
  return hash.digest();
}

// The input digest: SHA-256 over the sorted (bytewise), de-duplicated custom_ids, each + "\n".
function inputDigest(customIds) {
  const unique = [...new Set(customIds)].map((id) => Buffer.from(id, 'utf8')).sort(Buffer.compare);
  return sha256(...unique.flatMap((id) => [id, '\n']));
}

// The 16-byte nonce from a batch id, else from the input digest.
function nonceFor(provider, batchId, customIds) {
  if (batchId !== undefined) return sha256('batchtrace.nonce\0', provider, '\0batch\0', batchId).subarray(0, 16);
  return sha256('batchtrace.nonce\0', provider, '\0inputs\0', inputDigest(customIds)).subarray(0, 16);
}

// A span id (hex) for role and custom_id; an all-zero id gets its last byte set to 1.
function spanIdFor(nonce, role, customId) {
  const id = Buffer.from(sha256(nonce, role, '\0', customId).subarray(0, 8));
  if (id.every((b) => b === 0)) id[7] = 1;
  return id.toString('hex');
}

// Parses a W3C traceparent: {traceId, spanId} or null when malformed.
function parseTraceparent(text) {
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec((text || '').trim());
  if (!match || match[1] === 'ff' || /^0+$/.test(match[2]) || /^0+$/.test(match[3])) return null;
  return { traceId: match[2], spanId: match[3] };
}

// ---------------------------- structure checks -----------------------------------------

// Parses OTEL_RESOURCE_ATTRIBUTES (key=value pairs, comma separated, percent-encoded).
function parseResourceAttributes(text) {
  const out = {};
  for (const pair of (text || '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    out[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return out;
}

// The value of attribute key shared by all spans that carry it (failing on disagreement).
function sharedAttribute(spans, key, failures) {
  const values = [...new Set(spans.map((s) => s.attributes[key]).filter((v) => v !== undefined))];
  if (values.length > 1) failures.push(`spans disagree on ${key}: ${show(values)}`);
  return values[0];
}

// Checks the resource and scope of a non-empty export (SPEC section 5).
function checkResource(canonical, env, failures) {
  const attributes = canonical.resource.attributes;
  const fromEnv = parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES);
  const serviceName = env.OTEL_SERVICE_NAME || fromEnv['service.name'] || 'batchtrace';
  const expected = {};
  for (const [key, value] of Object.entries(fromEnv)) {
    if (!key.startsWith('telemetry.sdk.')) expected[key] = value;
  }
  Object.assign(expected, { 'service.name': serviceName, 'telemetry.sdk.name': 'batchtrace', 'telemetry.sdk.language': 'c' });
  for (const [key, want] of Object.entries(expected)) {
    if (attributes[key] !== want) failures.push(`resource ${key}: expected ${show(want)}, got ${show(attributes[key])}`);
  }
  const version = attributes['telemetry.sdk.version'];
  if (typeof version !== 'string' || version === '') failures.push(`resource telemetry.sdk.version missing or empty: ${show(version)}`);
  if (canonical.scope.name !== 'batchtrace') failures.push(`scope name: expected "batchtrace", got ${show(canonical.scope.name)}`);
  if (canonical.scope.version !== version) {
    failures.push(`scope version ${show(canonical.scope.version)} differs from telemetry.sdk.version ${show(version)}`);
  }
}

// Runs the structure and identity checks (b) and (c); returns [message].
function checkStructure(canonical, context) {
  const failures = [];
  const spans = canonical.spans;
  const { exitCode, args, env, customIdsFile } = context;
  if (exitCode === 1 || exitCode === 2) {
    if (spans.length) failures.push(`exit ${exitCode} but ${spans.length} span(s) exported`);
    return failures;
  }
  if (spans.length === 0) {
    if (exitCode !== 4 && exitCode !== 5) failures.push(`exit ${exitCode} but no span exported`);
    return failures;
  }
  checkResource(canonical, env, failures);

  const tasks = spans.filter((s) => s.name.endsWith('.batch'));
  const items = spans.filter((s) => !s.name.endsWith('.batch'));
  const expectTask = exitCode === 0 || exitCode === 3;
  if (tasks.length > 1) failures.push(`${tasks.length} task spans (*.batch): ${tasks.map((t) => t.spanId).join(', ')}`);
  if (expectTask && tasks.length === 0) failures.push(`exit ${exitCode} (done) but no task span (*.batch) exported`);
  if (exitCode === 4 && tasks.length) failures.push('exit 4 (incomplete) but the task span was exported');
  const task = tasks[0];

  const traceIds = [...new Set(spans.map((s) => s.traceId))];
  if (traceIds.length !== 1) failures.push(`spans carry ${traceIds.length} trace ids: ${traceIds.join(', ')}`);
  for (const span of spans) {
    if (BigInt(span.endTimeUnixNano) < BigInt(span.startTimeUnixNano)) {
      failures.push(`span ${span.spanId} "${span.name}": end ${span.endTimeUnixNano} precedes start ${span.startTimeUnixNano}`);
    }
    if (span.startTimeUnixNano === '0') failures.push(`span ${span.spanId} "${span.name}": start time is 0`);
  }

  const provider = sharedAttribute(spans, 'gen_ai.provider.name', failures);
  const batchId = sharedAttribute(spans, 'batchtrace.batch.id', failures);
  if (typeof provider !== 'string') failures.push('no span carries gen_ai.provider.name');

  if (task) {
    if (task.name !== `${provider}.batch`) failures.push(`task name ${show(task.name)}, expected "${provider}.batch"`);
    if (task.kind !== 'INTERNAL') failures.push(`task kind ${task.kind}, expected INTERNAL`);
  }
  for (const item of items) {
    const label = `item span ${item.spanId} "${item.name}"`;
    const a = item.attributes;
    const result = a['batchtrace.result'];
    if (!RESULTS.includes(result)) failures.push(`${label}: batchtrace.result ${show(result)} is not one of ${RESULTS.join('|')}`);
    if (typeof a['batchtrace.custom_id'] !== 'string') failures.push(`${label}: no batchtrace.custom_id`);
    if (item.kind !== 'CLIENT') failures.push(`${label}: kind ${item.kind}, expected CLIENT`);
    const operation = a['gen_ai.operation.name'];
    // `{operation} {request model}`; without a request (no input), the response model or none.
    // The braintrust convention names the span as Braintrust's SDK names the same call.
    const model = a['gen_ai.request.model'];
    const wantNames = model !== undefined ? [`${operation} ${model}`]
      : [operation, ...(a['gen_ai.response.model'] !== undefined ? [`${operation} ${a['gen_ai.response.model']}`] : [])];
    if (a['braintrust.span_attributes'] !== undefined) {
      const sdkName = BRAINTRUST_SDK_NAMES[`${provider} ${a['batchtrace.endpoint'] ?? ''}`];
      if (sdkName !== undefined) wantNames.splice(0, wantNames.length, sdkName);
    }
    if (!wantNames.includes(item.name)) {
      failures.push(`${label}: name should be ${wantNames.map(show).join(' or ')} (operation and model, or Braintrust's SDK name)`);
    }
    if (result === 'succeeded') {
      if (item.status.code !== 'UNSET' || item.status.message !== '') {
        failures.push(`${label}: succeeded but status ${show(item.status)}, expected UNSET without message`);
      }
    } else {
      if (item.status.code !== 'ERROR' || item.status.message === '') {
        failures.push(`${label}: result ${show(result)} but status ${show(item.status)}, expected ERROR with a message`);
      }
      if (typeof a['error.type'] !== 'string' || a['error.type'] === '') failures.push(`${label}: result ${show(result)} without error.type`);
    }
    if (task && item.startTimeUnixNano !== task.startTimeUnixNano) {
      failures.push(`${label}: start ${item.startTimeUnixNano} differs from the task start ${task.startTimeUnixNano}`);
    }
    if (task && item.parentSpanId !== task.spanId) {
      failures.push(`${label}: parentSpanId ${show(item.parentSpanId)} is not the task span ${task.spanId}`);
    }
  }

  // Trace linking (docs/design.md "Identities"): --trace-id beats TRACEPARENT; --parent beats it too.
  const traceIdFlag = flagValue(args, '--trace-id');
  const parent = parseTraceparent(flagValue(args, '--parent')) || (traceIdFlag === undefined ? parseTraceparent(env.TRACEPARENT) : null);
  const wantTaskParent = parent ? parent.spanId : '';
  if (task && task.parentSpanId !== wantTaskParent) {
    failures.push(`task parentSpanId ${show(task.parentSpanId)}, expected ${show(wantTaskParent)}${parent ? ' (the parent context)' : ' (a root span)'}`);
  }

  // Identities: skipped when the nonce comes from a context token or the store.
  const nonceKnown = flagValue(args, '--context') === undefined && flagValue(args, '--batch-id') === undefined;
  if (nonceKnown && typeof provider === 'string') {
    const customIds = items
      .filter((s) => s.attributes['batchtrace.input_missing'] !== true)
      .map((s) => s.attributes['batchtrace.custom_id'])
      .filter((id) => typeof id === 'string')
      .concat(readLines(customIdsFile));
    const nonce = nonceFor(provider, batchId, customIds);
    const uniqueIds = [...new Set(customIds)].sort();
    const basis = batchId !== undefined ? `batch id ${show(batchId)}`
      : `input digest of ${uniqueIds.length} custom_id(s): ${show(uniqueIds)}`;
    const taskId = spanIdFor(nonce, 'task', '');
    if (task && task.spanId !== taskId) failures.push(`task span id ${task.spanId}, expected ${taskId} (nonce from ${basis})`);
    for (const item of items) {
      const customId = item.attributes['batchtrace.custom_id'];
      if (typeof customId !== 'string') continue;
      const want = spanIdFor(nonce, 'item', customId);
      if (item.spanId !== want) failures.push(`item span ${item.spanId} (custom_id ${show(customId)}): expected id ${want} (nonce from ${basis})`);
      if (item.parentSpanId !== taskId) failures.push(`item span ${item.spanId}: parentSpanId ${show(item.parentSpanId)}, expected the task id ${taskId}`);
    }
    const wantTrace = parent ? parent.traceId : traceIdFlag !== undefined ? traceIdFlag.toLowerCase() : sha256(nonce, 'trace').subarray(0, 16).toString('hex');
    if (traceIds.length === 1 && traceIds[0] !== wantTrace) {
      const why = parent ? 'the parent context' : traceIdFlag !== undefined ? '--trace-id' : `derived, nonce from ${basis}`;
      failures.push(`trace id ${traceIds[0]}, expected ${wantTrace} (${why})`);
    }
  }
  return failures;
}

// Cross-checks the --json summary against the spans; returns [message].
function checkSummary(summary, canonical, exitCode) {
  const failures = [];
  if (summary === null) return failures;
  if (summary.exit_code !== exitCode) failures.push(`summary exit_code ${show(summary.exit_code)} but the process exited ${exitCode}`);
  if (exitCode === 1 || exitCode === 2) return failures;
  const spans = canonical.spans;
  const task = spans.find((s) => s.name.endsWith('.batch'));
  if (summary.spans_exported !== spans.length) failures.push(`summary spans_exported ${show(summary.spans_exported)}, ${spans.length} exported`);
  if (summary.task_span_id !== (task ? task.spanId : '')) {
    failures.push(`summary task_span_id ${show(summary.task_span_id)}, exported task span ${task ? task.spanId : 'none'}`);
  }
  if (spans.length && summary.trace_id !== spans[0].traceId) failures.push(`summary trace_id ${show(summary.trace_id)}, spans carry ${spans[0].traceId}`);
  const items = spans.filter((s) => !s.name.endsWith('.batch'));
  for (const result of ['succeeded', 'errored', 'canceled', 'expired']) {
    const count = items.filter((s) => s.attributes['batchtrace.result'] === result).length;
    const reported = summary.items ? summary.items[result] : undefined;
    if (reported !== count) failures.push(`summary items.${result} ${show(reported)}, ${count} such item span(s) exported`);
  }
  return failures;
}

// ---------------------------- main ------------------------------------------------------

// Reads the run's stdout as the summary: null when empty, else one JSON object.
function readSummary(file, failures) {
  const text = fs.readFileSync(file, 'utf8');
  if (text.trim() === '') return null;
  try {
    const summary = JSON.parse(text);
    if (summary === null || typeof summary !== 'object' || Array.isArray(summary)) throw new Error('not a JSON object');
    return summary;
  } catch (err) {
    failures.push(`stdout is not one JSON summary object (${err.message}): ${show(text)}`);
    return undefined;
  }
}

// Writes the expected files from this run (--update).
function writeExpected(caseDir, canonical, summary, tmp) {
  fs.writeFileSync(path.join(caseDir, 'expected-spans.json'),
    `${JSON.stringify(digestLargeStrings(canonical.spans), null, 2)}\n`);
  const summaryFile = path.join(caseDir, 'expected-summary.json');
  if (summary === null) {
    if (fs.existsSync(summaryFile)) fs.unlinkSync(summaryFile);
    return;
  }
  let text = JSON.stringify(summary, null, 2);
  if (tmp) text = text.split(JSON.stringify(tmp).slice(1, -1)).join('@TMP@');
  fs.writeFileSync(summaryFile, `${text}\n`);
}

// Runs every check; returns [message].
function run(options) {
  const failures = [];
  const caseDir = options.caseDir;
  let canonical;
  try {
    canonical = normalize(options.input, { protocol: options.protocol, missingOk: options.missingOk });
  } catch (err) {
    if (!(err instanceof OracleError)) throw err;
    return [`spans do not decode: ${err.message}`];
  }
  if (options.canonicalOut) fs.writeFileSync(options.canonicalOut, `${JSON.stringify(canonical, null, 2)}\n`);
  const summary = readSummary(options.summary, failures);
  if (summary === undefined) return failures;
  if (options.update) writeExpected(caseDir, canonical, summary, options.tmp);

  const spansFile = path.join(caseDir, 'expected-spans.json');
  if (!fs.existsSync(spansFile)) failures.push('expected-spans.json is missing (run with --update)');
  else {
    failures.push(...diffSpans(JSON.parse(fs.readFileSync(spansFile, 'utf8')),
      digestLargeStrings(canonical.spans)));
  }

  const summaryFile = path.join(caseDir, 'expected-summary.json');
  const expectedSummary = fs.existsSync(summaryFile) ? JSON.parse(fs.readFileSync(summaryFile, 'utf8')) : null;
  const summaryDiffs = [];
  diffValues(withoutDestination(expectedSummary), withoutDestination(withTmpToken(summary, options.tmp)),
    'summary', summaryDiffs);
  failures.push(...summaryDiffs);

  const argsFile = options.args || path.join(caseDir, 'args');
  const context = {
    exitCode: options.exit,
    args: readLines(argsFile),
    env: readCaseEnv(caseDir),
    customIdsFile: path.join(caseDir, 'custom-ids'),
  };
  failures.push(...checkStructure(canonical, context));
  failures.push(...checkSummary(summary, canonical, options.exit));
  return failures;
}

// Entry point: prints failures (the first MAX_REPORTED) and sets the exit code.
// Checks one run (argv as in the header); prints its failures on stderr, or appends them to
// the --failures-out file (the CLI driver checks all its cases in one process); 0 or 1.
function checkOne(argv) {
  const options = parseArgs(argv);
  const failures = run(options);
  if (failures.length === 0) return 0;
  const prefix = options.label ? `${options.label}: ` : '';
  let text = '';
  for (const message of failures.slice(0, MAX_REPORTED)) text += `${prefix}${message}\n`;
  if (failures.length > MAX_REPORTED) text += `${prefix}... and ${failures.length - MAX_REPORTED} more\n`;
  report(options, text);
  return 1;
}

// Writes one run's failure text to its --failures-out file, or to stderr without one.
function report(options, text) {
  if (options.failuresOut) fs.appendFileSync(options.failuresOut, text);
  else process.stderr.write(text);
}

// One run's checks, or with `--jobs FILE` several runs' in this one process, in order (the
// CLI driver checks all its cases in one node): FILE holds each run's arguments one per
// line, runs separated by an empty line. Exit 1 when any run fails.
function main() {
  const argv = process.argv.slice(2);
  if (argv.length !== 2 || argv[0] !== '--jobs') return checkOne(argv);
  let status = 0;
  for (const job of fs.readFileSync(argv[1], 'utf8').split('\n\n')) {
    const jobArgv = job.split('\n').filter((line) => line !== '');
    if (jobArgv.length === 0) continue;
    try {
      status |= checkOne(jobArgv);
    } catch (err) { // one run's broken input fails that run, and the next runs are checked
      const options = parseArgs(jobArgv);
      report(options, `${options.label ? `${options.label}: ` : ''}check.js: ${err.stack}\n`);
      status = 1;
    }
  }
  return status;
}

module.exports = { inputDigest, nonceFor, spanIdFor, parseTraceparent, checkStructure, diffSpans, sha256 };

if (require.main === module) process.exitCode = main();
