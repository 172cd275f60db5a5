import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Role, type User, UserSchema } from "@weft/gen/shop/identity/v1/identity_pb.js";
import type { RoleName } from "../domain/role.ts";
import type { UserRow } from "../store/users.ts";

export function roleToProto(role: RoleName): Role {
  return role === "admin" ? Role.ADMIN : Role.CUSTOMER;
}

/** The public face of an account: never its credentials. */
export function userToProto(row: UserRow): User {
  return create(UserSchema, {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    role: roleToProto(row.role),
    createTime: timestampFromDate(row.createdAt),
  });
}
