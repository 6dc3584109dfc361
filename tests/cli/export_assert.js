'use strict';
// Small queries for tests/cli/export.sh over what the oracle's sink stored and what
// batchtrace printed. Each prints its answer on stdout (exit 1 with a message on error):
//
//   node export_assert.js canon INPUT                the canonical spans (normalize.js) of a
//                                                    sink directory or OTLP/JSON lines file;
//                                                    fails on a span id received twice
//   node export_assert.js requests DIR               one line per stored request, in order:
//                                                    "SEQ STATUS ACTION ENCODING RAW_BYTES PATH"
//   node export_assert.js header DIR SEQ NAME        a request's header value ("" when absent)
//   node export_assert.js same-body DIR SEQ1 SEQ2    "same" when both requests carried the same
//                                                    (decoded) body, else "different"
//   node export_assert.js get FILE KEY[.KEY...]      a member of the JSON object in FILE, as JSON
//                                                    ("undefined" when absent)
//   node export_assert.js stats PORT                 the sink's /_sink/stats object
//   node export_assert.js count-attr INPUT KEY       how many canonical spans carry attribute KEY
//   node export_assert.js most-at-once DIR DELAY_MS  the most requests open at one instant, when
//                                                    the sink answered each DELAY_MS after it
//                                                    arrived (open: [arrival, arrival + DELAY_MS))

const fs = require('fs');
const http = require('http');
const path = require('path');
const { normalize, OracleError } = require('../oracle/normalize');

// The stored requests' metadata in DIR, in order.
function metas(dir) {
  return fs.readdirSync(dir).filter((name) => /^\d+\.json$/.test(name)).sort()
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
}

// The metadata of request number seq in DIR.
function meta(dir, seq) {
  const found = metas(dir).find((m) => m.seq === Number(seq));
  if (!found) throw new OracleError(`${dir}: no request #${seq}`);
  return found;
}

// Runs one query (see the header); resolves to the text to print.
async function query(args) {
  const [command, ...rest] = args;
  switch (command) {
    case 'canon':
      return JSON.stringify(normalize(rest[0], { missingOk: true }), null, 2);
    case 'requests':
      if (!fs.existsSync(rest[0])) return '';
      return metas(rest[0]).map((m) => [m.seq, m.response_status, m.response_action,
        m.content_encoding || '-', m.raw_bytes, m.path].join(' ')).join('\n');
    case 'header': {
      const value = meta(rest[0], rest[1]).headers[rest[2].toLowerCase()];
      return value === undefined ? '' : String(value);
    }
    case 'same-body': {
      const [dir, first, second] = rest;
      const body = (seq) => fs.readFileSync(path.join(dir, meta(dir, seq).body_file));
      return body(first).equals(body(second)) ? 'same' : 'different';
    }
    case 'get': {
      let value = JSON.parse(fs.readFileSync(rest[0], 'utf8'));
      for (const key of rest[1].split('.')) value = value === undefined ? undefined : value[key];
      return value === undefined ? 'undefined' : JSON.stringify(value);
    }
    case 'stats':
      return new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: Number(rest[0]), path: '/_sink/stats' }, (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        }).on('error', reject);
      });
    case 'count-attr': {
      const { spans } = normalize(rest[0], { missingOk: true });
      return String(spans.filter((span) => rest[1] in span.attributes).length);
    }
    case 'most-at-once': {
      const delay = Number(rest[1]);
      const arrivals = metas(rest[0]).map((m) => m.received_at_ms);
      const openAt = (t) => arrivals.filter((a) => a <= t && t < a + delay).length;
      return String(Math.max(0, ...arrivals.map(openAt)));
    }
    default:
      throw new OracleError(`unknown query ${command}`);
  }
}

query(process.argv.slice(2)).then((text) => {
  process.stdout.write(`${text}\n`);
}, (err) => {
  process.stderr.write(`export_assert: ${err.message}\n`);
  process.exitCode = 1;
});
