'use strict';
// The benchmark's peer: batchtrace's collect-only job written the way a team would write it on
// the official OpenTelemetry JS SDK (@opentelemetry/sdk-trace-base, BatchSpanProcessor,
// @opentelemetry/exporter-trace-otlp-proto). It streams the inputs and the results line by
// line (readline), correlates them by custom_id with a Map (holding each input line as a
// string until its result arrives, then parsing it), and creates the same spans: one task span
// `{provider}.batch` and one CLIENT child per item with the same GenAI attributes
// (gen_ai.operation.name, provider, request model and parameters, response id, model and
// finish reasons, usage tokens, gen_ai.input.messages / output.messages / system_instructions
// / tool.definitions as JSON strings in the GenAI message schema, error.type, batchtrace.*).
//
//   node peer.js --provider openai|anthropic --input FILE --results FILE [--results FILE]...
//                [--batch FILE] (--endpoint URL | --output FILE) [--flush-every N]
//
// --endpoint exports OTLP/HTTP protobuf to URL/v1/traces with OTLPTraceExporter. --output
// writes OTLP/JSON lines instead: the JS SDK has no OTLP file exporter, so a small exporter
// serializes each batch with the SDK's own JsonTraceSerializer (@opentelemetry/otlp-transformer)
// and appends it as one line, the format of batchtrace's file exporter.
//
// The BatchSpanProcessor exports 1024 spans per request (about 4 MiB, batchtrace's request
// size) from a queue of 65,536; the peer awaits forceFlush() after every --flush-every spans
// (default 4096) so that the queue can never fill and drop spans, and memory stays bounded.
// Prints one JSON line on stdout: {"spans", "items", "problems"}, where problems counts the
// SDK's warnings and errors (a dropped span or a failed export is one). Exit 1 when any.

const fs = require('fs');
const readline = require('readline');
const api = require('@opentelemetry/api');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const MAX_EXPORT_BATCH = 1024;
const MAX_QUEUE = 65536;

// Parses the command line into options.
function parseArgs(argv) {
  const options = { provider: null, input: null, results: [], batch: null, endpoint: null,
                    output: null, flushEvery: 4096 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--provider': options.provider = value; break;
      case '--input': options.input = value; break;
      case '--results': options.results.push(value); break;
      case '--batch': options.batch = value; break;
      case '--endpoint': options.endpoint = value; break;
      case '--output': options.output = value; break;
      case '--flush-every': options.flushEvery = Number(value); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
    i++;
  }
  if (!['openai', 'anthropic'].includes(options.provider) || !options.input ||
      !options.results.length || !options.endpoint === !options.output)
    throw new Error('usage: peer.js --provider openai|anthropic --input FILE --results FILE... ' +
                    '[--batch FILE] (--endpoint URL | --output FILE)');
  return options;
}

// An exporter writing each batch as one OTLP/JSON line (ExportTraceServiceRequest) to a file.
class JsonLinesFileExporter {
  constructor(path) {
    this.fd = fs.openSync(path, 'w');
  }
  export(spans, resultCallback) {
    try {
      fs.writeSync(this.fd, JsonTraceSerializer.serializeRequest(spans));
      fs.writeSync(this.fd, '\n');
      resultCallback({ code: 0 });
    } catch (error) {
      resultCallback({ code: 1, error });
    }
  }
  forceFlush() {
    return Promise.resolve();
  }
  shutdown() {
    fs.closeSync(this.fd);
    return Promise.resolve();
  }
}

// Yields the non-blank lines of a file, streaming.
async function* lines(path) {
  const stream = fs.createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const line of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
    const text = line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
    if (text.trim()) yield text;
  }
}

// A text part, or a part from a provider content block.
function textPart(content) {
  return { type: 'text', content };
}

// Tool call arguments: parsed when they are JSON (as batchtrace writes them), else the string.
function parseArguments(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// OpenAI message content (a string or typed parts) as GenAI parts.
function openaiContentParts(content) {
  if (content == null) return [];
  if (typeof content === 'string') return [textPart(content)];
  return content.map((part) => {
    if (part.type === 'text') return textPart(part.text);
    if (part.type === 'image_url') return { type: 'uri', modality: 'image', uri: part.image_url.url };
    return { type: part.type };
  });
}

// OpenAI chat messages as GenAI input messages.
function openaiMessages(messages) {
  return messages.map((message) => {
    const parts = openaiContentParts(message.content);
    for (const call of message.tool_calls || [])
      parts.push({ type: 'tool_call', id: call.id, name: call.function.name,
                   arguments: parseArguments(call.function.arguments) });
    if (message.role === 'tool')
      return { role: 'tool', parts: [{ type: 'tool_call_response', id: message.tool_call_id,
                                       response: message.content }] };
    return { role: message.role, parts };
  });
}

// Anthropic content (a string or blocks) as GenAI parts.
function anthropicParts(content) {
  if (typeof content === 'string') return [textPart(content)];
  return content.map((block) => {
    switch (block.type) {
      case 'text': return textPart(block.text);
      case 'thinking': return { type: 'reasoning', content: block.thinking };
      case 'tool_use': return { type: 'tool_call', id: block.id, name: block.name, arguments: block.input };
      case 'tool_result': return { type: 'tool_call_response', id: block.tool_use_id, response: block.content };
      default: return { type: block.type };
    }
  });
}

// Sets an attribute when the value is present.
function setOptional(attributes, key, value) {
  if (value !== undefined && value !== null) attributes[key] = value;
}

// The request-side attributes of an OpenAI input record.
function openaiRequest(record, attributes) {
  const body = record.body || {};
  attributes['batchtrace.endpoint'] = record.url;
  attributes['gen_ai.operation.name'] = 'chat';
  setOptional(attributes, 'gen_ai.request.model', body.model);
  setOptional(attributes, 'gen_ai.request.max_tokens', body.max_completion_tokens ?? body.max_tokens);
  setOptional(attributes, 'gen_ai.request.temperature', body.temperature);
  setOptional(attributes, 'gen_ai.request.top_p', body.top_p);
  if (body.stop !== undefined)
    attributes['gen_ai.request.stop_sequences'] = Array.isArray(body.stop) ? body.stop : [body.stop];
  setOptional(attributes, 'gen_ai.request.seed', body.seed);
  setOptional(attributes, 'gen_ai.request.frequency_penalty', body.frequency_penalty);
  setOptional(attributes, 'gen_ai.request.presence_penalty', body.presence_penalty);
  setOptional(attributes, 'gen_ai.request.choice.count', body.n);
  if (body.messages) attributes['gen_ai.input.messages'] = JSON.stringify(openaiMessages(body.messages));
  if (body.tools)
    attributes['gen_ai.tool.definitions'] = JSON.stringify(body.tools.map((tool) => ({
      type: tool.type, name: tool.function.name, description: tool.function.description,
      parameters: tool.function.parameters })));
}

// The response-side attributes of an OpenAI result record; returns {error, endMs}.
function openaiResult(record, attributes) {
  const response = record.response;
  if (!response || response.status_code >= 300) {
    const error = (response && response.body && response.body.error) || record.error || {};
    attributes['batchtrace.result'] = 'errored';
    attributes['error.type'] = error.code || error.type || 'error';
    return { error: error.message || 'error', endMs: null };
  }
  const body = response.body;
  attributes['batchtrace.result'] = 'succeeded';
  setOptional(attributes, 'gen_ai.response.id', body.id);
  setOptional(attributes, 'gen_ai.response.model', body.model);
  const choices = body.choices || [];
  attributes['gen_ai.response.finish_reasons'] = choices.map((choice) => choice.finish_reason);
  const usage = body.usage || {};
  setOptional(attributes, 'gen_ai.usage.input_tokens', usage.prompt_tokens);
  setOptional(attributes, 'gen_ai.usage.output_tokens', usage.completion_tokens);
  setOptional(attributes, 'gen_ai.usage.cache_read.input_tokens', usage.prompt_tokens_details?.cached_tokens);
  setOptional(attributes, 'gen_ai.usage.reasoning.output_tokens',
              usage.completion_tokens_details?.reasoning_tokens);
  attributes['gen_ai.output.messages'] = JSON.stringify(choices.map((choice) => ({
    role: 'assistant', parts: openaiMessages([choice.message])[0].parts,
    finish_reason: choice.finish_reason })));
  return { error: null, endMs: body.created ? body.created * 1000 : null };
}

// The request-side attributes of an Anthropic request record.
function anthropicRequest(record, attributes) {
  const params = record.params || {};
  attributes['batchtrace.endpoint'] = '/v1/messages';
  attributes['gen_ai.operation.name'] = 'chat';
  setOptional(attributes, 'gen_ai.request.model', params.model);
  setOptional(attributes, 'gen_ai.request.max_tokens', params.max_tokens);
  setOptional(attributes, 'gen_ai.request.temperature', params.temperature);
  setOptional(attributes, 'gen_ai.request.top_p', params.top_p);
  setOptional(attributes, 'gen_ai.request.top_k', params.top_k);
  setOptional(attributes, 'gen_ai.request.stop_sequences', params.stop_sequences);
  if (params.messages)
    attributes['gen_ai.input.messages'] = JSON.stringify(params.messages.map((message) => ({
      role: message.role, parts: anthropicParts(message.content) })));
  if (params.system)
    attributes['gen_ai.system_instructions'] = JSON.stringify(anthropicParts(params.system));
  if (params.tools)
    attributes['gen_ai.tool.definitions'] = JSON.stringify(params.tools.map((tool) => ({
      type: 'function', name: tool.name, description: tool.description, parameters: tool.input_schema })));
}

// The response-side attributes of an Anthropic result record; returns {error, endMs}.
function anthropicResult(record, attributes) {
  const result = record.result || {};
  attributes['batchtrace.result'] = result.type;
  if (result.type !== 'succeeded') {
    const error = result.error && result.error.error;
    attributes['error.type'] = error ? error.type : result.type;
    return { error: error ? error.message : `request ${result.type}`, endMs: null };
  }
  const message = result.message;
  setOptional(attributes, 'gen_ai.response.id', message.id);
  setOptional(attributes, 'gen_ai.response.model', message.model);
  if (message.stop_reason) attributes['gen_ai.response.finish_reasons'] = [message.stop_reason];
  const usage = message.usage || {};
  const cacheRead = usage.cache_read_input_tokens || 0;
  const cacheCreation = usage.cache_creation_input_tokens || 0;
  attributes['gen_ai.usage.input_tokens'] = (usage.input_tokens || 0) + cacheRead + cacheCreation;
  setOptional(attributes, 'gen_ai.usage.output_tokens', usage.output_tokens);
  setOptional(attributes, 'gen_ai.usage.cache_read.input_tokens', usage.cache_read_input_tokens);
  setOptional(attributes, 'gen_ai.usage.cache_creation.input_tokens', usage.cache_creation_input_tokens);
  attributes['gen_ai.output.messages'] = JSON.stringify([{ role: 'assistant',
    parts: anthropicParts(message.content), finish_reason: message.stop_reason }]);
  return { error: null, endMs: null };
}

// Reads the batch object: {id, status, startMs, endMs}.
function readBatch(path, provider) {
  if (!path) return { id: null, status: null, startMs: Date.now(), endMs: Date.now() };
  const batch = JSON.parse(fs.readFileSync(path, 'utf8'));
  if (provider === 'openai') {
    const end = batch.completed_at || batch.failed_at || batch.expired_at || batch.cancelled_at;
    return { id: batch.id, status: batch.status, startMs: batch.created_at * 1000,
             endMs: end ? end * 1000 : Date.now() };
  }
  return { id: batch.id, status: batch.processing_status, startMs: Date.parse(batch.created_at),
           endMs: batch.ended_at ? Date.parse(batch.ended_at) : Date.now() };
}

// Runs the job; resolves to the summary.
async function run(options) {
  const exporter = options.endpoint
    ? new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, '')}/v1/traces` })
    : new JsonLinesFileExporter(options.output);
  const processor = new BatchSpanProcessor(exporter, {
    maxQueueSize: MAX_QUEUE, maxExportBatchSize: MAX_EXPORT_BATCH, scheduledDelayMillis: 1000 });
  const resource = resourceFromAttributes({ 'service.name': 'batchtrace-peer' });
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const tracer = tracerProvider.getTracer('batchtrace-peer', '0.0.0');
  const openai = options.provider === 'openai';
  const batch = readBatch(options.batch, options.provider);

  const inputs = new Map(); // custom_id -> the input line, until its result arrives
  for await (const line of lines(options.input)) {
    const record = JSON.parse(line);
    inputs.set(record.custom_id, line);
  }

  const task = tracer.startSpan(`${options.provider}.batch`,
                                { kind: api.SpanKind.INTERNAL, startTime: batch.startMs }, api.ROOT_CONTEXT);
  const taskContext = api.trace.setSpan(api.ROOT_CONTEXT, task);
  const counts = { total: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  const tokens = { input: 0, output: 0 };
  const models = new Set();
  let spans = 0;
  for (const resultsPath of options.results) {
    for await (const line of lines(resultsPath)) {
      const record = JSON.parse(line);
      const attributes = { 'gen_ai.provider.name': options.provider };
      const inputLine = inputs.get(record.custom_id);
      if (inputLine !== undefined) {
        inputs.delete(record.custom_id);
        (openai ? openaiRequest : anthropicRequest)(JSON.parse(inputLine), attributes);
      } else {
        attributes['batchtrace.input_missing'] = true;
      }
      if (batch.id) attributes['batchtrace.batch.id'] = batch.id;
      attributes['batchtrace.custom_id'] = record.custom_id;
      const outcome = (openai ? openaiResult : anthropicResult)(record, attributes);
      counts.total++;
      counts[attributes['batchtrace.result']]++;
      tokens.input += attributes['gen_ai.usage.input_tokens'] || 0;
      tokens.output += attributes['gen_ai.usage.output_tokens'] || 0;
      if (attributes['gen_ai.request.model']) models.add(attributes['gen_ai.request.model']);
      const span = tracer.startSpan(`chat ${attributes['gen_ai.request.model'] || ''}`.trim(),
                                    { kind: api.SpanKind.CLIENT, startTime: batch.startMs, attributes },
                                    taskContext);
      if (outcome.error) span.setStatus({ code: api.SpanStatusCode.ERROR, message: outcome.error });
      span.end(outcome.endMs || batch.endMs);
      spans++;
      if (options.flushEvery > 0 && spans % options.flushEvery === 0) await processor.forceFlush();
    }
  }

  task.setAttributes({
    'gen_ai.provider.name': options.provider,
    'batchtrace.batch.status': batch.status || 'unknown',
    'batchtrace.batch.request_counts.total': counts.total,
    'batchtrace.batch.request_counts.succeeded': counts.succeeded,
    'batchtrace.batch.request_counts.errored': counts.errored,
    'batchtrace.batch.request_counts.canceled': counts.canceled,
    'batchtrace.batch.request_counts.expired': counts.expired,
    'batchtrace.batch.request_counts.missing': inputs.size,
    'batchtrace.models': [...models],
    'gen_ai.usage.input_tokens': tokens.input,
    'gen_ai.usage.output_tokens': tokens.output,
  });
  if (batch.id) task.setAttribute('batchtrace.batch.id', batch.id);
  task.end(batch.endMs);
  spans++;
  await tracerProvider.shutdown(); // flushes the processor and shuts the exporter down
  return { spans, items: counts.total };
}

// Entry point: counts dropped or failed spans through the SDK's diagnostics and fails then.
async function main() {
  const options = parseArgs(process.argv.slice(2));
  let problems = 0;
  api.diag.setLogger({
    error: (...args) => { problems++; process.stderr.write(`peer: ${args.join(' ')}\n`); },
    warn: (...args) => { problems++; process.stderr.write(`peer: ${args.join(' ')}\n`); },
    info: () => {}, debug: () => {}, verbose: () => {},
  }, api.DiagLogLevel.WARN);
  const summary = await run(options);
  process.stdout.write(`${JSON.stringify({ ...summary, problems })}\n`);
  if (problems) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`peer: ${error.stack || error}\n`);
  process.exit(1);
});
