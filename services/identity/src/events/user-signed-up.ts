import { UserSignedUpSchema } from "@weft/gen/shop/identity/v1/events_pb.js";
import type { Transaction } from "@weft/mesh/data";
import { recordEvent } from "@weft/mesh/events";
import { userToProto } from "../rpc/to-proto.ts";
import type * as schema from "../store/schema.ts";
import type { UserRow } from "../store/users.ts";

/** Records UserSignedUp in the outbox, in the transaction that created the account. */
export function recordUserSignedUp(tx: Transaction<typeof schema>, user: UserRow): Promise<string> {
  return recordEvent(tx, { schema: UserSignedUpSchema, message: { user: userToProto(user) }, subject: user.id });
}
