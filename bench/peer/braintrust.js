'use strict';
// The benchmark's second peer: Braintrust's own OpenAI batch collector, completeOpenAIBatchTrace
// from the npm `braintrust` package (pinned in package-lock.json), collect-only over the same
// OpenAI files as batchtrace, with the SDK's in-memory test logger (no network).
//
//   node braintrust.js --input FILE --output FILE [--errors FILE]
//
// As the package documents it (`await completeOpenAIBatchTrace({inputFileId, inputFileContent,
// outputFileContent, errorFileContent})`), each file is handed over as a Response whose body
// streams the file, the shape `openai.files.content()` returns. The spans go under a logger
// (initLogger with a fixed project id, after the SDK's simulated test login, which makes no
// request) whose background logger is the SDK's TestBackgroundLogger: rows are kept in memory
// instead of being uploaded. After the call the logger is drained (the rows are merged and
// materialized, the work an upload would serialize), which is timed with the rest.
// Prints one JSON line on stdout: {"spans", "problems"}: spans counts the distinct span ids of
// the drained rows; problems counts the SDK's console errors and warnings (a batch it refused
// to complete logs one). Exit 1 when any.

const fs = require('fs');
const { Readable } = require('stream');

// Parses the command line into options.
function parseArgs(argv) {
  const options = { input: null, output: null, errors: null };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--input': options.input = value; break;
      case '--output': options.output = value; break;
      case '--errors': options.errors = value; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!options.input || !options.output)
    throw new Error('usage: braintrust.js --input FILE --output FILE [--errors FILE]');
  return options;
}

// A Response streaming the file at path, as openai.files.content() returns one.
function fileResponse(path) {
  return new Response(Readable.toWeb(fs.createReadStream(path, { highWaterMark: 1 << 20 })));
}

// Runs the collector and prints the counts.
async function main() {
  const options = parseArgs(process.argv.slice(2));
  let problems = 0;
  for (const level of ['error', 'warn']) {
    const original = console[level];
    console[level] = (...args) => { problems++; original(...args); };
  }
  const braintrust = require('braintrust');
  const testing = braintrust._exportsForTestingOnly;
  testing.setInitialTestState();
  await testing.simulateLoginForTests();
  const memory = testing.useTestBackgroundLogger();
  braintrust.initLogger({ projectName: 'batchtrace-bench', projectId: 'batchtrace-bench' });

  await braintrust.completeOpenAIBatchTrace({
    inputFileId: 'file-bench-input',
    inputFileContent: fileResponse(options.input),
    outputFileContent: fileResponse(options.output),
    errorFileContent: options.errors ? fileResponse(options.errors) : undefined,
  });
  const rows = await memory.drain();
  const spans = new Set(rows.map((row) => row.span_id)).size;
  process.stdout.write(JSON.stringify({ spans, problems }) + '\n');
  if (problems) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`braintrust peer: ${error.stack || error}\n`);
  process.exit(1);
});
