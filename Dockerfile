# The one cardledger image every docker-compose.yml service runs; the service's
# command picks the part: serve, project, relay or office-consumer.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY projections projections
COPY api api
COPY consumers consumers
COPY cardledger cardledger
COPY ui ui
RUN pip install --no-cache-dir . \
 && useradd --system --home-dir /var/lib/cardledger cardledger \
 && mkdir -p /var/lib/cardledger /var/lib/cardledger-office \
 && chown cardledger /var/lib/cardledger /var/lib/cardledger-office
USER cardledger
WORKDIR /var/lib/cardledger
ENTRYPOINT ["cardledger"]
CMD ["serve", "--host", "0.0.0.0"]
