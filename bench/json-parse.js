'use strict';
// A reference point for the benchmark: Node reads each file line by line (readline, as the
// peer does) and JSON.parses every non-blank line, and does nothing else.
//
//   node json-parse.js FILE...
//
// Prints "lines L".

const fs = require('fs');
const readline = require('readline');

// Parses every line of every file named on the command line.
async function main() {
  let lines = 0;
  for (const path of process.argv.slice(2)) {
    const input = fs.createReadStream(path, { highWaterMark: 1 << 20 });
    for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      JSON.parse(line.charCodeAt(0) === 0xfeff ? line.slice(1) : line);
      lines++;
    }
  }
  process.stdout.write(`lines ${lines}\n`);
}

main().catch((error) => {
  process.stderr.write(`json-parse: ${error.message}\n`);
  process.exit(1);
});
