'use strict';
// A fake OpenAI Batch and Anthropic Message Batches API on 127.0.0.1, for tests of
// `batchtrace sync` (and later the proxy). Node's http module only; no package needed.
//
//   node fake_provider.js [--config FILE] [--port-file FILE] [--idle-timeout SECONDS]
//
// Listens on an ephemeral port, prints it on stdout and, with --port-file, writes it there
// (atomically). The account it serves is a config object:
//
//   {
//     "openai_key": "sk-...",            required as "Authorization: Bearer KEY" (else 401)
//     "anthropic_key": "sk-ant-...",     required as "x-api-key: KEY" with anthropic-version
//     "max_page": 2,                     at most this many batches per list page, whatever
//                                        `limit` asks (so a small account has many pages)
//     "openai": {"batches": [BATCH...], "files": {"file-ID": "PATH"}},
//     "anthropic": {"batches": [BATCH...], "results": {"msgbatch_ID": "PATH"}},
//     "faults": [FAULT...]
//   }
//
// Batches are the providers' objects, newest first (the lists' order). A file is streamed
// from PATH as it is. An Anthropic batch gets `results_url` pointing at this server.
//
// Endpoints, as the providers document them:
//   GET /v1/batches?limit=N&after=ID             {object:"list", data, first_id, last_id, has_more}
//   GET /v1/batches/ID                           the batch object
//   GET /v1/files/ID/content                     the file's bytes
//   GET /v1/messages/batches?limit=N&after_id=ID&before_id=ID
//                                                {data, has_more, first_id, last_id}
//   GET /v1/messages/batches/ID                  the batch object
//   GET /v1/messages/batches/ID/results          the results JSONL
//
// Live batches, for `batchtrace proxy`'s tests (tests/proxy/), which run the real SDKs: the
// calls that make a batch, kept in memory until the next POST /_fake/config.
//   POST /v1/files (multipart: purpose, file)   {id, object:"file", purpose, bytes, ...};
//                                                a body without its closing boundary: 400
//   POST /v1/batches                            a batch of the uploaded file, "validating"
//   POST /v1/messages/batches                   a batch of body.requests, "in_progress"
//   POST /v1/chat/completions                   a completion; with "stream": true, SSE chunks
//                                                (the body GET /_fake/sse gives) sent apart
// A live batch ends at its `polls_until_done`-th GET (config, default 2), with results made
// from its requests: OpenAI custom_ids containing "fail" get a 400 line in the error file,
// the others a completion "echo: CUSTOM_ID" (usage 9 + 3) in the output file; Anthropic
// custom_ids containing "errored", "canceled" or "expired" get that result type, the others
// "succeeded" with "echo: CUSTOM_ID" (usage 12 + 3). GET /_fake/file/ID gives a live file's
// bytes as made (for a byte-for-byte comparison), not through any proxy.
//
// A FAULT answers requests whose path (with query) matches `match` (a regular expression)
// instead of the normal answer, `times` times (default 1), then no more:
//   {"match": "...", "status": 429, "headers": {"Retry-After": "1"}}   any status
//   {"match": "...", "status": 500}
//   {"match": "...", "reset_after_bytes": N}   send the 200 headers and N bytes of the
//                                              normal answer, then destroy the connection
//   {"match": "...", "delay_ms": N}            answer normally after a delay
//   {"match": "...", "body": "TEXT"}           answer 200 with TEXT (text/plain) instead
//   {"match": "...", "throttle_ms": N}         a live file sent 16 KiB every N ms
//
// Control (same port):
//   POST /_fake/config   replace the whole config (fault counters and the log restart)
//                        -> {"ok": true}
//   POST /_fake/fault    add one FAULT to the config (the live batches stay)
//   GET  /_fake/log      every request so far: [{method, path, status, fault, auth_ok,
//                        arrived, answered}]: arrived and answered (a GET's answer began,
//                        after any delay) number the events of the run in order
// It exits 0 on SIGTERM/SIGINT and after --idle-timeout seconds (default 600) without a
// request.

const fs = require('fs');
const http = require('http');
const path = require('path');

const args = process.argv.slice(2);
function flag(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

const initial = flag('--config') ? fs.readFileSync(flag('--config'), 'utf8') : '';
let config = initial.trim() ? JSON.parse(initial) : {};
let faultUses = [];
let live = { files: new Map(), openai: new Map(), anthropic: new Map(), next: 0 };
const log = [];
let events = 0;
const idleSeconds = Number(flag('--idle-timeout', '600'));
let idleTimer = null;

function resetIdle() {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => process.exit(0), idleSeconds * 1000);
}

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function notFound(res, what) {
  if (res.logEntry) res.logEntry.status = 404;
  sendJson(res, 404, { error: { type: 'not_found_error', message: `${what} not found` } });
}

// The fault for this request, if one still applies (counts its use).
function takeFault(url) {
  const faults = config.faults || [];
  for (let i = 0; i < faults.length; i++) {
    const fault = faults[i];
    if (!new RegExp(fault.match).test(url)) continue;
    const used = faultUses[i] || 0;
    if (used >= (fault.times || 1)) continue;
    faultUses[i] = used + 1;
    return fault;
  }
  return null;
}

// One page of a newest-first list, cut by the cursors and the page limits.
function page(batches, query, afterParam) {
  const limit = Math.min(Number(query.get('limit') || 20), config.max_page || 1000);
  let start = 0;
  let end = batches.length;
  const after = query.get(afterParam);
  const before = query.get('before_id');
  if (after) {
    const i = batches.findIndex((b) => b.id === after);
    start = i < 0 ? batches.length : i + 1;
  }
  if (before) {
    const i = batches.findIndex((b) => b.id === before);
    end = i < 0 ? 0 : i;
    start = Math.max(start, end - limit);
  }
  const data = batches.slice(start, Math.min(end, start + limit));
  return {
    data,
    has_more: before ? start > 0 : start + data.length < end,
    first_id: data.length ? data[0].id : null,
    last_id: data.length ? data[data.length - 1].id : null,
  };
}

function anthropicBatch(batch, req) {
  const host = req.headers.host;
  const ended = batch.processing_status === 'ended';
  return { ...batch, results_url: ended || !live.anthropic.has(batch.id) ? `http://${host}/v1/messages/batches/${batch.id}/results` : null };
}

// Stream a file, or with a reset fault, its first bytes and then a dropped connection.
function sendFile(res, file, fault) {
  if (!file || !fs.existsSync(file)) return notFound(res, 'file');
  const size = fs.statSync(file).size;
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
  if (fault && fault.reset_after_bytes !== undefined) {
    const stream = fs.createReadStream(file, { start: 0, end: Math.max(0, fault.reset_after_bytes - 1) });
    stream.on('end', () => setTimeout(() => res.socket.destroy(), 20));
    stream.pipe(res, { end: false });
    return;
  }
  fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
}

// ---- live batches -----------------------------------------------------------------------
const SSE_BODY = ['{"id":"chatcmpl-s","object":"chat.completion.chunk","created":1767225600,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
  '{"id":"chatcmpl-s","object":"chat.completion.chunk","created":1767225600,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}',
  '{"id":"chatcmpl-s","object":"chat.completion.chunk","created":1767225600,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}',
  '[DONE]'].map((d) => `data: ${d}\n\n`);

function liveId(prefix) {
  live.next += 1;
  return `${prefix}${String(live.next).padStart(6, '0')}live`;
}

// The parts of a multipart/form-data body: [{name, data: Buffer}], or null when cut short.
function multipart(body, contentType) {
  const m = /boundary="?([^";]+)"?/i.exec(contentType || '');
  if (!m) return null;
  const delimiter = Buffer.from(`--${m[1]}`);
  const parts = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    at += delimiter.length;
    if (body.slice(at, at + 2).toString() === '--') return parts;
    const headEnd = body.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return null;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headEnd + 4);
    if (next < 0) return null;
    const head = body.slice(at, headEnd).toString();
    const name = /name="([^"]+)"/.exec(head);
    parts.push({ name: name ? name[1] : '', data: body.slice(headEnd + 4, next) });
    at = next + 2;
  }
  return null;
}

function lines(buffer) {
  return buffer.toString('utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function jsonlOf(records) {
  return Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

const NOW = 1767225600;

// End a live OpenAI batch: its output and error files from its requests.
function finishOpenai(batch) {
  const requests = lines(live.files.get(batch.input_file_id).data);
  const out = [];
  const err = [];
  for (const r of requests) {
    if (r.custom_id.includes('fail')) {
      err.push({ id: `batch_req_${r.custom_id}`, custom_id: r.custom_id, response: { status_code: 400, request_id: `r-${r.custom_id}`,
        body: { error: { message: 'Invalid value for max_tokens.', type: 'invalid_request_error', code: 'invalid_value' } } }, error: null });
    } else {
      out.push({ id: `batch_req_${r.custom_id}`, custom_id: r.custom_id, response: { status_code: 200, request_id: `r-${r.custom_id}`,
        body: { id: `chatcmpl-${r.custom_id}`, object: 'chat.completion', created: NOW + 60, model: r.body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: `echo: ${r.custom_id}` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } } }, error: null });
    }
  }
  const fileOf = (records) => {
    const id = liveId('file-');
    live.files.set(id, { data: jsonlOf(records), purpose: 'batch_output' });
    return id;
  };
  Object.assign(batch, { status: 'completed', output_file_id: out.length ? fileOf(out) : null,
    error_file_id: err.length ? fileOf(err) : null, finalizing_at: NOW + 100, completed_at: NOW + 120,
    request_counts: { total: requests.length, completed: out.length, failed: err.length } });
}

// End a live Anthropic batch: its results from its requests.
function finishAnthropic(batch) {
  const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  const records = batch.requests.map((r) => {
    const id = r.custom_id;
    const type = ['errored', 'canceled', 'expired'].find((t) => id.includes(t)) || 'succeeded';
    counts[type] += 1;
    if (type === 'succeeded') {
      return { custom_id: id, result: { type, message: { id: `msg_${id}`, type: 'message', role: 'assistant', model: r.params.model,
        content: [{ type: 'text', text: `echo: ${id}` }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 12, output_tokens: 3 } } } };
    }
    if (type === 'errored') {
      return { custom_id: id, result: { type, error: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: too large' } } } };
    }
    return { custom_id: id, result: { type } };
  });
  live.files.set(`${batch.object.id}.results`, { data: jsonlOf(records), purpose: 'results' });
  Object.assign(batch.object, { processing_status: 'ended', request_counts: counts, ended_at: '2026-01-01T01:00:00Z' });
}

// A GET of a live batch: counts polls and ends it at the configured one.
function pollLive(map, id, finish) {
  const entry = map.get(id);
  if (!entry) return null;
  entry.polls += 1;
  if (entry.polls >= (config.polls_until_done || 2) && !entry.done) {
    entry.done = true;
    finish(entry);
  }
  return entry;
}

function routePost(req, res, url, body) {
  const p = url.pathname;
  if (p === '/v1/files') {
    const parts = multipart(body, req.headers['content-type']);
    if (!parts) return sendJson(res, 400, { error: { message: 'The multipart body is malformed.', type: 'invalid_request_error', code: null } });
    const file = parts.find((x) => x.name === 'file');
    const purpose = parts.find((x) => x.name === 'purpose');
    const id = liveId('file-');
    live.files.set(id, { data: file ? file.data : Buffer.alloc(0), purpose: purpose ? purpose.data.toString() : '' });
    return sendJson(res, 200, { id, object: 'file', bytes: file ? file.data.length : 0, created_at: NOW, filename: 'input.jsonl',
      purpose: purpose ? purpose.data.toString() : '', status: 'processed' });
  }
  if (p === '/v1/batches') {
    const args = JSON.parse(body.toString('utf8'));
    if (!live.files.has(args.input_file_id)) return notFound(res, 'file');
    const batch = { id: liveId('batch_'), object: 'batch', endpoint: args.endpoint, errors: null, input_file_id: args.input_file_id,
      completion_window: args.completion_window, status: 'validating', output_file_id: null, error_file_id: null,
      created_at: NOW, in_progress_at: null, request_counts: { total: 0, completed: 0, failed: 0 }, metadata: args.metadata || null };
    live.openai.set(batch.id, { polls: 0, done: false, batch });
    return sendJson(res, 200, batch);
  }
  if (p === '/v1/messages/batches') {
    const args = JSON.parse(body.toString('utf8'));
    const object = { id: liveId('msgbatch_'), type: 'message_batch', processing_status: 'in_progress',
      request_counts: { processing: args.requests.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      created_at: '2026-01-01T00:00:00Z', ended_at: null, expires_at: '2026-01-02T00:00:00Z', archived_at: null,
      cancel_initiated_at: null, results_url: null };
    live.anthropic.set(object.id, { polls: 0, done: false, object, requests: args.requests });
    return sendJson(res, 200, object);
  }
  if (p === '/v1/chat/completions') {
    const args = JSON.parse(body.toString('utf8'));
    if (!args.stream) {
      return sendJson(res, 200, { id: 'chatcmpl-x', object: 'chat.completion', created: NOW, model: args.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } });
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'x-request-id': 'req_stream_1' });
    let i = 0;
    const next = () => {
      if (i >= SSE_BODY.length) return res.end();
      res.write(SSE_BODY[i++]);
      setTimeout(next, 30);
    };
    return next();
  }
  return notFound(res, 'route');
}

function sendBuffer(res, data, fault) {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length, 'x-request-id': 'req_file' });
  if (fault && fault.reset_after_bytes !== undefined) {
    res.write(data.slice(0, fault.reset_after_bytes));
    setTimeout(() => res.socket.destroy(), 20);
    return;
  }
  if (fault && fault.throttle_ms) {
    let at = 0;
    const next = () => {
      if (res.destroyed) return;
      if (at >= data.length) return res.end();
      res.write(data.slice(at, at + 16384));
      at += 16384;
      setTimeout(next, fault.throttle_ms);
    };
    return next();
  }
  res.end(data);
}

function route(req, res, url, fault) {
  const openai = config.openai || { batches: [], files: {} };
  const anthropic = config.anthropic || { batches: [], results: {} };
  const p = url.pathname;
  let m;
  if (p === '/v1/batches') {
    return sendJson(res, 200, { object: 'list', ...page(openai.batches, url.searchParams, 'after') });
  }
  if ((m = p.match(/^\/v1\/batches\/([^/]+)$/)) && live.openai.has(m[1])) {
    return sendJson(res, 200, pollLive(live.openai, m[1], (e) => finishOpenai(e.batch)).batch);
  }
  if ((m = p.match(/^\/v1\/files\/([^/]+)\/content$/)) && live.files.has(m[1])) {
    return sendBuffer(res, live.files.get(m[1]).data, fault);
  }
  if ((m = p.match(/^\/v1\/messages\/batches\/([^/]+)$/)) && live.anthropic.has(m[1])) {
    return sendJson(res, 200, anthropicBatch(pollLive(live.anthropic, m[1], finishAnthropic).object, req));
  }
  if ((m = p.match(/^\/v1\/messages\/batches\/([^/]+)\/results$/)) && live.files.has(`${m[1]}.results`)) {
    return sendBuffer(res, live.files.get(`${m[1]}.results`).data, fault);
  }
  if ((m = p.match(/^\/v1\/batches\/([^/]+)$/))) {
    const batch = openai.batches.find((b) => b.id === m[1]);
    return batch ? sendJson(res, 200, batch) : notFound(res, 'batch');
  }
  if ((m = p.match(/^\/v1\/files\/([^/]+)\/content$/))) {
    return sendFile(res, (openai.files || {})[m[1]], fault);
  }
  if (p === '/v1/messages/batches') {
    const listed = page(anthropic.batches, url.searchParams, 'after_id');
    listed.data = listed.data.map((b) => anthropicBatch(b, req));
    return sendJson(res, 200, listed);
  }
  if ((m = p.match(/^\/v1\/messages\/batches\/([^/]+)$/))) {
    const batch = anthropic.batches.find((b) => b.id === m[1]);
    return batch ? sendJson(res, 200, anthropicBatch(batch, req)) : notFound(res, 'batch');
  }
  if ((m = p.match(/^\/v1\/messages\/batches\/([^/]+)\/results$/))) {
    return sendFile(res, (anthropic.results || {})[m[1]], fault);
  }
  return notFound(res, 'route');
}

function authorized(req, url) {
  if (url.pathname.startsWith('/v1/messages/')) {
    return req.headers['x-api-key'] === config.anthropic_key && !!req.headers['anthropic-version'];
  }
  return req.headers.authorization === `Bearer ${config.openai_key}`;
}

const server = http.createServer((req, res) => {
  resetIdle();
  const url = new URL(req.url, 'http://127.0.0.1');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (url.pathname === '/_fake/config' && req.method === 'POST') {
      config = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      faultUses = [];
      log.length = 0;
      live = { files: new Map(), openai: new Map(), anthropic: new Map(), next: 0 };
      return sendJson(res, 200, { ok: true });
    }
    if (url.pathname === '/_fake/fault' && req.method === 'POST') {
      config.faults = [...(config.faults || []), JSON.parse(Buffer.concat(chunks).toString('utf8'))];
      return sendJson(res, 200, { ok: true });
    }
    if (url.pathname === '/_fake/log') return sendJson(res, 200, log);
    if (url.pathname === '/_fake/sse') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return res.end(SSE_BODY.join(''));
    }
    const rawFile = url.pathname.match(/^\/_fake\/file\/(.+)$/);
    if (rawFile) {
      const f = live.files.get(rawFile[1]);
      if (!f) return notFound(res, 'file');
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      return res.end(f.data);
    }
    const entry = { method: req.method, path: req.url, status: 0, fault: false, auth_ok: authorized(req, url),
      arrived: ++events };
    log.push(entry);
    if (!entry.auth_ok) {
      entry.status = 401;
      // Echo the credential as some providers do, so a test sees that batchtrace hides it.
      const presented = req.headers['x-api-key'] || req.headers.authorization || '';
      return sendJson(res, 401, { error: { type: 'authentication_error', message: `Incorrect API key provided: ${presented}` } });
    }
    const fault = takeFault(req.url);
    entry.fault = !!fault;
    if (fault && fault.status) {
      entry.status = fault.status;
      res.writeHead(fault.status, { 'Content-Type': 'application/json', ...(fault.headers || {}) });
      return res.end(JSON.stringify({ error: { type: 'fault', message: `injected ${fault.status}` } }));
    }
    if (fault && fault.body !== undefined) {
      entry.status = 200;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return res.end(fault.body);
    }
    if (req.method === 'POST') {
      entry.status = 200;
      res.logEntry = entry;
      return routePost(req, res, url, Buffer.concat(chunks));
    }
    if (req.method !== 'GET') {
      entry.status = 405;
      return sendJson(res, 405, { error: { message: 'method not allowed' } });
    }
    res.logEntry = entry;
    const answer = () => {
      entry.answered = ++events;
      entry.status = 200;
      route(req, res, url, fault);
    };
    if (fault && fault.delay_ms) setTimeout(answer, fault.delay_ms);
    else answer();
  });
});

server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  process.stdout.write(`${port}\n`);
  const portFile = flag('--port-file');
  if (portFile) {
    const tmp = path.join(path.dirname(portFile), `.${path.basename(portFile)}.tmp`);
    fs.writeFileSync(tmp, `${port}\n`);
    fs.renameSync(tmp, portFile);
  }
  resetIdle();
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
