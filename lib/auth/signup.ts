import { getConfig } from '../config';
import { adoptOrphanClips } from '../clips/ownership';
import { log } from '../log';
import { HttpError } from '../upload';
import { invitesCollection, metaCollection, usersCollection, type Role } from './collections';
import { hashToken, plausibleToken } from './tokens';

/**
 * Who may create an account. The very first account of an install needs nothing and becomes the admin;
 * after that SIGNUP decides: open (anyone), invite (a single-use invite from an admin), closed.
 */
export async function hasAnyUser(): Promise<boolean> {
  // one indexed read, exact: estimatedDocumentCount() reads collection metadata, which MongoDB may leave
  // wrong after an unclean shutdown (a crashed mongod then said "no account yet" with accounts present)
  return (await (await usersCollection()).findOne({}, { projection: { _id: 1 } })) !== null;
}

/** Cheap early answer before better-auth hashes a password (the binding decision is claimSignup). */
export async function checkSignupAllowed(invite: string | null): Promise<void> {
  if (!(await hasAnyUser())) return;
  const mode = getConfig().signup;
  if (mode === 'open') return;
  if (mode === 'closed') throw new HttpError(403, 'Sign-up is closed on this server; ask its admin.');
  if (!invite) throw new HttpError(403, 'Sign-up needs an invite link from an admin of this server.');
  const found = plausibleToken(invite) ? await (await invitesCollection()).findOne({ hash: hashToken(invite) }) : null;
  if (!found) throw new HttpError(403, 'This invite link is not valid.');
  if (found.usedAt) throw new HttpError(403, 'This invite link was already used.');
  if (found.expiresAt.getTime() <= Date.now()) throw new HttpError(403, 'This invite link has expired.');
}

/**
 * Called as the user document is about to be written: decides the role atomically. The first sign-up
 * claims the `first-admin` marker (a unique _id, so of two simultaneous first sign-ups exactly one
 * wins); otherwise an invite is consumed (single use: only an unused, unexpired one is updated).
 */
export async function claimSignup(email: string, invite: string | null): Promise<Role> {
  const meta = await metaCollection();
  if (!(await hasAnyUser())) {
    const won = await meta.insertOne({ _id: 'first-admin', at: new Date() }).then(
      () => true,
      (err) => {
        if ((err as { code?: number }).code === 11000) return false;
        throw err;
      },
    );
    if (won) return 'admin';
  }
  const mode = getConfig().signup;
  if (mode === 'closed') throw new HttpError(403, 'Sign-up is closed on this server; ask its admin.');
  if (invite && plausibleToken(invite)) {
    const used = await (await invitesCollection()).findOneAndUpdate(
      { hash: hashToken(invite), usedAt: null, expiresAt: { $gt: new Date() } },
      { $set: { usedAt: new Date(), usedBy: email } },
    );
    if (used) return 'coach';
  }
  if (mode === 'open') return 'coach';
  throw new HttpError(403, invite ? 'This invite link is not valid any more.' : 'Sign-up needs an invite link from an admin of this server.');
}

/** After the first admin exists: clips uploaded before accounts existed become theirs. */
export async function afterUserCreated(userId: string, role: Role): Promise<void> {
  if (role !== 'admin') return;
  await (await metaCollection()).updateOne({ _id: 'first-admin' }, { $set: { userId } });
  const n = await adoptOrphanClips(userId);
  if (n) log.info('auth.orphans-adopted', { userId, clips: n });
}

/** At startup (first request of a process): orphan clips go to the first admin when one exists. */
export async function adoptOrphansAtStartup(): Promise<void> {
  const marker = await (await metaCollection()).findOne({ _id: 'first-admin' });
  let adminId = marker?.userId ?? null;
  if (!adminId) {
    const admin = await (await usersCollection()).findOne({ role: 'admin' }, { sort: { createdAt: 1 } });
    adminId = admin?._id.toHexString() ?? null;
  }
  if (!adminId) return;
  const n = await adoptOrphanClips(adminId);
  if (n) log.info('auth.orphans-adopted', { userId: adminId, clips: n });
}
