// POST /models/instances/sync over the nodes the emulator stores. Each result expression of `with`
// reads the project's change sequence from its cursor: without one, a backfill of every matching
// node (mode onePhase and twoPhase alike here: nodes come in the order they last changed) and then
// every later change; with mode noBackfill, only later changes. A node changed twice between reads
// is returned once, in its latest state, as CDF's sync returns the current state of changed
// instances. Deleted nodes come as tombstones with deletedTime; those deleted before the sync
// started are left out unless skipAlreadyDeleted is false. Every answer has a cursor for every
// expression, also when nothing changed.

import { CdfError } from "../context.js";
import { compileInstanceFilter, type NodePredicate } from "./instanceFilter.js";
import { type InstanceStore, TOMBSTONE_RETENTION_MS } from "./instanceStore.js";
import type { SyncBody, SyncNodeExpression } from "./modelRequests.js";
import { nodeDto } from "./nodeDto.js";
import { decodeSyncCursor, encodeSyncCursor, type SyncCursor } from "./syncCursor.js";

const DEFAULT_LIMIT = 100;
const CURSOR_LIFETIME_MS = TOMBSTONE_RETENTION_MS;

export function syncInstances(
  store: InstanceStore,
  body: SyncBody,
  now: number,
): { items: Record<string, unknown[]>; nextCursor: Record<string, string> } {
  const expressions = new Map<string, SyncNodeExpression>();
  for (const [name, expression] of Object.entries(body.with)) {
    if (expression === "edges") {
      throw new CdfError(400, `with.${name}: the emulator stores no edges; sync nodes only`);
    }
    expressions.set(name, expression);
  }
  for (const name of Object.keys(body.select)) {
    if (!expressions.has(name)) {
      throw new CdfError(400, `select.${name}: there is no result expression '${name}' in with`);
    }
  }
  for (const name of Object.keys(body.cursors ?? {})) {
    if (!expressions.has(name)) {
      throw new CdfError(400, `cursors.${name}: there is no result expression '${name}' in with`);
    }
  }
  const items: Record<string, unknown[]> = {};
  const nextCursor: Record<string, string> = {};
  for (const [name, expression] of expressions) {
    const where = `with.${name}`;
    const matches: NodePredicate =
      expression.nodes.filter === undefined
        ? () => true
        : compileInstanceFilter(expression.nodes.filter, `${where}.nodes.filter`);
    const start = startOf(store, expression, body, name, now);
    const limit = expression.limit ?? DEFAULT_LIMIT;
    const skipAlreadyDeleted = expression.skipAlreadyDeleted ?? true;
    const taken = [];
    let position = start.position;
    let more = false;
    for (const node of store.changedSince(start.position)) {
      if (taken.length === limit) {
        more = true;
        break;
      }
      position = node.seq;
      if (!matches(node)) continue;
      if (node.deletedTime !== undefined && skipAlreadyDeleted && node.seq <= start.backfillUntil) continue;
      taken.push(node);
    }
    if (!more) position = Math.max(position, store.lastSeq);
    const selected = body.select[name]?.sources?.flatMap((s) => s.properties);
    if (body.select[name] !== undefined) items[name] = taken.map((n) => nodeDto(n, selected));
    nextCursor[name] = encodeSyncCursor({ position, backfillUntil: start.backfillUntil, issuedAt: now });
  }
  return { items, nextCursor };
}

function startOf(
  store: InstanceStore,
  expression: SyncNodeExpression,
  body: SyncBody,
  name: string,
  now: number,
): SyncCursor {
  const text = body.cursors?.[name];
  if (text === undefined) {
    const everything = store.lastSeq;
    return expression.mode === "noBackfill"
      ? { position: everything, backfillUntil: everything, issuedAt: now }
      : { position: 0, backfillUntil: everything, issuedAt: now };
  }
  const cursor = decodeSyncCursor(text, `cursors.${name}`);
  if (cursor.position > store.lastSeq) {
    throw new CdfError(
      400,
      `cursors.${name}: the cursor is ahead of this project's changes (was it issued by another project or before a reset?); leave it out to sync from the start`,
    );
  }
  if (now - cursor.issuedAt > CURSOR_LIFETIME_MS && body.allowExpiredCursorsAndAcceptMissedDeletes !== true) {
    throw new CdfError(
      400,
      `cursors.${name}: the cursor has expired (sync cursors live 3 days, after which deletions are forgotten). ` +
        "Sync again without a cursor, or set allowExpiredCursorsAndAcceptMissedDeletes to accept missed deletes",
    );
  }
  return cursor;
}
