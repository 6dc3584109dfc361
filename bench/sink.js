'use strict';
// The benchmark's OTLP/HTTP sink, on 127.0.0.1 only: accepts POST /v1/traces, drains the
// body, counts it, answers 200 at once. Cheap by design so that it is never what the
// benchmark measures: no storage, no full decode. For protobuf it counts the spans by
// walking only the three outer message levels of ExportTraceServiceRequest (resource_spans
// > scope_spans > spans) and skipping each span's bytes; JSON bodies are parsed (the
// benchmark does not time JSON). Gzip bodies are inflated first.
//
//   node sink.js [--port-file FILE]
//
// Prints its port as the first line of stdout (and writes it to FILE, atomically).
//   GET  /_bench/stats  -> {"requests", "bytes", "spans", "errors", "cpu_ms"}
//   POST /_bench/reset  -> zero the counters
// Exits 0 on SIGTERM or SIGINT.

const fs = require('fs');
const http = require('http');
const zlib = require('zlib');

// Counters since the last reset.
const stats = { requests: 0, bytes: 0, spans: 0, errors: 0 };
let cpuAtReset = process.cpuUsage();

// Reads a base-128 varint at pos; returns [value, next position]. Values fit a double
// (lengths and tags here are far below 2^53).
function readVarint(buf, pos) {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[pos++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, pos];
    scale *= 128;
  }
}

// Calls onField(fieldNumber, start, end) for every length-delimited field of the message in
// buf[start, end); skips the other wire types.
function eachLengthField(buf, start, end, onField) {
  let pos = start;
  while (pos < end) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const wireType = key % 8;
    const field = Math.floor(key / 8);
    if (wireType === 0) [, pos] = readVarint(buf, pos);
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      if (pos + len > end) throw new Error('truncated field');
      onField(field, pos, pos + len);
      pos += len;
    } else throw new Error(`wire type ${wireType}`);
  }
}

// Number of spans in a protobuf ExportTraceServiceRequest.
function countProtobufSpans(buf) {
  let spans = 0;
  eachLengthField(buf, 0, buf.length, (field, start, end) => {
    if (field !== 1) return; // resource_spans
    eachLengthField(buf, start, end, (field2, start2, end2) => {
      if (field2 !== 2) return; // scope_spans
      eachLengthField(buf, start2, end2, (field3) => {
        if (field3 === 2) spans++; // spans
      });
    });
  });
  return spans;
}

// Number of spans in an OTLP/JSON ExportTraceServiceRequest.
function countJsonSpans(buf) {
  let spans = 0;
  for (const resourceSpans of JSON.parse(buf.toString('utf8')).resourceSpans || [])
    for (const scopeSpans of resourceSpans.scopeSpans || []) spans += (scopeSpans.spans || []).length;
  return spans;
}

// Handles one request (see the header).
function handle(req, res) {
  const chunks = [];
  let bytes = 0;
  req.on('data', (chunk) => {
    chunks.push(chunk);
    bytes += chunk.length;
  });
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/_bench/stats') {
      const cpu = process.cpuUsage(cpuAtReset);
      const body = { ...stats, cpu_ms: Math.round((cpu.user + cpu.system) / 1000) };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
      return;
    }
    if (req.method === 'POST' && req.url === '/_bench/reset') {
      Object.assign(stats, { requests: 0, bytes: 0, spans: 0, errors: 0 });
      cpuAtReset = process.cpuUsage();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404);
      res.end();
      return;
    }
    stats.requests++;
    stats.bytes += bytes;
    const json = (req.headers['content-type'] || '').includes('json');
    try {
      let body = Buffer.concat(chunks, bytes);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      stats.spans += json ? countJsonSpans(body) : countProtobufSpans(body);
    } catch (error) {
      stats.errors++;
      process.stderr.write(`sink: undecodable request: ${error.message}\n`);
    }
    res.writeHead(200, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : undefined);
  });
}

// Starts the server on an ephemeral loopback port and announces the port.
function main() {
  const args = process.argv.slice(2);
  const portFile = args[0] === '--port-file' ? args[1] : null;
  const server = http.createServer(handle);
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    process.stdout.write(`${port}\n`);
    if (portFile) {
      fs.writeFileSync(`${portFile}.tmp`, `${port}\n`);
      fs.renameSync(`${portFile}.tmp`, portFile);
    }
  });
  const stop = () => process.exit(0); // nothing is stored, so nothing to finish
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();
module.exports = { countProtobufSpans };
