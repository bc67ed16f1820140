// Sessions' state: the way CDF lets a function call or schedule act as a client. A caller creates
// a session and gets a one-time nonce; the functions service binds the nonce (a call or a
// schedule), and from then on mints tokens for the session. The nonce is short lived (README.md,
// section "CDF facts": about one minute), measured here on the virtual clock.

import { randomBytes } from "node:crypto";
import { CdfError, type EmulatorContext, type EmulatorStore } from "../context.js";
import { resolveByIds } from "../resolveByIds.js";
import { readStateFile, writeStateFile } from "../stateFile.js";

/** How long a nonce can be bound after the session is created (CDF: about one minute). */
export const NONCE_LIFETIME_MS = 60_000;

export type SessionType = "CLIENT_CREDENTIALS" | "TOKEN_EXCHANGE" | "ONESHOT_TOKEN_EXCHANGE";
export type SessionStatus = "READY" | "ACTIVE" | "CANCELLED" | "EXPIRED" | "REVOKED" | "ACCESS_LOST";

export interface SessionRecord {
  id: number;
  type: SessionType;
  status: SessionStatus;
  /** The client whose capabilities the session's tokens carry. */
  clientId: string;
  creationTime: number;
  nonce: string;
  nonceExpiresAt: number;
  nonceBound: boolean;
  /** Expiry of the last token issued for the session (absent in files saved before it existed). */
  tokenExpiresAt?: number;
}

export class SessionStore implements EmulatorStore {
  #sessions = new Map<number, SessionRecord>();
  #byNonce = new Map<string, SessionRecord>();
  #nextId = 1;

  constructor(readonly ctx: Pick<EmulatorContext, "clock" | "issueToken">) {}

  create(type: SessionType, clientId: string): SessionRecord {
    const now = this.ctx.clock.now();
    const session: SessionRecord = {
      id: this.#nextId++,
      type,
      status: "READY",
      clientId,
      creationTime: now,
      nonce: randomBytes(24).toString("base64url"),
      nonceExpiresAt: now + NONCE_LIFETIME_MS,
      nonceBound: false,
    };
    this.#sessions.set(session.id, session);
    this.#byNonce.set(session.nonce, session);
    return session;
  }

  get(id: number): SessionRecord | undefined {
    return this.#sessions.get(id);
  }

  all(): SessionRecord[] {
    return [...this.#sessions.values()];
  }

  /** The session of every item, or CDF's 400 listing every unknown id in `missing`. */
  findAll(items: Array<{ id: number }>): SessionRecord[] {
    return resolveByIds(items, (i) => this.#sessions.get(i.id), { notFound: "Sessions not found" });
  }

  /**
   * Bind a nonce for `purpose` (e.g. "function call"): the session becomes ACTIVE and the nonce
   * can never be used again. Throws CDF's 400 for an unknown, used, expired or revoked nonce.
   */
  bindNonce(nonce: string, purpose: string): SessionRecord {
    const s = this.#byNonce.get(nonce);
    if (!s) {
      throw new CdfError(
        400,
        `Could not bind the session for the ${purpose}: the nonce is not valid; create a new session (POST /sessions) and pass its nonce`,
      );
    }
    if (s.status === "REVOKED") {
      throw new CdfError(400, `Could not bind the session for the ${purpose}: session ${s.id} was revoked`);
    }
    if (s.nonceBound) {
      throw new CdfError(
        400,
        `Could not bind the session for the ${purpose}: the nonce of session ${s.id} was already used; a nonce can be used once, create a new session`,
      );
    }
    if (this.ctx.clock.now() > s.nonceExpiresAt) {
      throw new CdfError(
        400,
        `Could not bind the session for the ${purpose}: the nonce of session ${s.id} expired ${NONCE_LIFETIME_MS / 1000} s after the session was created; create a new session right before using it`,
      );
    }
    s.nonceBound = true;
    s.status = "ACTIVE";
    return s;
  }

  /** A bearer token acting as the session; throws when the session was revoked. */
  issueSessionToken(sessionId: number): string {
    const s = this.#sessions.get(sessionId);
    if (!s || s.status === "REVOKED") {
      throw new Error(`session ${sessionId} is ${s ? "revoked" : "unknown"}: cannot issue a token for it`);
    }
    const token = this.ctx.issueToken({ clientId: s.clientId, sessionId: s.id });
    s.tokenExpiresAt = token.expiresAt;
    return token.accessToken;
  }

  /** Revoke (also used when a schedule is deleted: CDF ends the schedule's session with it). */
  revoke(sessionId: number): void {
    const s = this.#sessions.get(sessionId);
    if (s) s.status = "REVOKED";
  }

  reset(): void {
    this.#sessions = new Map();
    this.#byNonce = new Map();
    this.#nextId = 1;
  }

  async save(dir: string): Promise<void> {
    await writeStateFile(dir, "sessions.json", { nextId: this.#nextId, sessions: this.all() });
  }

  async load(dir: string): Promise<void> {
    const saved = await readStateFile<{ nextId: number; sessions: SessionRecord[] }>(dir, "sessions.json");
    if (!saved) return;
    this.reset();
    this.#nextId = saved.nextId;
    for (const s of saved.sessions) {
      this.#sessions.set(s.id, s);
      this.#byNonce.set(s.nonce, s);
    }
  }
}
