"""Drives Ishtar's /mcp with the official MCP Python SDK (PyPI `mcp`).

Run by tests/api/mcp.rs:

    python mcp_client.py flow '<json>'

`<json>` is {"url", "doc", "foreignCouple", "signed"}: the MCP endpoint, the dating doc
to submit, a couple the new owner is not in, and a signed EIP-3009 authorization
({"signature", "authorization"}) for the x402 payment. The script walks the agent path
over MCP and prints one JSON line with what it saw; the Rust test judges it.

1. initialize (the handshake) and list the tools;
2. submit_dating_doc without a token: the owner token comes back;
3. with `Authorization: Bearer <token>` on the HTTP client: my_status, and read_couple on
   `foreignCouple` (a tool error);
4. compatibility_report without payment (the x402 PaymentRequired as a tool error), then
   with the payment in `_meta["x402/payment"]` (built as x402 clients build it: `accepted`
   is the offered requirement, `resource` the challenge's), twice;
5. a second connection as `mcp.Client` in its default mode (it probes server/discover and
   speaks the newest protocol both sides know): my_status again.
"""

import asyncio
import json
import sys

import httpx2
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client


def dump(model):
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


async def flow(cfg):
    url = cfg["url"]
    out = {}
    async with httpx2.AsyncClient(timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                out["initialize"] = dump(await session.initialize())
                out["tools"] = [dump(t) for t in (await session.list_tools()).tools]

                submitted = await session.call_tool("submit_dating_doc", cfg["doc"])
                out["submit"] = dump(submitted)
                doc = submitted.structured_content or {}
                token, owner = doc.get("ownerToken"), doc.get("ownerId")
                if token is None:
                    return out
                http.headers["Authorization"] = f"Bearer {token}"
                out["ownerToken"] = token

                out["status"] = dump(await session.call_tool("my_status", {}))
                out["foreign"] = dump(
                    await session.call_tool("read_couple", {"coupleId": cfg["foreignCouple"]})
                )

                unpaid = await session.call_tool("compatibility_report", {"ownerId": owner})
                out["unpaid"] = dump(unpaid)
                required = unpaid.structured_content or {}
                accepts = required.get("accepts") or []
                if not accepts:
                    return out
                payment = {
                    "x402Version": required["x402Version"],
                    "resource": required.get("resource"),
                    "accepted": accepts[0],
                    "payload": cfg["signed"],
                }
                out["payment"] = payment
                out["paid"] = []
                for _ in range(2):
                    paid = await session.call_tool(
                        "compatibility_report",
                        {"ownerId": owner},
                        meta={"x402/payment": payment},
                    )
                    out["paid"].append(dump(paid))

    async with httpx2.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            out["modernVersion"] = client.session.protocol_version
            out["modernStatus"] = dump(await client.call_tool("my_status", {}))
    return out


def main():
    scenario, cfg = sys.argv[1], json.loads(sys.argv[2])
    if scenario != "flow":
        raise SystemExit(f"unknown scenario {scenario}")
    print(json.dumps(asyncio.run(flow(cfg))))


if __name__ == "__main__":
    main()
