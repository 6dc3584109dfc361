'use strict';
// The benchmark's OTLP/HTTP sink, on 127.0.0.1 only: accepts POST /v1/traces, drains the
// body, counts it, answers 200 at once. Cheap by design so that it is never what the
// benchmark measures: no storage, no full decode. For protobuf it counts the spans by
// walking only the three outer message levels of ExportTraceServiceRequest (resource_spans
// > scope_spans > spans) and skipping each span's bytes, as the body's pieces arrive (no
// copy of the body is made: gathering 600 MB of bodies cost it a third of its CPU); JSON
// bodies are parsed (the benchmark does not time JSON). Gzip bodies are inflated first.
//
//   node sink.js [--port-file FILE] [--delay-ms N]
//
// --delay-ms answers each trace request N ms after its body arrived: a backend slow to answer,
// against which the exporter holds more requests at once (bench/run.sh measures the memory).
//
// Prints its port as the first line of stdout (and writes it to FILE, atomically).
//   GET  /_bench/stats  -> {"requests", "bytes", "spans", "errors", "cpu_ms"}
//   POST /_bench/reset  -> zero the counters
// Exits 0 on SIGTERM or SIGINT.

const fs = require('fs');
const http = require('http');
const zlib = require('zlib');

// How long each trace request waits for its answer (--delay-ms).
let delayMs = 0;

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

// The same count as countProtobufSpans, fed the body piece by piece as it arrives: a
// varint, a tag or a skipped field may straddle two pieces.
class ProtobufSpanCounter {
  constructor() {
    this.pos = 0; // bytes consumed
    this.ends = [Infinity]; // end offsets of the messages entered: request, ResourceSpans, ScopeSpans
    this.skip = 0; // bytes of a field being skipped
    this.state = 'tag'; // what the next varint is: 'tag', 'varint' (a value), 'len'
    this.value = 0;
    this.scale = 1;
    this.field = 0;
    this.spans = 0;
  }

  // Leave the messages that end where the parse is.
  leaveEnded() {
    while (this.ends.length > 1 && this.pos === this.ends[this.ends.length - 1]) this.ends.pop();
  }

  feed(buf) {
    let i = 0;
    while (i < buf.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - i);
        this.skip -= n;
        i += n;
        this.pos += n;
        continue;
      }
      if (this.state === 'tag' && this.scale === 1) this.leaveEnded();
      const byte = buf[i++];
      this.pos++;
      this.value += (byte & 0x7f) * this.scale;
      this.scale *= 128;
      if (byte >= 0x80) {
        if (this.scale > 2 ** 70) throw new Error('varint too long');
        continue;
      }
      const value = this.value;
      this.value = 0;
      this.scale = 1;
      if (this.state === 'tag') {
        const wireType = value % 8;
        this.field = Math.floor(value / 8);
        if (wireType === 0) this.state = 'varint';
        else if (wireType === 1) this.skip = 8;
        else if (wireType === 5) this.skip = 4;
        else if (wireType === 2) this.state = 'len';
        else throw new Error(`wire type ${wireType}`);
      } else if (this.state === 'varint') {
        this.state = 'tag';
      } else {
        this.state = 'tag';
        const depth = this.ends.length - 1;
        const end = this.pos + value;
        if (end > this.ends[depth]) throw new Error('truncated field');
        if ((depth === 0 && this.field === 1) || (depth === 1 && this.field === 2)) {
          this.ends.push(end); // resource_spans, then scope_spans: entered
        } else {
          if (depth === 2 && this.field === 2) this.spans++; // a span: counted, skipped
          this.skip = value;
        }
      }
    }
  }

  // The count, once the whole body was fed; throws when it stopped inside a field.
  finish() {
    if (this.skip === 0 && this.state === 'tag' && this.scale === 1) this.leaveEnded();
    if (this.skip !== 0 || this.state !== 'tag' || this.scale !== 1 || this.ends.length !== 1)
      throw new Error('truncated body');
    return this.spans;
  }
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
  const json = (req.headers['content-type'] || '').includes('json');
  // Plain protobuf is counted as it arrives; JSON and gzip bodies are gathered first.
  const counter = !json && req.headers['content-encoding'] !== 'gzip' ? new ProtobufSpanCounter() : null;
  let counterError = null;
  req.on('data', (chunk) => {
    bytes += chunk.length;
    if (!counter) {
      chunks.push(chunk);
      return;
    }
    if (counterError) return;
    try {
      counter.feed(chunk);
    } catch (error) {
      counterError = error;
    }
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
    try {
      if (counter) {
        if (counterError) throw counterError;
        stats.spans += counter.finish();
      } else {
        let body = Buffer.concat(chunks, bytes);
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
        stats.spans += json ? countJsonSpans(body) : countProtobufSpans(body);
      }
    } catch (error) {
      stats.errors++;
      process.stderr.write(`sink: undecodable request: ${error.message}\n`);
    }
    const answer = () => {
      res.writeHead(200, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
}

// Starts the server on an ephemeral loopback port and announces the port.
function main() {
  const args = process.argv.slice(2);
  let portFile = null;
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === '--port-file') portFile = args[i + 1];
    else if (args[i] === '--delay-ms') delayMs = Number(args[i + 1]);
    else throw new Error(`sink: unknown argument ${args[i]}`);
  }
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
module.exports = { countProtobufSpans, ProtobufSpanCounter };
