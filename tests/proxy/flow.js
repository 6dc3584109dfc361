'use strict';
// The real SDKs (openai, @anthropic-ai/sdk, pinned in package-lock.json) through
// `batchtrace proxy`: each step is its own process, as a submitting job and a later
// results job would be.
//
//   node flow.js openai-submit STATE TRACEPARENT      upload the input, create the batch
//   node flow.js openai-results STATE OUT_DIR         poll until it ended, download its files
//   node flow.js anthropic-submit STATE TRACEPARENT   create the batch
//   node flow.js anthropic-results STATE OUT_DIR      poll, then messages.batches.results()
//   node flow.js chat-stream OUT_FILE                 a streamed chat completion, raw bytes
//   node flow.js expect TRACEPARENT STATE...          check.js's EXPECTED for these batches
// FLOW_ITEMS=N makes the OpenAI batch N requests (default 5; every fifth one fails).
//
// The SDKs read OPENAI_BASE_URL / ANTHROPIC_BASE_URL (the proxy) and the API keys from the
// environment, as any user's program would. STATE is a JSON file the submit step writes
// ({batch_id, custom_ids, model}) and the results step reads; OUT_DIR gets the bytes the
// client received (output.jsonl, error.jsonl, results.jsonl) and what it parsed.
const fs = require('fs');
const path = require('path');
const OpenAI = require('openai').default;
const { toFile } = require('openai');
const Anthropic = require('@anthropic-ai/sdk').default;

const OPENAI_IDS = Array.from({ length: Number(process.env.FLOW_ITEMS || 5) },
  (_, i) => ((i + 1) % 5 === 0 ? `o-fail-${i + 1}` : `o-ok-${i + 1}`));
const ANTHROPIC_IDS = ['a-ok-1', 'a-ok-2', 'a-errored-3', 'a-canceled-4', 'a-expired-5'];

function openaiInput() {
  return OPENAI_IDS.map((id, i) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: `Question ${i}: ${id}` }] } })).join('\n') + '\n';
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function openaiSubmit(state, traceparent) {
  const client = new OpenAI({ maxRetries: 0 });
  const headers = { traceparent };
  const file = await client.files.create({ file: await toFile(Buffer.from(openaiInput()), 'input.jsonl'), purpose: 'batch' },
    { headers });
  const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' },
    { headers });
  fs.writeFileSync(state, JSON.stringify({ batch_id: batch.id, provider: 'openai', model: 'gpt-4o-mini',
    items: Object.fromEntries(OPENAI_IDS.map((id) => [id, id.includes('fail') ? 'errored' : 'succeeded'])) }));
}

async function openaiResults(state, outDir) {
  const { batch_id: batchId } = JSON.parse(fs.readFileSync(state, 'utf8'));
  const client = new OpenAI({ maxRetries: 0 });
  let batch;
  for (let i = 0; i < 50; i++) {
    batch = await client.batches.retrieve(batchId);
    if (['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) break;
    await sleep(50);
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const [key, name] of [['output_file_id', 'output.jsonl'], ['error_file_id', 'error.jsonl']]) {
    if (!batch[key]) continue;
    const response = await client.files.content(batch[key]);
    fs.writeFileSync(path.join(outDir, name), Buffer.from(await response.arrayBuffer()));
    fs.writeFileSync(path.join(outDir, `${name}.id`), batch[key]);
  }
  fs.writeFileSync(path.join(outDir, 'batch.json'), JSON.stringify(batch));
}

async function anthropicSubmit(state, traceparent) {
  const client = new Anthropic({ maxRetries: 0 });
  const requests = ANTHROPIC_IDS.map((id, i) => ({ custom_id: id,
    params: { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: `Question ${i}: ${id}` }] } }));
  const batch = await client.messages.batches.create({ requests }, { headers: { traceparent } });
  fs.writeFileSync(state, JSON.stringify({ batch_id: batch.id, provider: 'anthropic', model: 'claude-sonnet-4-5',
    items: Object.fromEntries(ANTHROPIC_IDS.map((id) => [id, ['errored', 'canceled', 'expired'].find((t) => id.includes(t)) || 'succeeded'])) }));
}

async function anthropicResults(state, outDir) {
  const { batch_id: batchId } = JSON.parse(fs.readFileSync(state, 'utf8'));
  const client = new Anthropic({ maxRetries: 0 });
  let batch;
  for (let i = 0; i < 50; i++) {
    batch = await client.messages.batches.retrieve(batchId);
    if (batch.processing_status === 'ended') break;
    await sleep(50);
  }
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'batch.json'), JSON.stringify(batch));
  const types = [];
  for await (const entry of await client.messages.batches.results(batchId)) types.push(`${entry.custom_id} ${entry.result.type}`);
  fs.writeFileSync(path.join(outDir, 'results.types'), types.join('\n') + '\n');
}

async function chatStream(outFile) {
  const client = new OpenAI({ maxRetries: 0 });
  const response = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true,
    messages: [{ role: 'user', content: 'Hi' }] }).asResponse();
  fs.writeFileSync(outFile, Buffer.from(await response.arrayBuffer()));
  fs.writeFileSync(`${outFile}.headers`, JSON.stringify({ 'content-type': response.headers.get('content-type'),
    'x-request-id': response.headers.get('x-request-id'), status: response.status }));
}

function expect(traceparent, states) {
  const [, traceId, spanId] = traceparent.split('-');
  const expected = {};
  for (const file of states) {
    const state = JSON.parse(fs.readFileSync(file, 'utf8'));
    expected[state.batch_id] = { provider: state.provider, trace_id: traceId, parent_span_id: spanId, model: state.model, items: state.items };
  }
  process.stdout.write(JSON.stringify(expected, null, 1));
}

async function main(argv) {
  const [command, a, b] = argv;
  if (command === 'expect') return expect(a, argv.slice(2));
  if (command === 'openai-submit') return openaiSubmit(a, b);
  if (command === 'openai-results') return openaiResults(a, b);
  if (command === 'anthropic-submit') return anthropicSubmit(a, b);
  if (command === 'anthropic-results') return anthropicResults(a, b);
  if (command === 'chat-stream') return chatStream(a);
  throw new Error(`unknown command ${command}`);
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`flow.js: ${error.stack || error}\n`);
  process.exit(1);
});
