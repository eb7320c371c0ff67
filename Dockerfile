# The one cardledger image every docker-compose.yml service runs; the service's
# command picks the part: migrate, serve, project, relay or office-consumer.
#
# Base image: an exact version tag. Pin it by digest before a production build
# (`FROM python:3.11.14-slim-bookworm@sha256:...`, the digest from
# `docker buildx imagetools inspect python:3.11.14-slim-bookworm`): the build
# machines have no access to Docker Hub, so no digest was looked up or invented
# here. See docs/operations.md, "Images".
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed, non-root user: volumes and file permissions mean the same on every host.
RUN groupadd --system --gid 10001 cardledger \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/cardledger \
        --no-create-home --shell /usr/sbin/nologin cardledger \
 && mkdir -p /var/lib/cardledger /var/lib/cardledger-office \
 && chown 10001:10001 /var/lib/cardledger /var/lib/cardledger-office

WORKDIR /app
# Dependencies first, in their own layer, exactly as locked (every file's hash
# checked): a code change does not reinstall them, and a build is reproducible.
# requirements.lock is made by pip-compile --generate-hashes (docs/operations.md).
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY pyproject.toml README.md ./
COPY domain domain
COPY projections projections
COPY api api
COPY consumers consumers
COPY cardledger cardledger
COPY ui ui
COPY entrypoints entrypoints
COPY storage storage
# The project itself, with the image's own setuptools (no isolated build env
# fetched unhashed from the index); its dependencies are all in already.
RUN pip install --no-deps --no-build-isolation .

USER 10001:10001
WORKDIR /var/lib/cardledger
ENV CARDLEDGER_DATA_DIR=/var/lib/cardledger

# The API's liveness; workers override it with their metrics port (compose).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "cardledger.healthcheck"]

ENTRYPOINT ["cardledger"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
