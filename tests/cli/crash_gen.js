'use strict';
// Writes an OpenAI batch for tests/cli/crash.sh and exits.sh:
//   node crash_gen.js DIR COUNT [PAD_BYTES]
// DIR/input.jsonl (COUNT chat requests req-00001 ..), DIR/output.jsonl (a result for each,
// padded with an unknown field of PAD_BYTES, ignored by collect, to make the file large)
// and DIR/batch.json (completed, id batch_crash).
const fs = require('fs');

const [dir, count, pad] = process.argv.slice(2);
const padding = 'x'.repeat(Number(pad || 0));
const inputs = [];
const outputs = [];
for (let i = 1; i <= Number(count); i++) {
  const id = `req-${String(i).padStart(5, '0')}`;
  inputs.push(JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: `Label review ${i}: ${'lorem ipsum '.repeat(i % 7)}` }] } }));
  outputs.push(JSON.stringify({ id: `batch_req_${i}`, custom_id: id, response: { status_code: 200,
    request_id: `r${i}`, body: { id: `chatcmpl-${i}`, object: 'chat.completion', created: 1767225700,
      model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'positive' },
        finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 } } },
  error: null, ...(padding ? { padding } : {}) }));
}
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(`${dir}/input.jsonl`, `${inputs.join('\n')}\n`);
fs.writeFileSync(`${dir}/output.jsonl`, `${outputs.join('\n')}\n`);
fs.writeFileSync(`${dir}/batch.json`, JSON.stringify({ id: 'batch_crash', object: 'batch',
  endpoint: '/v1/chat/completions', status: 'completed', created_at: 1767225600,
  in_progress_at: 1767225610, completed_at: 1767229200,
  request_counts: { total: Number(count), completed: Number(count), failed: 0 } }));
