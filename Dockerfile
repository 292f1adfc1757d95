# Rendezvous API. By default it uses SQLite in /data; set RENDEZVOUS_DATABASE_URL for PostgreSQL.
#   docker build -t rendezvous . && docker run --rm -p 8000:8000 -v rendezvous-data:/data rendezvous
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Install the package (not editable), so the source tree is not needed at run time.
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . \
    && rm -rf /build

# Run as a non-root user. /data is its working directory, where the default
# SQLite file (rendezvous.sqlite) is created.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin rendezvous \
    && mkdir -p /data \
    && chown rendezvous:rendezvous /data
USER rendezvous
WORKDIR /data

EXPOSE 8000

# serve applies pending migrations first, then starts the workers.
CMD ["rendezvous", "serve", "--host", "0.0.0.0", "--port", "8000"]
