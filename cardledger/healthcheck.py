"""`python -m cardledger.healthcheck [URL]`: the container healthcheck. Exit 0
when URL (default the API's /healthz on port 8000) answers 2xx within 3 s, 1
otherwise. The image has no curl; this needs only the stdlib. Workers are
checked on their metrics port (docker-compose.yml)."""

from __future__ import annotations

import sys
import urllib.request

DEFAULT = "http://127.0.0.1:8000/healthz"


def main(argv: list[str]) -> int:
    url = argv[0] if argv else DEFAULT
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            return 0 if 200 <= answer.status < 300 else 1
    except OSError as e:
        print(f"unhealthy: {url}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
