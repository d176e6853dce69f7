"""The retrying requests session: pool, retries, redirects, cookies, and credentials bound to their origin."""
