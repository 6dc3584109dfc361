'use strict';
// An OTLP/HTTP receiver for tests, on 127.0.0.1 only.
//
//   node sink.js [--dir DIR] [--port-file FILE] [--config JSON] [--idle-timeout SECONDS]
//
// --config takes the same object as POST /_sink/config below.
//
// Listens on an ephemeral port, prints it as the first line of stdout and, with --port-file,
// writes it to FILE (atomically: the file appears complete). Every request is stored in the
// current store directory as NNNN.bin (the body, gunzipped when Content-Encoding is gzip) and
// NNNN.json (seq, method, path, headers, content_type, content_encoding, raw_bytes,
// body_bytes, body_file, received_at_ms, response_status, response_action, error).
//
// What it answers is a script: an ordered list of steps, each {status, headers, body,
// partial_success: {rejected_spans, error_message}, delay_ms, reset, times}, played in order
// (a step with times N answers N requests), then `then` (default {status: 200}) forever.
//   {status: 200}                             empty ExportTraceServiceResponse in the
//                                             request's content type (protobuf: empty body,
//                                             JSON: {})
//   {status: 200, partial_success: {...}}     ExportTraceServiceResponse with partialSuccess
//   {status: 429, headers: {"Retry-After": "1"}}, {status: 503, times: 2}, {status: 413},
//   {status: 400, body: "text"}               any status, headers and body
//   {delay_ms: 2000, ...}                     answer after a delay
//   {reset: true}                             destroy the connection without answering
// Requests are stored before they are answered, so once a client has its answer the files
// are on disk.
//
// A body-size check: with "max_body_bytes": N in the config, a request whose body (as sent,
// or once gunzipped) is larger than N is a violation: it is stored with its error, answered
// 413, and counted in /_sink/stats, so a test can fail on it (null turns the check off).
//
// A server's own size limit: with "reject_over": {"bytes": N, "spans": M} in the config (either
// may be left out; null turns it off), a request whose decoded body is larger than N bytes or
// holds more than M spans is stored and answered 413 "payload too large" (not a violation:
// the client is expected to split and send again).
//
// Control endpoint (the same port), for a driver running many cases against one sink:
//   POST /_sink/config  {"dir": DIR, "script": [...], "then": {...}, "max_body_bytes": N}
//     -> {"ok": true}
//     switches the store directory (created if needed; numbering restarts at 1) and the
//     script; omitted fields keep their value except the script, which restarts.
//   GET  /_sink/stats   -> {"dir", "requests", "step", "violations"}
// The same config can be sent from the shell: node sink.js --control PORT JSON
//
// It exits 0 on SIGTERM/SIGINT and by itself after --idle-timeout seconds (default 600)
// without a request, so it never lingers.

const fs = require('fs');
const http = require('http');
const path = require('path');
const zlib = require('zlib');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const ExportTraceServiceResponse = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const MAX_BODY_BYTES = 256 * 1024 * 1024;

// The sink's mutable state: where requests go and what is answered.
const state = {
  dir: null,          // current store directory, or null (requests are then answered, not stored)
  seq: 0,             // number of requests stored in dir
  script: [],         // steps still to play: [{...step, remaining}]
  then: { status: 200 }, // the step after the script ends
  requests: 0,        // requests received in total (all dirs)
  step: 0,            // index of the script step answering the next request
  startedAt: Date.now(), // for received_at_ms
  maxBodyBytes: null, // the body-size check's limit, or null
  violations: 0,      // requests over maxBodyBytes (all dirs)
  rejectOver: null,   // {bytes, spans}: answer 413 above either, or null
};

// Parses the command line into {dir, portFile, config, idleSeconds, control}.
function parseArgs(argv) {
  const options = { dir: null, portFile: null, config: null, idleSeconds: 600, control: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--dir') options.dir = argv[++i];
    else if (arg === '--port-file') options.portFile = argv[++i];
    else if (arg === '--config') options.config = JSON.parse(argv[++i]);
    else if (arg === '--idle-timeout') options.idleSeconds = Number(argv[++i]);
    else if (arg === '--control') options.control = { port: Number(argv[++i]), body: argv[++i] };
    else throw new Error(`sink: unknown argument ${arg}`);
  }
  return options;
}

// Applies a config object {dir, script, then} to the state (see the header).
function applyConfig(config) {
  if (config.dir !== undefined) {
    state.dir = config.dir;
    state.seq = 0;
    if (state.dir !== null) fs.mkdirSync(state.dir, { recursive: true });
  }
  if (config.then !== undefined) state.then = config.then;
  if (config.max_body_bytes !== undefined) state.maxBodyBytes = config.max_body_bytes;
  if (config.reject_over !== undefined) state.rejectOver = config.reject_over;
  state.script = (config.script || []).map((step) => ({ ...step, remaining: step.times || 1 }));
  state.step = 0;
}

// Takes the step that answers the next request (consuming one use of a script step).
function nextStep() {
  while (state.step < state.script.length && state.script[state.step].remaining === 0) state.step++;
  if (state.step >= state.script.length) return state.then;
  state.script[state.step].remaining--;
  return state.script[state.step];
}

// The media type of a request ('' when absent), lowercased and without parameters.
function mediaType(req) {
  return (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
}

// The body of a 2xx answer to an export: an ExportTraceServiceResponse, with partialSuccess
// when the step asks for it, in the request's encoding. Returns {contentType, body}.
function exportResponse(req, step) {
  const partial = step.partial_success;
  const json = mediaType(req) === 'application/json';
  if (json) {
    const object = partial ? {
      partialSuccess: {
        rejectedSpans: String(partial.rejected_spans || 0),
        errorMessage: partial.error_message || '',
      },
    } : {};
    return { contentType: 'application/json', body: Buffer.from(JSON.stringify(object)) };
  }
  const message = partial ? {
    partialSuccess: { rejectedSpans: partial.rejected_spans || 0, errorMessage: partial.error_message || '' },
  } : {};
  return {
    contentType: 'application/x-protobuf',
    body: Buffer.from(ExportTraceServiceResponse.encode(message).finish()),
  };
}

// Stores one received request (meta + decoded body) in the current directory; returns the meta
// (not yet carrying the response, which is written by recordResponse).
function storeRequest(req, raw, body, error) {
  state.requests++;
  if (state.dir === null) return null;
  state.seq++;
  const name = String(state.seq).padStart(4, '0');
  const meta = {
    seq: state.seq,
    method: req.method,
    path: req.url,
    headers: req.headers,
    content_type: mediaType(req),
    content_encoding: req.headers['content-encoding'] || '',
    raw_bytes: raw.length,
    body_bytes: body ? body.length : 0,
    body_file: `${name}.bin`,
    received_at_ms: Date.now() - state.startedAt,
    response_status: null,
    response_action: null,
    error: error || null,
  };
  fs.writeFileSync(path.join(state.dir, meta.body_file), body || Buffer.alloc(0));
  meta.file = path.join(state.dir, `${name}.json`);
  return meta;
}

// Writes the meta file with what was answered (status, or "reset").
function recordResponse(meta, status, action) {
  if (!meta) return;
  const file = meta.file;
  delete meta.file;
  meta.response_status = status;
  meta.response_action = action;
  fs.writeFileSync(file, `${JSON.stringify(meta, null, 2)}\n`);
}

// Answers a control request (/_sink/...).
function handleControl(req, raw, res) {
  let answer;
  if (req.method === 'POST' && req.url === '/_sink/config') {
    try {
      applyConfig(JSON.parse(raw.toString('utf8') || '{}'));
      answer = { status: 200, body: { ok: true } };
    } catch (err) {
      answer = { status: 400, body: { ok: false, error: err.message } };
    }
  } else if (req.method === 'GET' && req.url === '/_sink/stats') {
    answer = {
      status: 200,
      body: { dir: state.dir, requests: state.requests, step: state.step, violations: state.violations },
    };
  } else {
    answer = { status: 404, body: { ok: false, error: 'unknown control request' } };
  }
  res.writeHead(answer.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(answer.body));
}

// Decodes the request body per Content-Encoding: {body} or {error}.
function decodeBody(req, raw) {
  const encoding = (req.headers['content-encoding'] || 'identity').trim().toLowerCase();
  if (encoding === 'identity') return { body: raw };
  if (encoding !== 'gzip') return { error: `unsupported content-encoding ${encoding}` };
  try {
    return { body: zlib.gunzipSync(raw) };
  } catch (err) {
    return { error: `gzip body does not decompress: ${err.message}` };
  }
}

// Spans in a decoded request body (protobuf or OTLP/JSON); -1 when it does not decode.
function spanCount(req, body) {
  try {
    const request = mediaType(req) === 'application/json'
      ? JSON.parse(body.toString('utf8')) : ExportTraceServiceRequest.decode(body);
    let count = 0;
    for (const resourceSpans of request.resourceSpans || []) {
      for (const scopeSpans of resourceSpans.scopeSpans || []) count += (scopeSpans.spans || []).length;
    }
    return count;
  } catch (err) {
    return -1;
  }
}

// Why the request is over the reject_over limit, or null.
function overLimit(req, body) {
  const limit = state.rejectOver;
  if (!limit) return null;
  if (limit.bytes != null && body.length > limit.bytes) return `payload too large: ${body.length} bytes, at most ${limit.bytes}`;
  const spans = spanCount(req, body);
  if (limit.spans != null && spans > limit.spans) return `payload too large: ${spans} spans, at most ${limit.spans}`;
  return null;
}

// Answers one export request according to the script.
function handleExport(req, raw, res) {
  const decoded = decodeBody(req, raw);
  const { body } = decoded;
  let { error } = decoded;
  const limit = state.maxBodyBytes;
  if (!error && limit !== null && (raw.length > limit || body.length > limit)) {
    error = `body of ${raw.length} bytes (${body.length} decoded) exceeds max_body_bytes ${limit}`;
    state.violations++;
    process.stderr.write(`sink: ${error}\n`);
  }
  const meta = storeRequest(req, raw, body, error);
  if (error && error.includes('max_body_bytes')) {
    recordResponse(meta, 413, 'too-large');
    res.writeHead(413, { 'content-type': 'text/plain' });
    res.end(`${error}\n`);
    return;
  }
  if (error) {
    recordResponse(meta, 400, 'bad-encoding');
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`${error}\n`);
    return;
  }
  // /otel/v1/traces is where Braintrust's OTLP endpoint lives (the Braintrust preset).
  const urlPath = req.url.split('?')[0]; // an endpoint may carry a query (an API key)
  if (req.method !== 'POST' || (urlPath !== '/v1/traces' && urlPath !== '/otel/v1/traces')) {
    recordResponse(meta, 404, 'wrong-path');
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('only POST /v1/traces or /otel/v1/traces\n');
    return;
  }
  const tooLarge = overLimit(req, body);
  if (tooLarge) {
    recordResponse(meta, 413, 'rejected-over-limit');
    res.writeHead(413, { 'content-type': 'text/plain' });
    res.end(`${tooLarge}\n`);
    return;
  }
  const step = nextStep();
  const answer = () => {
    if (step.reset) {
      recordResponse(meta, 0, 'reset');
      req.socket.destroy();
      return;
    }
    const status = step.status || 200;
    let contentType = 'text/plain';
    let responseBody = Buffer.from(step.body || '');
    if (status >= 200 && status < 300 && step.body === undefined) {
      ({ contentType, body: responseBody } = exportResponse(req, step));
    }
    recordResponse(meta, status, 'answered');
    res.writeHead(status, { 'content-type': contentType, ...(step.headers || {}) });
    res.end(responseBody);
  };
  if (step.delay_ms) setTimeout(answer, step.delay_ms);
  else answer();
}

// Sends a config to a running sink (the --control mode); resolves to the process exit code.
function sendControl(port, body) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/_sink/config' }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) process.stderr.write(`sink control: ${Buffer.concat(chunks)}\n`);
        resolve(res.statusCode === 200 ? 0 : 1);
      });
    });
    req.on('error', (err) => {
      process.stderr.write(`sink control: ${err.message}\n`);
      resolve(1);
    });
    req.end(body);
  });
}

// Starts the server (see the header).
function serve(options) {
  if (options.dir !== null) applyConfig({ dir: options.dir });
  if (options.config) applyConfig(options.config);
  let idleTimer = null;
  const server = http.createServer((req, res) => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => process.exit(0), options.idleSeconds * 1000);
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'text/plain' });
        res.end('body too large for the test sink\n');
        return;
      }
      const raw = Buffer.concat(chunks);
      if (req.url.startsWith('/_sink/')) handleControl(req, raw, res);
      else handleExport(req, raw, res);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    process.stdout.write(`${port}\n`);
    if (options.portFile) {
      fs.writeFileSync(`${options.portFile}.tmp`, `${port}\n`);
      fs.renameSync(`${options.portFile}.tmp`, options.portFile);
    }
    idleTimer = setTimeout(() => process.exit(0), options.idleSeconds * 1000);
  });
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// Entry point: serve, or send one control request.
function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.control) {
    sendControl(options.control.port, options.control.body).then((code) => { process.exitCode = code; });
  } else {
    serve(options);
  }
}

main();
