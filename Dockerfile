# syntax=docker/dockerfile:1
# One image recipe for every MILE service; SERVICE names it (intake, matching, placement, reporting):
#   docker build --build-arg SERVICE=intake -t mile-intake .
# Stage 1 installs exactly what uv.lock pins (no dev tools) into /app/.venv; stage 2 carries
# only that environment, runs as an unprivileged user and writes nothing outside /tmp, so it
# runs with a read-only root filesystem. Secrets come from the environment at run time.

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.11-slim-bookworm AS build
ARG SERVICE
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY schemas/ schemas/
COPY platform/ platform/
COPY devstack/ devstack/
COPY services/ services/
RUN uv sync --frozen --no-dev --no-editable --package "mile-${SERVICE:?build with --build-arg SERVICE=<service>}"

FROM python:3.11-slim-bookworm AS runtime
ARG SERVICE
RUN groupadd --system --gid 10001 mile \
 && useradd --system --uid 10001 --gid mile --no-create-home --shell /usr/sbin/nologin mile
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MILE_SERVICE=${SERVICE}
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# exec: uvicorn becomes PID 1 and receives SIGTERM itself.
CMD exec uvicorn "mile_${MILE_SERVICE}.main:create_app" --factory --host 0.0.0.0 --port 8000 --no-access-log
