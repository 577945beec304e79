import { ObjectId } from 'mongodb';
import { HttpError } from '../upload';
import { apiKeysCollection, toObjectId, type ApiKeyDoc } from './collections';
import { hashToken, newToken } from './tokens';

/**
 * API keys for headless use (`Authorization: Bearer mc_...`), with the owner's rights. Our own small
 * collection rather than better-auth's api-key plugin (a separate package in 1.7 that turns keys into
 * sessions through hooks and keeps its own rate limits and metadata): a key is one sha256 lookup in
 * lib/auth/identity.ts, next to share tokens, and account deletion removes it with everything else.
 */
export const API_KEY_PREFIX = 'mc_';

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export function toApiKeyView(k: ApiKeyDoc): ApiKeyView {
  return { id: k._id.toHexString(), name: k.name, prefix: k.prefix, createdAt: k.createdAt.toISOString(), lastUsedAt: k.lastUsedAt?.toISOString() ?? null };
}

export function parseKeyName(value: unknown): string {
  const name = typeof value === 'string' ? value.replace(/[\u0000-\u001f\u007f]/g, '').trim() : '';
  if (!name || name.length > 100) throw new HttpError(400, 'Give the key a name of 1 to 100 characters (e.g. "analysis script").');
  return name;
}

export async function createApiKey(userId: string, name: string): Promise<ApiKeyView & { key: string }> {
  const keys = await apiKeysCollection();
  if ((await keys.countDocuments({ userId })) >= 50) throw new HttpError(409, 'An account can have at most 50 API keys; revoke one first.');
  const key = newToken(32, API_KEY_PREFIX);
  const doc: ApiKeyDoc = { _id: new ObjectId(), userId, name, prefix: key.slice(0, 10), hash: hashToken(key), createdAt: new Date(), lastUsedAt: null };
  await keys.insertOne(doc);
  return { ...toApiKeyView(doc), key };
}

export async function listApiKeys(userId: string): Promise<ApiKeyView[]> {
  return (await (await apiKeysCollection()).find({ userId }, { sort: { createdAt: -1 } }).toArray()).map(toApiKeyView);
}

/** Revoking deletes the key: the next request with it is anonymous. */
export async function revokeApiKey(userId: string, keyId: string): Promise<void> {
  const _id = toObjectId(keyId);
  const res = _id ? await (await apiKeysCollection()).deleteOne({ _id, userId }) : null;
  if (!res?.deletedCount) throw new HttpError(404, 'No such API key.');
}

export async function findApiKey(key: string): Promise<ApiKeyDoc | null> {
  if (!key.startsWith(API_KEY_PREFIX) || !/^mc_[A-Za-z0-9_-]{40,60}$/.test(key)) return null;
  const keys = await apiKeysCollection();
  const doc = await keys.findOne({ hash: hashToken(key) });
  if (doc && (!doc.lastUsedAt || Date.now() - doc.lastUsedAt.getTime() > 60_000)) {
    await keys.updateOne({ _id: doc._id }, { $set: { lastUsedAt: new Date() } });
  }
  return doc;
}
