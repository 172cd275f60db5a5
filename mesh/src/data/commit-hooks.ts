// Work that may only happen once a transaction has committed (publishing the events it recorded)
// is registered on the transaction and run right after its COMMIT succeeded: never for a
// transaction that rolled back, nor for a savepoint that was rolled back inside one that committed.
// `openDatabase` installs this on the databases it opens; a transaction of any other database has
// no hooks, and `afterCommit` says so, so callers fall back to what works without them.

/** What `db.transaction` and `tx.transaction` look like to this module. */
interface Transactional {
  transaction<T>(run: (tx: never) => Promise<T>, config?: never): Promise<T>;
}

interface Scope {
  /** The database the transaction runs on (what `openDatabase` returned as `db`). */
  readonly db: object;
  readonly hooks: Array<() => void>;
}

const scopes = new WeakMap<object, Scope>();

/**
 * Runs `hook` after the transaction `tx` (or the outermost one it is a savepoint of) commits;
 * returns false, registering nothing, when `tx` belongs to a database without commit hooks. A hook
 * runs after the caller's work succeeded, before the caller hears of it: one that throws is
 * reported as a process warning, and neither the other hooks nor the caller's result are lost.
 */
export function afterCommit(tx: object, hook: () => void): boolean {
  const scope = scopes.get(tx);
  if (scope === undefined) return false;
  scope.hooks.push(hook);
  return true;
}

/** The database (with commit hooks) that `tx` is a transaction of; undefined for any other. */
export function databaseOf(tx: object): object | undefined {
  return scopes.get(tx)?.db;
}

/** Gives `db`'s transactions (and their savepoints) commit hooks; returns `db`. */
export function installCommitHooks<Db extends object>(db: Db): Db {
  const target = db as unknown as Transactional;
  const begin = target.transaction.bind(target);
  target.transaction = async (run, config) => {
    const hooks: Array<() => void> = [];
    const result = await begin((tx: never) => {
      enterScope(tx, { db, hooks });
      return run(tx);
    }, config);
    runHooks(hooks);
    return result;
  };
  return db;
}

function runHooks(hooks: ReadonlyArray<() => void>): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch (error) {
      // The transaction committed: its caller must hear of that, not of a hook's failure.
      process.emitWarning(error instanceof Error ? error : String(error), { code: "WEFT_COMMIT_HOOK_FAILED" });
    }
  }
}

/** Marks `tx` as in `scope`, and its savepoints as in scopes that hand their hooks up on release. */
function enterScope(tx: object, scope: Scope): void {
  scopes.set(tx, scope);
  const nested = tx as Transactional;
  const savepoint = nested.transaction.bind(nested);
  nested.transaction = async (run) => {
    const hooks: Array<() => void> = [];
    const result = await savepoint((inner: never) => {
      enterScope(inner, { db: scope.db, hooks });
      return run(inner);
    });
    // Released: its hooks now wait for the outer transaction; rolled back (thrown): dropped.
    scope.hooks.push(...hooks);
    return result;
  };
}
