// A Onewindow service in JavaScript: residents record their electricity-meter
// readings.
//
// Routes, under /api/v1/services/js-example:
//
//     GET  /hello      anyone: a JSON greeting
//     POST /readings   a signed-in resident: {"meter": "E-1001", "reading": 12.5}
//     GET  /readings   a signed-in resident: their own readings, newest first
//
// Built with componentize-js (StarlingMonkey), which binds the imports below
// from the WIT while it builds; `npm run build` in this directory runs:
//
//     componentize-js service.js --wit ../../wit --world-name service \
//         --disable http fetch-event -o plugin.wasm
//
// Import specifiers carry the contract version of the WIT built against.

import { insert, select } from 'onewindow:platform/data@0.1.2';
import { write } from 'onewindow:platform/log@0.1.2';

const TABLE = 'readings';
const METER = /^[A-Z]-[0-9]{4,10}$/;

// An error answered as application/problem+json (RFC 9457), in the shape the
// host and the Rust SDK use, so a client cannot tell them apart.
class Problem extends Error {
  constructor(status, kind, title, detail, { errors = [], headers = [] } = {}) {
    super(detail);
    Object.assign(this, { status, kind, title, detail, errors, headers });
  }

  static validation(errors) {
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return new Problem(422, 'validation-failed', 'Validation failed', detail, { errors });
  }

  response(requestId) {
    const body = {
      type: `urn:onewindow:problem:${this.kind}`,
      title: this.title,
      status: this.status,
      detail: this.detail,
      request_id: requestId,
    };
    if (this.errors.length > 0) body.errors = this.errors;
    return json(this.status, body, 'application/problem+json', this.headers);
  }
}

function json(status, value, contentType = 'application/json', headers = []) {
  const body = new TextEncoder().encode(JSON.stringify(value));
  return { status, headers: [['content-type', contentType], ...headers], body };
}

function signedInResident(request) {
  const { caller } = request;
  if (!caller) {
    throw new Problem(401, 'unauthorized', 'Sign-in required', 'sign in as a resident first');
  }
  if (caller.role !== 'resident') {
    throw new Problem(403, 'forbidden', 'Forbidden', 'only residents record meter readings');
  }
  return caller;
}

function hello() {
  return json(200, { message: 'Hello from JavaScript', language: 'javascript' });
}

function record(request) {
  const caller = signedInResident(request);
  const { meter, reading } = parseReading(request.body);
  const id = insert(TABLE, [
    { column: 'resident', value: { tag: 'text', val: caller.subject } },
    { column: 'meter', value: { tag: 'text', val: meter } },
    { column: 'reading', value: { tag: 'real', val: reading } },
  ]);
  write('info', `reading ${id} recorded for meter ${meter}`);
  // s64 arrives as a BigInt, which JSON.stringify refuses.
  return json(201, { id: Number(id), meter, reading });
}

// The body as { meter, reading }, or a problem naming every bad field.
function parseReading(body) {
  let fields;
  try {
    fields = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (error) {
    throw new Problem(400, 'bad-request', 'Bad request', `the body is not JSON: ${error.message}`);
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new Problem(400, 'bad-request', 'Bad request', 'the body must be a JSON object');
  }
  const { meter, reading } = fields;
  const errors = [];
  if (typeof meter !== 'string' || !METER.test(meter)) {
    errors.push({ field: 'meter', message: 'must be a meter number such as E-1001' });
  }
  if (typeof reading !== 'number' || !(reading >= 0 && reading < 1e9)) {
    errors.push({ field: 'reading', message: 'must be a number from 0 to 999999999' });
  }
  for (const unknown of Object.keys(fields).filter((k) => k !== 'meter' && k !== 'reading').sort()) {
    errors.push({ field: unknown, message: 'is not a field of a reading' });
  }
  if (errors.length > 0) throw Problem.validation(errors);
  return { meter, reading };
}

function ownReadings(request) {
  const caller = signedInResident(request);
  const rows = select({
    table: TABLE,
    columns: ['id', 'meter', 'reading'],
    conditions: [{ column: 'resident', predicate: { tag: 'eq', val: { tag: 'text', val: caller.subject } } }],
    orderBy: [{ column: 'id', descending: true }],
    limit: 100,
    offset: undefined,
  });
  // Every value is a variant { tag, val }; integers (the id) are BigInts.
  const plain = ({ tag, val }) => (tag === 'null' ? null : tag === 'integer' ? Number(val) : val);
  const readings = rows.rows.map((row) => Object.fromEntries(row.map((v, i) => [rows.columns[i], plain(v)])));
  return json(200, readings);
}

const ROUTES = {
  '/hello': { GET: hello },
  '/readings': { GET: ownReadings, POST: record },
};

export function handle(request) {
  try {
    const methods = ROUTES[request.path];
    if (methods === undefined) {
      throw new Problem(404, 'not-found', 'Not found', `no route ${request.path}`);
    }
    const handler = methods[request.method];
    if (handler === undefined) {
      const allow = Object.keys(methods).join(', ');
      const detail = `${request.path} answers ${allow}`;
      throw new Problem(405, 'method-not-allowed', 'Method not allowed', detail, { headers: [['allow', allow]] });
    }
    return handler(request);
  } catch (error) {
    if (error instanceof Problem) return error.response(request.requestId);
    // A capability call failed (its WIT error is the `payload`): the
    // service's own fault. Details go to the plugin's log only.
    write('error', `${request.method} ${request.path}: ${JSON.stringify(error.payload ?? String(error))}`);
    const detail = 'the service failed; quote the request id';
    return new Problem(500, 'internal', 'Internal error', detail).response(request.requestId);
  }
}
