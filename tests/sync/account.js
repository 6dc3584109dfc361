'use strict';
// The account tests/sync/sync.sh syncs: OpenAI and Anthropic batches in every state, their
// files, and what a receiver must end up with.
//
//   node account.js files DIR BIG_ITEMS
//       writes the batches' files into DIR (inputs, outputs, errors, results) and
//       DIR/anthropic-started.jsonl (the requests a test gives `batchtrace start`)
//   node account.js config DIR STAGE OPENAI_KEY ANTHROPIC_KEY [CTX_TOKEN]
//       writes DIR/config-STAGE.json (fake_provider.js's config) and DIR/expected.json.
//       STAGE 1: batch_late and msgbatch_running still run; STAGE 2: they ended.
//       CTX_TOKEN: batch_ctx's metadata.batchtrace_ctx (from `batchtrace start`).
//
// expected.json: {BATCH_ID: {provider, custom_ids: [...], inputs: bool}} for every batch
// that has ended by that stage: each custom_id must arrive exactly once, with its request
// (gen_ai.request.model) when inputs is true, and the task span once.
const fs = require('fs');
const path = require('path');

const T0 = 1767225600; // 2026-01-01T00:00:00Z

function ids(prefix, count) {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(5, '0')}`);
}

function openaiInput(id, i) {
  return { custom_id: id, method: 'POST', url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: `Review ${i}: ${'lorem ipsum '.repeat(i % 5)}` }] } };
}

function openaiOutput(id, i, pad) {
  return { id: `batch_req_${id}`, custom_id: id, response: { status_code: 200, request_id: `r-${id}`,
    body: { id: `chatcmpl-${id}`, object: 'chat.completion', created: T0 + 100 + i, model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: 'positive' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 } } },
  error: null, ...(pad ? { padding: 'x'.repeat(pad) } : {}) };
}

function openaiHttpError(id) {
  return { id: `batch_req_${id}`, custom_id: id, response: { status_code: 400, request_id: `r-${id}`,
    body: { error: { message: 'This model\'s maximum context length is exceeded.', type: 'invalid_request_error', code: 'context_length_exceeded' } } },
  error: null };
}

function openaiEnded(id, code) {
  return { id: `batch_req_${id}`, custom_id: id, response: null,
    error: { code, message: 'This request could not be executed before the batch ended.' } };
}

function jsonl(records) {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

// The OpenAI batches' files: NAME -> {ids, input, output, error} (file contents).
function openaiFiles(bigItems) {
  const files = {};
  const add = (name, count, make) => {
    const list = ids(name, count);
    files[name] = { ids: list, input: jsonl(list.map(openaiInput)), ...make(list) };
  };
  add('done', 6, (l) => ({ output: jsonl(l.slice(0, 5).map((id, i) => openaiOutput(id, i))), error: jsonl([openaiHttpError(l[5])]) }));
  add('manual', 4, (l) => ({ output: jsonl(l.map((id, i) => openaiOutput(id, i))) }));
  add('late', 3, (l) => ({ output: jsonl(l.map((id, i) => openaiOutput(id, i))) }));
  add('failed', 3, () => ({}));
  add('expired', 4, (l) => ({ output: jsonl(l.slice(0, 2).map((id, i) => openaiOutput(id, i))),
    error: jsonl(l.slice(2).map((id) => openaiEnded(id, 'batch_expired'))) }));
  add('cancelled', 3, (l) => ({ output: jsonl([openaiOutput(l[0], 0)]) }));
  add('big', bigItems, (l) => ({ output: jsonl(l.map((id, i) => openaiOutput(id, i, 600))) }));
  add('ctx', 3, (l) => ({ output: jsonl(l.map((id, i) => openaiOutput(id, i))) }));
  return files;
}

function anthropicResult(id, type) {
  if (type === 'succeeded') {
    return { custom_id: id, result: { type, message: { id: `msg_${id}`, type: 'message', role: 'assistant',
      model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'positive' }], stop_reason: 'end_turn',
      stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } } } };
  }
  if (type === 'errored') {
    return { custom_id: id, result: { type, error: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: too large' } } } };
  }
  return { custom_id: id, result: { type } };
}

function anthropicFiles() {
  const done = ['a-done-1', 'a-done-2', 'a-done-3', 'a-done-4'];
  const running = ['a-run-1', 'a-run-2'];
  const started = ['a-start-1', 'a-start-2', 'a-start-3'];
  return {
    done: { ids: done, results: jsonl(done.map((id, i) => anthropicResult(id, ['succeeded', 'errored', 'canceled', 'expired'][i]))) },
    running: { ids: running, results: jsonl(running.map((id) => anthropicResult(id, 'succeeded'))) },
    started: { ids: started, results: jsonl(started.map((id) => anthropicResult(id, 'succeeded'))),
      requests: jsonl(started.map((id, i) => ({ custom_id: id, params: { model: 'claude-sonnet-4-5', max_tokens: 64,
        messages: [{ role: 'user', content: `Review ${i}` }] } }))) },
  };
}

function writeFiles(dir, bigItems) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, f] of Object.entries(openaiFiles(bigItems))) {
    fs.writeFileSync(path.join(dir, `file-${name}-in`), f.input);
    if (f.output) fs.writeFileSync(path.join(dir, `file-${name}-out`), f.output);
    if (f.error) fs.writeFileSync(path.join(dir, `file-${name}-err`), f.error);
  }
  for (const [name, f] of Object.entries(anthropicFiles())) {
    fs.writeFileSync(path.join(dir, `msgbatch_${name}.results`), f.results);
  }
  fs.writeFileSync(path.join(dir, 'anthropic-started.jsonl'), anthropicFiles().started.requests);
  fs.writeFileSync(path.join(dir, 'openai-ctx.jsonl'), openaiFiles(1).ctx.input);
  fs.writeFileSync(path.join(dir, 'big-items'), String(bigItems));
}

function openaiBatch(name, n, status, extra) {
  const count = n;
  const ended = { completed: 'completed_at', failed: 'failed_at', expired: 'expired_at', cancelled: 'cancelled_at' }[status];
  return { id: `batch_${name}`, object: 'batch', endpoint: '/v1/chat/completions', errors: null,
    input_file_id: `file-${name}-in`, completion_window: '24h', status, output_file_id: null, error_file_id: null,
    created_at: T0 + n * 10, in_progress_at: T0 + n * 10 + 5, ...(ended ? { [ended]: T0 + 3600 } : {}),
    request_counts: { total: count, completed: 0, failed: 0 }, metadata: null, ...extra };
}

function writeConfig(dir, stage, openaiKey, anthropicKey, ctxToken) {
  const bigItems = Number(fs.readFileSync(path.join(dir, 'big-items'), 'utf8'));
  const files = openaiFiles(bigItems);
  const late = stage >= 2;
  const counts = (total, completed, failed) => ({ request_counts: { total, completed, failed } });
  const out = (name) => ({ output_file_id: `file-${name}-out` });
  const err = (name) => ({ error_file_id: `file-${name}-err` });
  const openai = [
    openaiBatch('validating', 90, 'validating', { input_file_id: 'file-done-in' }),
    openaiBatch('late', 80, late ? 'completed' : 'in_progress', { ...counts(3, late ? 3 : 1, 0), ...(late ? out('late') : {}) }),
    openaiBatch('done', 70, 'completed', { ...counts(6, 5, 1), ...out('done'), ...err('done') }),
    openaiBatch('big', 60, 'completed', { ...counts(bigItems, bigItems, 0), ...out('big') }),
    openaiBatch('manual', 50, 'completed', { ...counts(4, 4, 0), ...out('manual') }),
    openaiBatch('failed', 40, 'failed', { ...counts(0, 0, 0), errors: { object: 'list', data: [{ code: 'invalid_json_line', message: 'Line 2 is not valid JSON.', param: null, line: 2 }] } }),
    openaiBatch('expired', 30, 'expired', { ...counts(4, 2, 2), ...out('expired'), ...err('expired') }),
    openaiBatch('cancelled', 20, 'cancelled', { ...counts(3, 1, 0), ...out('cancelled') }),
  ];
  if (ctxToken) {
    openai.push(openaiBatch('ctx', 10, 'completed', { ...counts(3, 3, 0), ...out('ctx'),
      metadata: { batchtrace_ctx: ctxToken, team: 'search' } }));
  }
  const fileMap = {};
  for (const b of openai) {
    for (const key of ['input_file_id', 'output_file_id', 'error_file_id']) {
      if (b[key]) fileMap[b[key]] = path.join(dir, b[key]);
    }
  }
  const aBatch = (name, status, c, created) => ({ id: `msgbatch_${name}`, type: 'message_batch',
    processing_status: status, request_counts: { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0, ...c },
    created_at: created, ended_at: status === 'ended' ? '2026-01-01T02:00:00Z' : null,
    expires_at: '2026-01-02T00:00:00Z', archived_at: null, cancel_initiated_at: null });
  const anthropic = [
    aBatch('running', late ? 'ended' : 'in_progress', late ? { succeeded: 2 } : { processing: 2 }, '2026-01-01T00:30:00Z'),
    aBatch('started', 'ended', { succeeded: 3 }, '2026-01-01T00:20:00Z'),
    aBatch('done', 'ended', { succeeded: 1, errored: 1, canceled: 1, expired: 1 }, '2026-01-01T00:10:00Z'),
  ];
  const results = {};
  for (const b of anthropic) results[b.id] = path.join(dir, `${b.id}.results`);
  const config = { openai_key: openaiKey, anthropic_key: anthropicKey, max_page: 2,
    openai: { batches: openai, files: fileMap }, anthropic: { batches: anthropic, results }, faults: [] };
  fs.writeFileSync(path.join(dir, `config-${stage}.json`), JSON.stringify(config, null, 1));

  const expected = {};
  const endedOpenai = ['done', 'big', 'manual', 'failed', 'expired', 'cancelled', ...(late ? ['late'] : []), ...(ctxToken ? ['ctx'] : [])];
  for (const name of endedOpenai) expected[`batch_${name}`] = { provider: 'openai', custom_ids: files[name].ids, inputs: true };
  const a = anthropicFiles();
  expected.msgbatch_done = { provider: 'anthropic', custom_ids: a.done.ids, inputs: false };
  expected.msgbatch_started = { provider: 'anthropic', custom_ids: a.started.ids, inputs: true };
  if (late) expected.msgbatch_running = { provider: 'anthropic', custom_ids: a.running.ids, inputs: false };
  fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(expected, null, 1));
}

const [command, dir, ...rest] = process.argv.slice(2);
if (command === 'files') writeFiles(dir, Number(rest[0] || 3000));
else if (command === 'config') writeConfig(dir, Number(rest[0]), rest[1], rest[2], rest[3]);
else {
  process.stderr.write('usage: node account.js files DIR BIG_ITEMS | config DIR STAGE OPENAI_KEY ANTHROPIC_KEY [CTX_TOKEN]\n');
  process.exit(2);
}
