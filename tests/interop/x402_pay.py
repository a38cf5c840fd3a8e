"""Pays Ishtar's compatibility report with the official x402 Python SDK (x402 2.25).

Run by tests/api/payments.rs (interop tests); see docs/payments.md "Interop tests".

    python x402_pay.py <url> <json body> <owner token> <private key hex> <1|2>

1. POST without payment: expects 402 with the v1 body and the v2 PAYMENT-REQUIRED header.
2. Version 2: the SDK reads PAYMENT-REQUIRED (as x402HTTPClient does) and pays with
   PAYMENT-SIGNATURE. Version 1: the SDK reads the v1 body only (as a v1-only client does:
   PaymentRequiredV1, the `base` entry) and pays with X-PAYMENT.
3. POST again with the SDK's header: expects 200 and the settlement header of that version,
   decoded by the SDK.

Prints one JSON line: {"version", "paymentHeader", "status", "settle", "responseHeaders",
"body"}; exits non-zero with a message on stderr when anything is off.
"""

import json
import sys
import urllib.error
import urllib.request

from eth_account import Account
from x402 import PaymentRequiredV1, x402ClientSync
from x402.http import x402HTTPClientSync
from x402.mechanisms.evm.exact import register_exact_evm_client


def post(url, body, token, extra_headers=None):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    headers.update(extra_headers or {})
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def fail(msg):
    print(f"x402_pay.py: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    url, body, token, key, version = sys.argv[1:6]
    version = int(version)
    status, headers, raw = post(url, body, token)
    if status != 402:
        fail(f"expected 402, got {status}: {raw[:300]!r}")

    client = x402ClientSync()
    register_exact_evm_client(client, Account.from_key(key))
    # x402 2.25 refuses payments over $1 unless told otherwise; the report costs $5.00.
    client.set_spend_controls({"max_amount_per_payment": "$5"})
    http = x402HTTPClientSync(client)
    upper = {k.upper(): v for k, v in headers.items()}

    if version == 2:
        if "PAYMENT-REQUIRED" not in upper:
            fail("no PAYMENT-REQUIRED header on the 402")
        required = http.get_payment_required_response(lambda n: upper.get(n.upper()), raw)
    else:
        required = PaymentRequiredV1.model_validate(json.loads(raw))
    if required.x402_version != version:
        fail(f"the SDK read a version-{required.x402_version} challenge")

    payload = http.create_payment_payload(required)
    pay_headers = http.encode_payment_signature_header(payload)
    status, headers, raw = post(url, body, token, pay_headers)
    if status != 200:
        fail(f"expected 200 after paying, got {status}: {raw[:500]!r}")
    upper = {k.upper(): v for k, v in headers.items()}
    settle = http.get_payment_settle_response(lambda n: upper.get(n.upper()))
    print(
        json.dumps(
            {
                "version": version,
                "paymentHeader": next(iter(pay_headers)),
                "status": status,
                "settle": settle.model_dump(by_alias=True, exclude_none=True),
                "responseHeaders": sorted(upper),
                "body": json.loads(raw),
            }
        )
    )


if __name__ == "__main__":
    main()
