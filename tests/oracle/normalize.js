'use strict';
// Turns exported OTLP traces into the canonical form of docs/design.md ("CLI test cases"):
//   {resource: {attributes}, scope: {name, version}, spans: [canonical span, sorted by spanId]}
// Inputs:
//   - an OTLP/JSON file, one ExportTraceServiceRequest per line (the file exporter's output),
//     validated strictly against the OTLP/JSON encoding rules;
//   - a directory written by sink.js (NNNN.bin bodies + NNNN.json metadata): protobuf bodies
//     are decoded with @opentelemetry/otlp-transformer's generated code (root.js), JSON
//     bodies are validated as above. Only requests the sink accepted (2xx) are counted.
// Any violation throws an OracleError whose message says where and what.
//
// CLI: node normalize.js [--protocol http/protobuf|http/json] [--missing-ok] INPUT
//      prints the canonical form (2-space JSON) on stdout; exit 1 with a message otherwise.

const fs = require('fs');
const path = require('path');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const proto = root.opentelemetry.proto;
const ExportTraceServiceRequest = proto.collector.trace.v1.ExportTraceServiceRequest;
const PbSpan = proto.trace.v1.Span;
const PbResource = proto.resource.v1.Resource;
const PbScope = proto.common.v1.InstrumentationScope;
const Long = require('protobufjs/minimal').util.Long;
const Reader = require('protobufjs/minimal').Reader;

const KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'];
const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

// An error the oracle reports as a test failure (as opposed to a bug in the oracle).
class OracleError extends Error {}

// Throws an OracleError with where: what.
function fail(where, what) {
  throw new OracleError(`${where}: ${what}`);
}

// ---------------------------------------------------------------------------------------
// The intermediate form both decoders produce, before canonicalization:
//   raw request = {resourceSpans: [{resource: {attributes: [kv], dropped}, scopeSpans:
//     [{scope: {name, version, attributes, dropped}, spans: [raw span]}]}]}
//   raw span = {traceId, spanId, parentSpanId (hex, "" for none), traceState, name, kind
//     (int), start, end (decimal strings), status: {code (int), message}, attributes: [kv],
//     droppedAttributes, events: [{time (decimal string), name, attributes: [kv],
//     droppedAttributes}], droppedEvents, links, droppedLinks (counts)}
//   kv = {key, value: typed}; typed = {type: string|bool|int|double|array|kvlist|bytes, value}
// ---------------------------------------------------------------------------------------

// ---------------------------- OTLP/JSON (strict) ---------------------------------------

// The keys each OTLP/JSON message may carry, by message name.
const JSON_KEYS = {
  request: ['resourceSpans'],
  resourceSpans: ['resource', 'scopeSpans', 'schemaUrl'],
  resource: ['attributes', 'droppedAttributesCount'],
  scopeSpans: ['scope', 'spans', 'schemaUrl'],
  scope: ['name', 'version', 'attributes', 'droppedAttributesCount'],
  span: ['traceId', 'spanId', 'traceState', 'parentSpanId', 'flags', 'name', 'kind',
    'startTimeUnixNano', 'endTimeUnixNano', 'attributes', 'droppedAttributesCount', 'events',
    'droppedEventsCount', 'links', 'droppedLinksCount', 'status'],
  status: ['message', 'code'],
  event: ['timeUnixNano', 'name', 'attributes', 'droppedAttributesCount'],
  keyValue: ['key', 'value'],
  anyValue: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue',
    'kvlistValue', 'bytesValue'],
  arrayValue: ['values'],
  kvlistValue: ['values'],
};

// Checks that obj is a plain object whose keys are lowerCamelCase members of message's key list.
function checkJsonKeys(obj, message, where) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    fail(where, `expected a JSON object (${message}), got ${JSON.stringify(obj)}`);
  }
  for (const key of Object.keys(obj)) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(key)) {
      fail(where, `key "${key}" is not lowerCamelCase (OTLP/JSON requires lowerCamelCase keys)`);
    }
    if (!JSON_KEYS[message].includes(key)) {
      fail(where, `unknown key "${key}" in ${message}`);
    }
  }
}

// Returns obj[key] when it is an array (absent -> []), else fails.
function jsonArray(obj, key, where) {
  if (obj[key] === undefined) return [];
  if (!Array.isArray(obj[key])) fail(where, `"${key}" must be an array`);
  return obj[key];
}

// Returns obj[key] when it is a string (absent -> fallback), else fails.
function jsonString(obj, key, where, fallback) {
  if (obj[key] === undefined) return fallback;
  if (typeof obj[key] !== 'string') fail(where, `"${key}" must be a JSON string`);
  return obj[key];
}

// Returns obj[key] as a uint32 JSON number (absent -> 0), else fails.
function jsonUint32(obj, key, where) {
  const value = obj[key];
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    fail(where, `"${key}" must be a uint32 JSON number, got ${JSON.stringify(value)}`);
  }
  return value;
}

// Returns an id field as lowercase hex of byteCount bytes; optional ids may be absent or "".
function jsonId(obj, key, byteCount, optional, where) {
  const value = obj[key];
  if (value === undefined || value === '') {
    if (optional) return '';
    fail(where, `"${key}" is missing`);
  }
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-f]{${byteCount * 2}}$`).test(value)) {
    fail(where, `"${key}" must be ${byteCount * 2} lowercase hex digits, got ${JSON.stringify(value)}`);
  }
  if (/^0+$/.test(value)) fail(where, `"${key}" is all zeros (invalid)`);
  return value;
}

// Returns a *UnixNano field: a decimal string in uint64 range (required).
function jsonUnixNano(obj, key, where) {
  const value = obj[key];
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value) || BigInt(value) > UINT64_MAX) {
    fail(where, `"${key}" must be a decimal string (uint64), got ${JSON.stringify(value)}`);
  }
  return value;
}

// Converts an OTLP/JSON enum field (a JSON integer in [0, count)) to its number.
function jsonEnum(obj, key, count, where) {
  const value = obj[key];
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= count) {
    fail(where, `"${key}" must be an integer enum value in 0..${count - 1}, got ${JSON.stringify(value)}`);
  }
  return value;
}

// Converts an OTLP/JSON AnyValue to a typed value.
function jsonAnyValue(value, where) {
  checkJsonKeys(value, 'anyValue', where);
  const keys = Object.keys(value);
  if (keys.length !== 1) fail(where, `AnyValue must have exactly one field, has ${JSON.stringify(keys)}`);
  const field = keys[0];
  const inner = value[field];
  switch (field) {
    case 'stringValue':
      if (typeof inner !== 'string') fail(where, 'stringValue must be a JSON string');
      return { type: 'string', value: inner };
    case 'boolValue':
      if (typeof inner !== 'boolean') fail(where, 'boolValue must be a JSON bool');
      return { type: 'bool', value: inner };
    case 'intValue': {
      if (typeof inner !== 'string' || !/^-?(0|[1-9][0-9]*)$/.test(inner) || inner === '-0') {
        fail(where, `intValue must be a decimal string, got ${JSON.stringify(inner)}`);
      }
      const big = BigInt(inner);
      if (big < INT64_MIN || big > INT64_MAX) fail(where, `intValue ${inner} is out of int64 range`);
      return { type: 'int', value: big };
    }
    case 'doubleValue':
      if (typeof inner === 'number') return { type: 'double', value: inner };
      if (inner === 'NaN' || inner === 'Infinity' || inner === '-Infinity') {
        return { type: 'double', value: Number(inner) };
      }
      return fail(where, `doubleValue must be a JSON number, got ${JSON.stringify(inner)}`);
    case 'arrayValue':
      checkJsonKeys(inner, 'arrayValue', where);
      return {
        type: 'array',
        value: jsonArray(inner, 'values', where).map((v, i) => jsonAnyValue(v, `${where}[${i}]`)),
      };
    case 'kvlistValue':
      checkJsonKeys(inner, 'kvlistValue', where);
      return { type: 'kvlist', value: jsonKeyValues(inner, 'values', where) };
    case 'bytesValue':
      if (typeof inner !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(inner)) {
        fail(where, 'bytesValue must be a base64 string');
      }
      return { type: 'bytes', value: Buffer.from(inner, 'base64').toString('hex') };
    default:
      return fail(where, `unexpected AnyValue field ${field}`);
  }
}

// Converts an OTLP/JSON list of KeyValue under obj[key] to [{key, value: typed}].
function jsonKeyValues(obj, key, where) {
  return jsonArray(obj, key, where).map((kv, i) => {
    const at = `${where}.${key}[${i}]`;
    checkJsonKeys(kv, 'keyValue', at);
    if (typeof kv.key !== 'string') fail(at, '"key" must be a JSON string');
    if (kv.value === undefined) fail(at, `attribute "${kv.key}" has no value`);
    return { key: kv.key, value: jsonAnyValue(kv.value, `${at} (${kv.key})`) };
  });
}

// Converts one OTLP/JSON span to a raw span.
function jsonSpan(span, where) {
  checkJsonKeys(span, 'span', where);
  if (span.flags !== undefined) jsonUint32(span, 'flags', where);
  let status = { code: 0, message: '' };
  if (span.status !== undefined) {
    checkJsonKeys(span.status, 'status', `${where}.status`);
    status = {
      code: jsonEnum(span.status, 'code', STATUS_NAMES.length, `${where}.status`),
      message: jsonString(span.status, 'message', `${where}.status`, ''),
    };
  }
  if (typeof span.name !== 'string') fail(where, '"name" must be a JSON string');
  return {
    traceId: jsonId(span, 'traceId', 16, false, where),
    spanId: jsonId(span, 'spanId', 8, false, where),
    parentSpanId: jsonId(span, 'parentSpanId', 8, true, where),
    traceState: jsonString(span, 'traceState', where, ''),
    name: span.name,
    kind: jsonEnum(span, 'kind', KIND_NAMES.length, where),
    start: jsonUnixNano(span, 'startTimeUnixNano', where),
    end: jsonUnixNano(span, 'endTimeUnixNano', where),
    status,
    attributes: jsonKeyValues(span, 'attributes', where),
    droppedAttributes: jsonUint32(span, 'droppedAttributesCount', where),
    events: jsonArray(span, 'events', where).map((event, i) => {
      const at = `${where}.events[${i}]`;
      checkJsonKeys(event, 'event', at);
      return {
        time: jsonUnixNano(event, 'timeUnixNano', at),
        name: jsonString(event, 'name', at, ''),
        attributes: jsonKeyValues(event, 'attributes', at),
        droppedAttributes: jsonUint32(event, 'droppedAttributesCount', at),
      };
    }),
    droppedEvents: jsonUint32(span, 'droppedEventsCount', where),
    links: jsonArray(span, 'links', where).length,
    droppedLinks: jsonUint32(span, 'droppedLinksCount', where),
  };
}

// Parses one OTLP/JSON ExportTraceServiceRequest (text) into a raw request.
function decodeJsonRequest(text, where) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(where, `not valid JSON: ${err.message}`);
  }
  checkJsonKeys(doc, 'request', where);
  return {
    resourceSpans: jsonArray(doc, 'resourceSpans', where).map((rs, i) => {
      const rsWhere = `${where} resourceSpans[${i}]`;
      checkJsonKeys(rs, 'resourceSpans', rsWhere);
      jsonString(rs, 'schemaUrl', rsWhere, '');
      const resource = rs.resource === undefined ? {} : rs.resource;
      checkJsonKeys(resource, 'resource', `${rsWhere}.resource`);
      return {
        resource: {
          attributes: jsonKeyValues(resource, 'attributes', `${rsWhere}.resource`),
          dropped: jsonUint32(resource, 'droppedAttributesCount', `${rsWhere}.resource`),
        },
        scopeSpans: jsonArray(rs, 'scopeSpans', rsWhere).map((ss, j) => {
          const ssWhere = `${rsWhere}.scopeSpans[${j}]`;
          checkJsonKeys(ss, 'scopeSpans', ssWhere);
          jsonString(ss, 'schemaUrl', ssWhere, '');
          const scope = ss.scope === undefined ? {} : ss.scope;
          checkJsonKeys(scope, 'scope', `${ssWhere}.scope`);
          return {
            scope: {
              name: jsonString(scope, 'name', `${ssWhere}.scope`, ''),
              version: jsonString(scope, 'version', `${ssWhere}.scope`, ''),
              attributes: jsonKeyValues(scope, 'attributes', `${ssWhere}.scope`),
              dropped: jsonUint32(scope, 'droppedAttributesCount', `${ssWhere}.scope`),
            },
            spans: jsonArray(ss, 'spans', ssWhere).map((span, k) => jsonSpan(span, `${ssWhere}.spans[${k}]`)),
          };
        }),
      };
    }),
  };
}

// ---------------------------- OTLP protobuf (root.js) ----------------------------------

// Converts a protobufjs Long or number to a BigInt.
function toBigInt(value, unsigned) {
  const big = typeof value === 'number' ? BigInt(value) : BigInt(Long.fromValue(value).toString());
  return unsigned && big < 0n ? big + (1n << 64n) : big;
}

// Converts a decoded bytes id to hex, checking its length; optional ids may be empty.
function pbId(bytes, byteCount, optional, name, where) {
  const hex = bytes ? Buffer.from(bytes).toString('hex') : '';
  if (hex === '' && optional) return '';
  if (hex.length !== byteCount * 2) fail(where, `${name} has ${hex.length / 2} bytes, expected ${byteCount}`);
  if (/^0+$/.test(hex)) fail(where, `${name} is all zeros (invalid)`);
  return hex;
}

// Converts a decoded AnyValue message to a typed value.
function pbAnyValue(value, where) {
  if (!value || !value.value) fail(where, 'AnyValue has no value set');
  switch (value.value) {
    case 'stringValue': return { type: 'string', value: value.stringValue };
    case 'boolValue': return { type: 'bool', value: value.boolValue };
    case 'intValue': return { type: 'int', value: BigInt(Long.fromValue(value.intValue).toString()) };
    case 'doubleValue': return { type: 'double', value: value.doubleValue };
    case 'arrayValue':
      return { type: 'array', value: (value.arrayValue.values || []).map((v, i) => pbAnyValue(v, `${where}[${i}]`)) };
    case 'kvlistValue': return { type: 'kvlist', value: pbKeyValues(value.kvlistValue.values, where) };
    case 'bytesValue': return { type: 'bytes', value: Buffer.from(value.bytesValue).toString('hex') };
    default: return fail(where, `unexpected AnyValue field ${value.value}`);
  }
}

// Converts decoded KeyValue messages to [{key, value: typed}].
function pbKeyValues(list, where) {
  return (list || []).map((kv, i) => ({
    key: kv.key || '',
    value: pbAnyValue(kv.value, `${where}.attributes[${i}] (${kv.key})`),
  }));
}

// Converts a decoded enum number, checking it is a known value.
function pbEnum(value, names, name, where) {
  const number = value || 0;
  if (!Number.isInteger(number) || number < 0 || number >= names.length) {
    fail(where, `${name} has unknown enum value ${number}`);
  }
  return number;
}

// Converts a decoded Span message to a raw span.
function pbSpan(span, where) {
  return {
    traceId: pbId(span.traceId, 16, false, 'traceId', where),
    spanId: pbId(span.spanId, 8, false, 'spanId', where),
    parentSpanId: pbId(span.parentSpanId, 8, true, 'parentSpanId', where),
    traceState: span.traceState || '',
    name: span.name || '',
    kind: pbEnum(span.kind, KIND_NAMES, 'kind', where),
    start: toBigInt(span.startTimeUnixNano || 0, true).toString(),
    end: toBigInt(span.endTimeUnixNano || 0, true).toString(),
    status: {
      code: pbEnum(span.status ? span.status.code : 0, STATUS_NAMES, 'status.code', where),
      message: (span.status && span.status.message) || '',
    },
    attributes: pbKeyValues(span.attributes, where),
    droppedAttributes: span.droppedAttributesCount || 0,
    events: (span.events || []).map((event, i) => ({
      time: toBigInt(event.timeUnixNano || 0, true).toString(),
      name: event.name || '',
      attributes: pbKeyValues(event.attributes, `${where}.events[${i}]`),
      droppedAttributes: event.droppedAttributesCount || 0,
    })),
    droppedEvents: span.droppedEventsCount || 0,
    links: (span.links || []).length,
    droppedLinks: span.droppedLinksCount || 0,
  };
}

// Field numbers the reference decoder (OTLP proto of 0.52.1) predates but the current OTLP
// proto defines, by message: Span.flags (16, fixed32). Their bytes are allowed and skipped.
const NEWER_SPAN_FIELDS = new Set([16]);

// Splits a protobuf message into its top-level fields [{number, wireType, bytes (the whole
// field incl. tag), payload (LEN fields only)}], using protobufjs's Reader.
function pbFields(buf, where) {
  const reader = Reader.create(buf);
  const fields = [];
  while (reader.pos < reader.len) {
    const begin = reader.pos;
    const tag = reader.uint32();
    const number = tag >>> 3;
    const wireType = tag & 7;
    let payload = null;
    if (wireType === 2) {
      payload = reader.bytes();
    } else {
      reader.skipType(wireType);
    }
    if (reader.pos > reader.len) fail(where, 'truncated protobuf field');
    fields.push({ number, wireType, bytes: buf.subarray(begin, reader.pos), payload });
  }
  return fields;
}

// Checks that root.js understood every byte of a message: re-encoding the decoded message
// must give back as many bytes as were sent (minus allowed newer fields). A difference
// means unknown fields or a non-canonical encoding the reference decoder ignored.
function pbCheckRoundTrip(type, buf, allowedNewer, where) {
  let allowedBytes = 0;
  const fields = pbFields(buf, where);
  for (const field of fields) {
    if (allowedNewer.has(field.number)) allowedBytes += field.bytes.length;
  }
  const reencoded = type.encode(type.decode(buf)).finish().length;
  if (reencoded !== buf.length - allowedBytes) {
    fail(where, `${buf.length - allowedBytes - reencoded} byte(s) not understood by the reference ` +
      `decoder (unknown fields or non-canonical encoding; field numbers present: ` +
      `${[...new Set(fields.map((f) => f.number))].join(',')})`);
  }
}

// Walks the request's wire format down to each Resource, InstrumentationScope and Span and
// checks each round-trips through root.js (see pbCheckRoundTrip); also rejects unknown
// fields at the request, ResourceSpans and ScopeSpans levels.
function pbCheckEveryByte(buf, where) {
  const expectFields = (fields, known, at) => {
    for (const field of fields) {
      if (!known.includes(field.number)) fail(at, `unknown field number ${field.number}`);
      if (field.wireType !== 2) fail(at, `field ${field.number} has wire type ${field.wireType}, expected 2`);
    }
  };
  const requestFields = pbFields(buf, where);
  expectFields(requestFields, [1], where);
  requestFields.forEach((rs, i) => {
    const rsWhere = `${where} resourceSpans[${i}]`;
    const rsFields = pbFields(rs.payload, rsWhere);
    expectFields(rsFields, [1, 2, 3], rsWhere);
    let scopeIndex = 0;
    for (const rsField of rsFields) {
      if (rsField.number === 1) pbCheckRoundTrip(PbResource, rsField.payload, new Set(), `${rsWhere}.resource`);
      if (rsField.number !== 2) continue;
      const ssWhere = `${rsWhere}.scopeSpans[${scopeIndex++}]`;
      const ssFields = pbFields(rsField.payload, ssWhere);
      expectFields(ssFields, [1, 2, 3], ssWhere);
      let spanIndex = 0;
      for (const ssField of ssFields) {
        if (ssField.number === 1) pbCheckRoundTrip(PbScope, ssField.payload, new Set(), `${ssWhere}.scope`);
        if (ssField.number === 2) {
          pbCheckRoundTrip(PbSpan, ssField.payload, NEWER_SPAN_FIELDS, `${ssWhere}.spans[${spanIndex++}]`);
        }
      }
    }
  });
}

// Decodes one protobuf ExportTraceServiceRequest body with root.js into a raw request.
function decodeProtobufRequest(buf, where) {
  let message;
  try {
    message = ExportTraceServiceRequest.decode(buf);
  } catch (err) {
    return fail(where, `protobuf decode failed: ${err.message}`);
  }
  pbCheckEveryByte(buf, where);
  return {
    resourceSpans: (message.resourceSpans || []).map((rs, i) => {
      const rsWhere = `${where} resourceSpans[${i}]`;
      const resource = rs.resource || {};
      return {
        resource: {
          attributes: pbKeyValues(resource.attributes, `${rsWhere}.resource`),
          dropped: resource.droppedAttributesCount || 0,
        },
        scopeSpans: (rs.scopeSpans || []).map((ss, j) => {
          const ssWhere = `${rsWhere}.scopeSpans[${j}]`;
          const scope = ss.scope || {};
          return {
            scope: {
              name: scope.name || '',
              version: scope.version || '',
              attributes: pbKeyValues(scope.attributes, `${ssWhere}.scope`),
              dropped: scope.droppedAttributesCount || 0,
            },
            spans: (ss.spans || []).map((span, k) => pbSpan(span, `${ssWhere}.spans[${k}]`)),
          };
        }),
      };
    }),
  };
}

// ---------------------------- canonical form -------------------------------------------

// Converts a typed value to its canonical JSON value (string, bool, number, {double},
// array of strings). Other types are not part of the canonical form and fail.
function canonicalValue(typed, where) {
  switch (typed.type) {
    case 'string':
    case 'bool':
      return typed.value;
    case 'int':
      if (typed.value > BigInt(Number.MAX_SAFE_INTEGER) || typed.value < BigInt(Number.MIN_SAFE_INTEGER)) {
        fail(where, `int ${typed.value} is beyond 2^53 and has no exact canonical JSON number`);
      }
      return Number(typed.value);
    case 'double':
      return { double: typed.value };
    case 'array':
      return typed.value.map((element, i) => {
        if (element.type !== 'string') fail(`${where}[${i}]`, `array element of type ${element.type}; only string arrays are canonical`);
        return element.value;
      });
    default:
      return fail(where, `attribute value of type ${typed.type} is not part of the canonical form`);
  }
}

// Converts [{key, value: typed}] to a canonical {key: value} object with sorted keys.
function canonicalAttributes(list, where) {
  const seen = new Map();
  for (const kv of list) {
    if (kv.key === '') fail(where, 'attribute with an empty key');
    if (seen.has(kv.key)) fail(where, `duplicate attribute key "${kv.key}"`);
    seen.set(kv.key, canonicalValue(kv.value, `${where} attribute ${kv.key}`));
  }
  const out = {};
  for (const key of [...seen.keys()].sort()) out[key] = seen.get(key);
  return out;
}

// Converts a raw span to the canonical span.
function canonicalSpan(span, where) {
  const at = `${where} span ${span.spanId} "${span.name}"`;
  if (span.droppedAttributes || span.droppedEvents || span.droppedLinks) {
    fail(at, 'dropped attribute/event/link counts must be 0 (nothing is silently dropped)');
  }
  if (span.links) fail(at, 'links are not part of the canonical form');
  if (span.events.some((event) => event.droppedAttributes)) {
    fail(at, 'dropped event attribute counts must be 0 (nothing is silently dropped)');
  }
  if (span.traceState !== '') fail(at, `traceState "${span.traceState}" is not part of the canonical form`);
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: KIND_NAMES[span.kind],
    startTimeUnixNano: span.start,
    endTimeUnixNano: span.end,
    status: { code: STATUS_NAMES[span.status.code], message: span.status.message },
    attributes: canonicalAttributes(span.attributes, at),
    // Only spans that have events (a failed item under the braintrust convention) show them.
    ...(span.events.length ? {
      events: span.events.map((event) => ({
        name: event.name,
        timeUnixNano: event.time,
        attributes: canonicalAttributes(event.attributes, `${at} event ${event.name}`),
      })),
    } : {}),
  };
}

// Merges raw requests ([{request, where}]) into the canonical form; every ResourceSpans must
// carry the same resource and every ScopeSpans the same scope; span ids must be unique.
function canonicalize(requests) {
  let resource = null;
  let resourceWhere = '';
  let scope = null;
  let scopeWhere = '';
  const spans = new Map();
  for (const { request, where } of requests) {
    if (request.resourceSpans.length === 0) fail(where, 'request without resourceSpans');
    for (const rs of request.resourceSpans) {
      if (rs.resource.dropped) fail(where, 'resource droppedAttributesCount must be 0');
      const thisResource = { attributes: canonicalAttributes(rs.resource.attributes, `${where} resource`) };
      if (resource === null) {
        resource = thisResource;
        resourceWhere = where;
      } else if (JSON.stringify(resource) !== JSON.stringify(thisResource)) {
        fail(where, `resource ${JSON.stringify(thisResource)} differs from the one in ${resourceWhere}: ${JSON.stringify(resource)}`);
      }
      if (rs.scopeSpans.length === 0) fail(where, 'resourceSpans without scopeSpans');
      for (const ss of rs.scopeSpans) {
        if (ss.scope.attributes.length || ss.scope.dropped) fail(where, 'scope attributes are not part of the canonical form');
        const thisScope = { name: ss.scope.name, version: ss.scope.version };
        if (scope === null) {
          scope = thisScope;
          scopeWhere = where;
        } else if (JSON.stringify(scope) !== JSON.stringify(thisScope)) {
          fail(where, `scope ${JSON.stringify(thisScope)} differs from the one in ${scopeWhere}: ${JSON.stringify(scope)}`);
        }
        if (ss.spans.length === 0) fail(where, 'scopeSpans without spans');
        for (const raw of ss.spans) {
          const span = canonicalSpan(raw, where);
          if (spans.has(span.spanId)) {
            fail(where, `span id ${span.spanId} ("${span.name}") exported twice (first in ${spans.get(span.spanId).where})`);
          }
          spans.set(span.spanId, { span, where });
        }
      }
    }
  }
  const sorted = [...spans.keys()].sort().map((id) => spans.get(id).span);
  return { resource, scope, spans: sorted };
}

// ---------------------------- inputs ---------------------------------------------------

// Reads an OTLP/JSON lines file into raw requests ([{request, where}]).
function readJsonLinesFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (text === '') return [];
  if (!text.endsWith('\n')) fail(file, 'the last request line does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  return lines.map((line, index) => {
    const where = `${path.basename(file)}:${index + 1}`;
    if (line.trim() === '') fail(where, 'empty line (one ExportTraceServiceRequest per line expected)');
    if (line.endsWith('\r')) fail(where, 'line ends with CR');
    return { request: decodeJsonRequest(line, where), where };
  });
}

// The content types the two protocols must use.
const PROTOCOL_CONTENT_TYPES = {
  'http/protobuf': 'application/x-protobuf',
  'http/json': 'application/json',
};

// Reads the sink's store directory into raw requests ([{request, where}]); protocol, when
// given, is the one every request must have used.
function readSinkDirectory(dir, protocol) {
  const metas = fs.readdirSync(dir).filter((name) => /^\d+\.json$/.test(name)).sort();
  const requests = [];
  for (const metaName of metas) {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, metaName), 'utf8'));
    const where = `request #${meta.seq} (${meta.method} ${meta.path})`;
    if (meta.response_status < 200 || meta.response_status > 299) continue;
    if (meta.method !== 'POST' || (meta.path !== '/v1/traces' && meta.path !== '/otel/v1/traces')) {
      fail(where, 'expected POST /v1/traces (or Braintrust\'s /otel/v1/traces)');
    }
    const contentType = (meta.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (protocol && PROTOCOL_CONTENT_TYPES[protocol] !== contentType) {
      fail(where, `content-type "${contentType}" but protocol ${protocol} needs "${PROTOCOL_CONTENT_TYPES[protocol]}"`);
    }
    const body = fs.readFileSync(path.join(dir, meta.body_file));
    if (contentType === 'application/x-protobuf') {
      requests.push({ request: decodeProtobufRequest(body, where), where });
    } else if (contentType === 'application/json') {
      const text = body.toString('utf8');
      if (!Buffer.from(text, 'utf8').equals(body)) fail(where, 'JSON body is not valid UTF-8');
      requests.push({ request: decodeJsonRequest(text, where), where });
    } else {
      fail(where, `unsupported content-type "${contentType}"`);
    }
  }
  return requests;
}

// Normalizes a file or sink directory (see the header); options: {protocol, missingOk}.
function normalize(input, options = {}) {
  if (!fs.existsSync(input)) {
    if (options.missingOk) return canonicalize([]);
    fail(input, 'does not exist');
  }
  if (fs.statSync(input).isDirectory()) return canonicalize(readSinkDirectory(input, options.protocol));
  return canonicalize(readJsonLinesFile(input));
}

// Command-line entry: see the header.
function main(argv) {
  const options = {};
  let input = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--protocol') options.protocol = argv[++i];
    else if (argv[i] === '--missing-ok') options.missingOk = true;
    else if (input === null) input = argv[i];
    else throw new Error(`unexpected argument ${argv[i]}`);
  }
  if (input === null) {
    process.stderr.write('usage: node normalize.js [--protocol P] [--missing-ok] FILE|DIR\n');
    return 2;
  }
  try {
    process.stdout.write(`${JSON.stringify(normalize(input, options), null, 2)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof OracleError)) throw err;
    process.stderr.write(`normalize: ${err.message}\n`);
    return 1;
  }
}

module.exports = {
  OracleError, normalize, decodeJsonRequest, decodeProtobufRequest, canonicalize,
  readSinkDirectory, readJsonLinesFile, KIND_NAMES, STATUS_NAMES,
};

if (require.main === module) process.exitCode = main(process.argv.slice(2));
