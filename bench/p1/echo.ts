// The one handler both P1 servers run, and the request both clients send.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EchoRequest, EchoResponseSchema } from "@weft/gen/weft/echo/v1/echo_pb.js";

export async function echoHandler(request: EchoRequest): Promise<MessageInitShape<typeof EchoResponseSchema>> {
  return { text: request.text };
}

export const echoRequest = { text: "weft benchmark: a small unary request of about sixty-four bytes." } as const;

/** Lets every workload of namespace shop call the echo fixture (the P1 server is workload `echo`). */
export const echoPolicyYaml = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: bench-echo
  namespace: shop
spec:
  selector:
    matchLabels:
      app: echo
  action: ALLOW
  rules:
    - from:
        - source:
            principals: ["cluster.local/ns/shop/sa/bench-client"]
      to:
        - operation:
            paths: ["/weft.echo.v1.EchoService/*"]
`;
