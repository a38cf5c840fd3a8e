// Pays Ishtar's compatibility report with the official x402 TypeScript SDK under Node:
// @x402/core (x402Client, x402HTTPClient) with @x402/evm's exact scheme and a viem account.
//
// Run by tests/api/payments.rs (interop tests); see docs/payments.md "Interop tests".
//
//   X402_NODE_DIR=<folder with node_modules> node x402_pay.cjs <url> <json body> <owner token> <private key hex> <1|2>
//
// Version 2: the SDK reads PAYMENT-REQUIRED and pays with PAYMENT-SIGNATURE. Version 1: the
// SDK is shown the v1 body only (as from a v1-only server) and pays with X-PAYMENT.
// Prints one JSON line like x402_pay.py; exits non-zero with a message on stderr.
"use strict";

const path = require("node:path");
const { createRequire } = require("node:module");

const dir = process.env.X402_NODE_DIR;
if (!dir) {
  console.error("x402_pay.cjs: set X402_NODE_DIR");
  process.exit(2);
}
const load = createRequire(path.join(path.resolve(dir), "package.json"));
const { x402Client, x402HTTPClient } = load("@x402/core/client");
const { registerExactEvmScheme } = load("@x402/evm/exact/client");
const { privateKeyToAccount } = load("viem/accounts");

function fail(msg) {
  console.error(`x402_pay.cjs: ${msg}`);
  process.exit(1);
}

async function post(url, body, token, extra) {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, ...extra },
    body,
  });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

async function main() {
  const [url, body, token, key, v] = process.argv.slice(2);
  const version = Number(v);
  let r = await post(url, body, token, {});
  if (r.status !== 402) fail(`expected 402, got ${r.status}: ${r.text.slice(0, 300)}`);

  const client = new x402Client();
  registerExactEvmScheme(client, { signer: privateKeyToAccount(key) });
  // @x402/core 2.27 refuses payments over $1 unless told otherwise; the report costs $5.00.
  client.setSpendControls({ maxAmountPerPayment: "$5" });
  const http = new x402HTTPClient(client);

  const getHeader = version === 2 ? name => r.headers.get(name) : () => null;
  if (version === 2 && !r.headers.get("PAYMENT-REQUIRED")) fail("no PAYMENT-REQUIRED header");
  const required = http.getPaymentRequiredResponse(getHeader, JSON.parse(r.text));
  if (required.x402Version !== version) fail(`the SDK read a version-${required.x402Version} challenge`);

  const payload = await http.createPaymentPayload(required);
  const payHeaders = http.encodePaymentSignatureHeader(payload);
  r = await post(url, body, token, payHeaders);
  if (r.status !== 200) fail(`expected 200 after paying, got ${r.status}: ${r.text.slice(0, 500)}`);
  const settle = http.getPaymentSettleResponse(name => r.headers.get(name));
  console.log(
    JSON.stringify({
      version,
      paymentHeader: Object.keys(payHeaders)[0],
      status: r.status,
      settle,
      responseHeaders: [...r.headers.keys()].map(k => k.toUpperCase()).sort(),
      body: JSON.parse(r.text),
    }),
  );
}

main().catch(e => fail(e && e.stack ? e.stack : String(e)));
