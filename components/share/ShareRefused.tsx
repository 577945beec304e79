import styles from '../account/account.module.css';

const TEXT: Record<'expired' | 'revoked' | 'unknown', { title: string; body: string }> = {
  expired: { title: 'This link has expired', body: 'Share links only work for the time the coach chose. Ask the coach who sent it for a new one.' },
  revoked: { title: 'This link was revoked', body: 'The coach who shared this clip has turned the link off. Ask them for a new one if you still need it.' },
  unknown: { title: 'This link does not work', body: 'It may be mistyped, or the clip was deleted. Ask the coach who sent it for a new one.' },
};

/** What a refused share link shows instead of the clip. */
export function ShareRefused({ reason }: { reason: 'expired' | 'revoked' | 'unknown' }) {
  const text = TEXT[reason] ?? TEXT.unknown;
  return (
    <div className={styles.gone} data-testid="share-refused" data-reason={reason}>
      <h1>{text.title}</h1>
      <p className="muted">{text.body}</p>
    </div>
  );
}
