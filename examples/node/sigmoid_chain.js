#!/usr/bin/env node
// The seed's scalar sigmoid chain, h = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2))), computed by a
// gradrpc server and driven from Node.js through the raw gRPC contract
// (protos/gradrpc/v1/gradrpc.proto), written from docs/protocol.md alone.
//
// One session, one Execute batch: upload the five leaves, apply the chain's ops as `call`
// operations, run backward from h, bind each leaf's .grad to a handle of our own and fetch
// those handles. Prints the five gradients to four decimals and checks them against the
// seed's numbers.
//
// Environment:
//   GRADRPC_ADDRESS      host:port of the server (default 127.0.0.1:50051)
//   GRADRPC_DEADLINE_MS  deadline of each call in milliseconds (default 10000)
//   GRADRPC_SESSION_ID   use this session id instead of 128 fresh random bits
//
// Exit status: 0 when every gradient matches, 1 on a mismatch or any gRPC error (the status
// code, message and ErrorInfo are printed to stderr), 2 on bad settings.
'use strict';

const crypto = require('node:crypto');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO_ROOT = path.resolve(__dirname, '..', '..', 'protos');
const SESSION_METADATA_KEY = 'gradrpc-session-id';
const ERROR_DOMAIN = 'gradrpc.dev';
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024; // the server's default limit

// ------------------------------------------------------------------ the contract

// keepCase: fields keep their .proto names (keep_alive_timeout, requires_grad, ...).
// longs: String: int64/uint64 fields (handles, shapes) arrive as decimal strings.
// enums: String: DataType arrives as 'DATA_TYPE_FLOAT32'.
// oneofs: true: a decoded message also names the field its oneof holds.
const packageDefinition = protoLoader.loadSync('gradrpc/v1/gradrpc.proto', {
  includeDirs: [PROTO_ROOT],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const { GradService } = grpc.loadPackageDefinition(packageDefinition).gradrpc.v1;

// The rich error model: the server puts a google.rpc.Status (serialized) into the trailer
// `grpc-status-details-bin`; its details hold a google.rpc.ErrorInfo. Only the fields we
// read are declared, with their numbers from google/rpc/status.proto and
// google/rpc/error_details.proto.
const rpcTypes = new protobuf.Root();
protobuf.parse(
  `syntax = "proto3";
   package google.protobuf;
   message Any { string type_url = 1; bytes value = 2; }`,
  rpcTypes,
  { keepCase: true },
);
protobuf.parse(
  `syntax = "proto3";
   package google.rpc;
   message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
   message ErrorInfo { string reason = 1; string domain = 2; map<string, string> metadata = 3; }`,
  rpcTypes,
  { keepCase: true },
);
const RpcStatus = rpcTypes.lookupType('google.rpc.Status');
const ErrorInfo = rpcTypes.lookupType('google.rpc.ErrorInfo');
const ERROR_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ErrorInfo';

// ------------------------------------------------------------------ the seed

const LEAVES = [
  // name, value, handle
  ['w0', 2.0, 1],
  ['x0', -1.0, 2],
  ['w1', -3.0, 3],
  ['x1', -2.0, 4],
  ['w2', -3.0, 5],
];
// dh/d<leaf> as the seed prints it (four decimals). The seed prints w1.grad twice, for
// dh/dw1 and dh/dx1; dh/dx1 is really dh/db * w1 = 0.1966 * -3 = -0.5898.
const EXPECTED = { w0: '-0.1966', x0: '0.3932', w1: '-0.3932', x1: '-0.5898', w2: '0.1966' };
const ORDER = ['w0', 'x0', 'w1', 'x1', 'w2'];

// ------------------------------------------------------------------ wire helpers

/** A float32 0-d tensor: shape [], 4 little-endian bytes. */
function scalarFloat32(x) {
  const data = Buffer.alloc(4);
  data.writeFloatLE(x, 0);
  return { dtype: 'DATA_TYPE_FLOAT32', shape: [], data };
}

const ITEM_SIZE = {
  DATA_TYPE_FLOAT32: 4,
  DATA_TYPE_FLOAT64: 8,
  DATA_TYPE_INT64: 8,
  DATA_TYPE_BOOL: 1,
};

/** A TensorValue's elements, row-major, as a flat array (BigInt for INT64). */
function decodeTensor(value) {
  const size = value.shape.reduce((n, d) => n * Number(d), 1);
  const itemSize = ITEM_SIZE[value.dtype];
  if (itemSize === undefined || value.data.length !== size * itemSize) {
    throw new Error(`malformed TensorValue: ${value.dtype}, shape [${value.shape}]`);
  }
  const out = [];
  for (let i = 0; i < size; i++) {
    const at = i * itemSize;
    switch (value.dtype) {
      case 'DATA_TYPE_FLOAT32': out.push(value.data.readFloatLE(at)); break;
      case 'DATA_TYPE_FLOAT64': out.push(value.data.readDoubleLE(at)); break;
      case 'DATA_TYPE_INT64': out.push(value.data.readBigInt64LE(at)); break;
      default: out.push(value.data[at] !== 0);
    }
  }
  return out;
}

const tensor = (handle) => ({ handle });
const number = (x) => ({ float_value: x });
const upload = (output, value) => ({ upload: { output, value, requires_grad: true } });
const call = (op, inputs, output) => ({ call: { op, inputs, output } });
const backward = (...roots) => ({ backward: { roots } });
const bindGrad = (handle, output) => ({ bind_grad: { tensor: handle, output } });

/** Promise wrapper for a unary call, with the session metadata and a deadline. */
function unary(client, method, request, metadata, deadlineMs) {
  return new Promise((resolve, reject) => {
    const options = { deadline: new Date(Date.now() + deadlineMs) };
    client[method](request, metadata, options, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

/** The ErrorInfo of a failed call, or null when the status carries none. */
function errorInfoOf(error) {
  const raw = error.metadata && error.metadata.get('grpc-status-details-bin');
  if (!raw || raw.length === 0) return null;
  const status = RpcStatus.decode(raw[0]);
  for (const detail of status.details) {
    if (detail.type_url === ERROR_INFO_TYPE_URL) return ErrorInfo.decode(detail.value);
  }
  return null;
}

function describeRpcError(error) {
  const code = grpc.status[error.code] || 'UNKNOWN';
  const lines = [`gRPC error: ${code} (${error.code}): ${error.details}`];
  const info = errorInfoOf(error);
  if (info) {
    const domain = info.domain === ERROR_DOMAIN ? '' : ` (domain ${info.domain})`;
    lines.push(`  reason: ${info.reason}${domain}`);
    for (const key of Object.keys(info.metadata).sort()) {
      lines.push(`  ${key}: ${info.metadata[key]}`);
    }
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------ the run

async function run(address, sessionId, deadlineMs) {
  const client = new GradService(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const metadata = new grpc.Metadata();
  metadata.set(SESSION_METADATA_KEY, sessionId);
  const rpc = (method, request) => unary(client, method, request, metadata, deadlineMs);

  let open = false;
  try {
    await rpc('CreateSession', { keep_alive_timeout: { seconds: 60 } });
    open = true;

    const handles = Object.fromEntries(LEAVES.map(([name, , h]) => [name, h]));
    const [a, b, c, d, e, f, g, h] = [6, 7, 8, 9, 10, 11, 12, 13];
    const grads = Object.fromEntries(ORDER.map((name, i) => [name, 14 + i]));

    const operations = [
      ...LEAVES.map(([, value, handle]) => upload(handle, scalarFloat32(value))),
      call('mul', [tensor(handles.w0), tensor(handles.x0)], a), // a = w0 * x0
      call('mul', [tensor(handles.w1), tensor(handles.x1)], b), // b = w1 * x1
      call('add', [tensor(a), tensor(b)], c), // c = a + b
      call('add', [tensor(c), tensor(handles.w2)], d), // d = c + w2
      call('neg', [tensor(d)], e), // e = -d
      call('exp', [tensor(e)], f), // f = exp(e)
      call('add', [tensor(f), number(1.0)], g), // g = 1 + f
      call('div', [number(1.0), tensor(g)], h), // h = 1 / g
      backward(h), // h.backward()
      ...ORDER.map((name) => bindGrad(handles[name], grads[name])),
    ];
    const fetches = ORDER.map((name) => grads[name]);
    const response = await rpc('Execute', { operations, fetches });

    const mismatches = [];
    response.values.forEach((value, i) => {
      const name = ORDER[i];
      const shown = decodeTensor(value)[0].toFixed(4);
      console.log(`dh/d${name} = ${shown}`);
      if (shown !== EXPECTED[name]) {
        mismatches.push(`dh/d${name} is ${shown}, the seed prints ${EXPECTED[name]}`);
      }
    });

    open = false;
    await rpc('CloseSession', {});
    if (mismatches.length > 0) {
      console.error(`mismatch against the seed:\n  ${mismatches.join('\n  ')}`);
      return 1;
    }
    return 0;
  } finally {
    if (open) {
      // Best effort: the server would reap the session after its keep-alive anyway.
      await rpc('CloseSession', {}).catch(() => {});
    }
    client.close();
  }
}

async function main() {
  const address = process.env.GRADRPC_ADDRESS || '127.0.0.1:50051';
  const deadlineMs = Number(process.env.GRADRPC_DEADLINE_MS || 10000);
  if (!(deadlineMs > 0)) {
    const given = process.env.GRADRPC_DEADLINE_MS;
    console.error(`GRADRPC_DEADLINE_MS must be a positive number of milliseconds, got ${given}`);
    return 2;
  }
  // A session id is 128 random bits as 32 lowercase hexadecimal characters.
  const sessionId = process.env.GRADRPC_SESSION_ID || crypto.randomBytes(16).toString('hex');
  try {
    return await run(address, sessionId, deadlineMs);
  } catch (error) {
    if (typeof error.code === 'number' && error.metadata instanceof grpc.Metadata) {
      console.error(`sigmoid_chain: call to ${address} failed\n${describeRpcError(error)}`);
    } else {
      console.error(`sigmoid_chain: ${error.stack || error}`);
    }
    return 1;
  }
}

main().then((code) => {
  process.exitCode = code;
});
