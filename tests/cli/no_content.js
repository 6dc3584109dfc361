'use strict';
// The --no-content leak check of tests/cli/no_content.sh: reads the fixture files a run was
// given, collects every prompt and output text they hold, and fails when any of them appears
// in what the run exported (every attribute value, span name and status message), or when
// token usage or models went missing.
//
//   node tests/cli/no_content.js SPANS_FILE FIXTURE_FILE...
//   node tests/cli/no_content.js --jobs FILE      (many runs in one process: see main)
//
// Prints one line per finding and exits 1 when there is any; prints a count on success.

const fs = require('fs');
const path = require('path');
const { normalize } = require('../oracle/normalize');

// The members whose subtree is prompt or output content (requests and results of both
// providers): messages and their parts, system prompts and instructions, prompts and
// embedding inputs, tool definitions and tool calls, choices, Responses output, thinking.
const CONTENT_KEYS = new Set(['messages', 'input', 'prompt', 'instructions', 'system', 'tools',
  'functions', 'choices', 'output', 'content', 'text', 'thinking', 'arguments', 'refusal',
  'reasoning_content', 'suffix', 'response_format']);
// Members inside content that are labels, not content, and that --no-content keeps (roles,
// types, ids, finish reasons, models) or that are too generic to search for.
const LABEL_KEYS = new Set(['type', 'id', 'role', 'name', 'tool_use_id', 'tool_call_id',
  'call_id', 'signature', 'media_type', 'index', 'format', 'status', 'finish_reason',
  'stop_reason', 'object', 'model', 'cache_control', 'detail', 'stop', 'stop_sequences',
  'logprobs', 'annotations', 'strict', 'required', 'additionalProperties', 'pattern', 'enum',
  'verbosity', 'effort']);
// Shorter texts are not searched: "Yes" may legitimately appear elsewhere.
const MIN_TEXT_LENGTH = 6;

// Adds to texts every string leaf of value that is not under a label key.
function collectLeaves(value, texts) {
  if (typeof value === 'string') {
    if (value.length >= MIN_TEXT_LENGTH) texts.add(value);
  } else if (Array.isArray(value)) {
    value.forEach((v) => collectLeaves(v, texts));
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) if (!LABEL_KEYS.has(key)) collectLeaves(v, texts);
  }
}

// Adds to texts the content found anywhere in a record.
function collectContent(value, texts) {
  if (Array.isArray(value)) {
    value.forEach((v) => collectContent(v, texts));
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (CONTENT_KEYS.has(key)) collectLeaves(v, texts);
      else collectContent(v, texts);
    }
  }
}

// The records of a fixture file: a JSON document, or JSON lines (bad lines skipped).
function readRecords(file) {
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  try {
    return [JSON.parse(text)];
  } catch (err) {
    return text.split('\n').flatMap((line) => {
      try {
        return line.trim() ? [JSON.parse(line)] : [];
      } catch (lineErr) {
        return [];
      }
    });
  }
}

// Every string a run exported: attribute values (and array elements), names, statuses.
function exportedStrings(spans) {
  const out = [];
  for (const span of spans) {
    out.push(span.name, span.status.message);
    for (const value of Object.values(span.attributes)) {
      if (typeof value === 'string') out.push(value);
      else if (Array.isArray(value)) out.push(...value.filter((v) => typeof v === 'string'));
    }
  }
  return out;
}

// Findings about usage and models: what --no-content must keep.
function checkKept(spans) {
  const findings = [];
  for (const span of spans.filter((s) => !s.name.endsWith('.batch'))) {
    const a = span.attributes;
    const where = `span ${span.spanId} (${a['batchtrace.custom_id']})`;
    if (a['gen_ai.usage.input_tokens'] !== undefined) {
      for (const key of ['llm.token_count.prompt', 'gen_ai.usage.prompt_tokens']) {
        if (a[key] !== a['gen_ai.usage.input_tokens']) {
          findings.push(`${where}: ${key} is ${a[key]}, not the input tokens`);
        }
      }
      const metrics = JSON.parse(a['braintrust.metrics'] || '{}');
      if (metrics.prompt_tokens !== a['gen_ai.usage.input_tokens']) {
        findings.push(`${where}: braintrust.metrics lost the prompt tokens`);
      }
    }
    const model = a['gen_ai.request.model'] || a['gen_ai.response.model'];
    if (model !== undefined) {
      // Braintrust's SDK writes the response's model over the request's for Anthropic
      // messages and OpenAI chat (docs/conventions.md); the request's elsewhere.
      const responseFirst = a['gen_ai.provider.name'] === 'anthropic' ||
        a['batchtrace.endpoint'] === '/v1/chat/completions';
      const btModel = responseFirst ? a['gen_ai.response.model'] || model : model;
      const metadata = JSON.parse(a['braintrust.metadata'] || '{}');
      if (metadata.model !== btModel) {
        findings.push(`${where}: braintrust.metadata.model is ${metadata.model}, not ${btModel}`);
      }
      if (a['llm.model_name'] === undefined && a['embedding.model_name'] === undefined) {
        findings.push(`${where}: no llm.model_name`);
      }
    }
  }
  return findings;
}

// The findings of one run (none when it leaked nothing) and, on success, a count.
function checkRun(spansFile, fixtures) {
  const texts = new Set();
  for (const file of fixtures) readRecords(file).forEach((record) => collectContent(record, texts));
  const spans = fs.existsSync(spansFile) ? normalize(spansFile, { missingOk: true }).spans : [];
  const exported = exportedStrings(spans);
  const findings = [];
  for (const text of texts) {
    const holder = exported.find((value) => value.includes(text));
    if (holder !== undefined) {
      findings.push(`leaked: ${JSON.stringify(text.slice(0, 80))} in ${JSON.stringify(holder.slice(0, 120))}`);
    }
  }
  findings.push(...checkKept(spans));
  const usage = spans.filter((s) => s.attributes['gen_ai.usage.input_tokens'] !== undefined).length;
  const where = path.basename(path.dirname(fixtures[0] || ''));
  return {
    findings: findings.map((f) => `  ${where}: ${f}`),
    count: `  ${texts.size} texts absent from ${spans.length} spans (${usage} with usage)`,
  };
}

// One run (SPANS_FILE FIXTURE_FILE...), or with --jobs FILE every run FILE lists, one a line
// (NAME, SPANS_FILE, FIXTURE_FILE... separated by tabs) in one node process: prints
// `ok NAME  count` or `FAIL NAME` and its findings per run; exits 1 when any run leaked.
function main() {
  const args = process.argv.slice(2);
  if (args[0] !== '--jobs') {
    const { findings, count } = checkRun(args[0], args.slice(1));
    findings.forEach((f) => console.log(f));
    if (findings.length) process.exit(1);
    console.log(count);
    return;
  }
  let failed = false;
  for (const line of fs.readFileSync(args[1], 'utf8').split('\n').filter((l) => l)) {
    const [name, spansFile, ...fixtures] = line.split('\t').filter((field) => field);
    const { findings, count } = checkRun(spansFile, fixtures);
    if (findings.length) {
      failed = true;
      console.log(`FAIL ${name}`);
      findings.forEach((f) => console.log(f));
    } else {
      console.log(`ok ${name}${count}`);
    }
  }
  if (failed) process.exit(1);
}

main();
