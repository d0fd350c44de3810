import { useEffect, useState } from 'react';
import { useApi, fetchApiRef } from '@backstage/core-plugin-api';
import { Typography } from '@material-ui/core';
import { locoApiRef } from '../../api/LocoApi';

interface BadgeState {
  /** The SVG as a data: URL, fetched with the user's credentials. */
  image?: string;
  /** Why the image is missing, when it is. */
  imageError?: string;
  /** The address that works without a session, when the backend hands one out. */
  publicUrl?: string;
}

/**
 * The environment's health badge as the backend renders it, and the Markdown
 * to embed it outside the portal. A plain <img> of the portal address would
 * carry no Backstage token, so the image is fetched through fetchApi and shown
 * as a data: URL (Backstage's default Content-Security-Policy allows data:
 * images but not blob: ones); the Markdown uses the public address, which
 * needs no session at all.
 */
export function HealthBadge({ environment }: { environment: string }) {
  const locoApi = useApi(locoApiRef);
  const fetchApi = useApi(fetchApiRef);
  const [badge, setBadge] = useState<BadgeState>();

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const next: BadgeState = {};
      try {
        const response = await fetchApi.fetch(
          await locoApi.badgeUrl(environment),
        );
        // 404 and 503 still carry a badge that says what is unknown.
        if (response.headers.get('content-type')?.startsWith('image/svg')) {
          next.image = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(
            await response.text(),
          )}`;
        } else {
          next.imageError = `the backend answered ${response.status}`;
        }
      } catch (error) {
        next.imageError = String(error);
      }
      next.publicUrl = await locoApi
        .publicBadgeUrl(environment)
        .catch(() => undefined);
      if (!cancelled) setBadge(next);
    })();
    return () => {
      cancelled = true;
    };
  }, [locoApi, fetchApi, environment]);

  if (!badge) return null;
  return (
    <div style={{ marginTop: 12 }} data-testid="loco-health-badge">
      {badge.image ? (
        <img src={badge.image} alt={`Loco health badge of ${environment}`} />
      ) : (
        <Typography variant="caption" color="textSecondary">
          No badge: {badge.imageError}
        </Typography>
      )}
      {badge.publicUrl && (
        <Typography variant="caption" component="div" color="textSecondary">
          Badge for READMEs and wikis (no sign-in needed; shows only the health
          counts): <code>{`![Loco health](${badge.publicUrl})`}</code>
        </Typography>
      )}
    </div>
  );
}
