/** A problem with one request field, in proto field names: what INVALID_ARGUMENT lists. */
export interface FieldProblem {
  readonly field: string;
  readonly description: string;
}
