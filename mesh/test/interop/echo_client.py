"""A Python gRPC client generated from Weft's protos, calling a TypeScript server.

Run by python.test.ts with PYTHONPATH pointing at code protoc generated moments before, and the
server's port as the only argument. Prints one JSON object with what it observed.
"""

import importlib
import json
import sys

import grpc
from google.rpc import error_details_pb2, status_pb2
from weft.echo.v1 import echo_pb2, echo_pb2_grpc

SHOP_SERVICES = ["identity", "catalog", "inventory", "orders", "payments", "notifications"]


def main() -> None:
    port = sys.argv[1]
    results = {}
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = echo_pb2_grpc.EchoServiceStub(channel)

        results["unary"] = stub.Echo(echo_pb2.EchoRequest(text="from python"), timeout=5).text
        results["server_streaming"] = [m.number for m in stub.Count(echo_pb2.CountRequest(count=3), timeout=5)]
        pieces = iter([echo_pb2.CollectRequest(text=t) for t in ["py", "thon"]])
        results["client_streaming"] = stub.Collect(pieces, timeout=5).text
        chat = iter([echo_pb2.ChatRequest(text=t) for t in ["a", "b"]])
        results["bidi_streaming"] = [m.text for m in stub.Chat(chat, timeout=5)]

        try:
            stub.Echo(echo_pb2.EchoRequest(text="invalid"), timeout=5)
            results["error"] = None
        except grpc.RpcError as error:
            violations = []
            for key, value in error.trailing_metadata() or ():
                if key == "grpc-status-details-bin":
                    status = status_pb2.Status.FromString(value)
                    for detail in status.details:
                        bad_request = error_details_pb2.BadRequest()
                        if detail.Unpack(bad_request):
                            violations += [v.field for v in bad_request.field_violations]
            results["error"] = {"code": error.code().name, "violations": violations}

        try:
            stub.Echo(echo_pb2.EchoRequest(text="slow", delay_ms=5000), timeout=0.1)
            results["deadline"] = None
        except grpc.RpcError as error:
            results["deadline"] = error.code().name

    # Every shop contract compiles to importable Python with a client stub for each service.
    stubs = []
    for service in SHOP_SERVICES:
        module = importlib.import_module(f"shop.{service}.v1.{service}_pb2_grpc")
        stubs += [name for name in dir(module) if name.endswith("ServiceStub")]
    results["shop_stubs"] = sorted(stubs)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
