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
// A FAULT answers requests whose path (with query) matches `match` (a regular expression)
// instead of the normal answer, `times` times (default 1), then no more:
//   {"match": "...", "status": 429, "headers": {"Retry-After": "1"}}   any status
//   {"match": "...", "status": 500}
//   {"match": "...", "reset_after_bytes": N}   send the 200 headers and N bytes of the
//                                              normal answer, then destroy the connection
//   {"match": "...", "delay_ms": N}            answer normally after a delay
//
// Control (same port):
//   POST /_fake/config   replace the whole config (fault counters and the log restart)
//                        -> {"ok": true}
//   GET  /_fake/log      every request so far: [{method, path, status, fault, auth_ok}]
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
const log = [];
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
  return { ...batch, results_url: `http://${host}/v1/messages/batches/${batch.id}/results` };
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
  fs.createReadStream(file).pipe(res);
}

function route(req, res, url, fault) {
  const openai = config.openai || { batches: [], files: {} };
  const anthropic = config.anthropic || { batches: [], results: {} };
  const p = url.pathname;
  let m;
  if (p === '/v1/batches') {
    return sendJson(res, 200, { object: 'list', ...page(openai.batches, url.searchParams, 'after') });
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
      return sendJson(res, 200, { ok: true });
    }
    if (url.pathname === '/_fake/log') return sendJson(res, 200, log);
    const entry = { method: req.method, path: req.url, status: 0, fault: false, auth_ok: authorized(req, url) };
    log.push(entry);
    if (!entry.auth_ok) {
      entry.status = 401;
      // Echo the credential as some providers do, so a test sees that batchtrace hides it.
      const presented = req.headers['x-api-key'] || req.headers.authorization || '';
      return sendJson(res, 401, { error: { type: 'authentication_error', message: `Incorrect API key provided: ${presented}` } });
    }
    if (req.method !== 'GET') {
      entry.status = 405;
      return sendJson(res, 405, { error: { message: 'method not allowed' } });
    }
    const fault = takeFault(req.url);
    entry.fault = !!fault;
    if (fault && fault.status) {
      entry.status = fault.status;
      res.writeHead(fault.status, { 'Content-Type': 'application/json', ...(fault.headers || {}) });
      return res.end(JSON.stringify({ error: { type: 'fault', message: `injected ${fault.status}` } }));
    }
    res.logEntry = entry;
    const answer = () => {
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
