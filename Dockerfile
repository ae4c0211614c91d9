# syntax=docker/dockerfile:1
# One image for every LokOS process (identity, profiles, dedup, transactions, reports, gateway).
# docker-compose.yml chooses the process per service:
#   python -m services.<name>.main   |   python -m gateway.main

FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# The build context is trimmed by .dockerignore; pyproject.toml decides what is installed
# (the packages lokos, services and gateway).
COPY . .
RUN pip install .


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    LOKOS_DATA_DIR=/var/lib/lokos

# A fixed uid/gid so volume ownership is the same on every host.
RUN groupadd --system --gid 10001 lokos \
 && useradd --system --uid 10001 --gid lokos --home-dir /var/lib/lokos --no-create-home \
        --shell /usr/sbin/nologin lokos \
 && install -d -o lokos -g lokos -m 0750 /var/lib/lokos

COPY --from=build /opt/venv /opt/venv

WORKDIR /var/lib/lokos
USER lokos:lokos

# gateway HTTP, then the gRPC services identity, profiles, dedup, transactions, reports.
EXPOSE 8080 50051 50052 50053 50054 50055

CMD ["python", "-m", "gateway.main"]
