'use strict';
// Counts the spans in an OTLP/JSON lines file (one ExportTraceServiceRequest per line), to
// check that a file exporter wrote every span. Not timed.
//
//   node count-spans.js FILE
//
// Prints the number of spans.

const fs = require('fs');
const readline = require('readline');

// Adds up the spans of every request in the file.
async function main() {
  let spans = 0;
  const input = fs.createReadStream(process.argv[2], { highWaterMark: 1 << 20 });
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    for (const resourceSpans of JSON.parse(line).resourceSpans || [])
      for (const scopeSpans of resourceSpans.scopeSpans || []) spans += (scopeSpans.spans || []).length;
  }
  process.stdout.write(`${spans}\n`);
}

main().catch((error) => {
  process.stderr.write(`count-spans: ${error.message}\n`);
  process.exit(1);
});
