# callgate: the gateway image. Build from the repository root: docker build -t callgate .
# Stage 1 builds a virtualenv with callgate and its pinned dependencies; stage 2 copies
# only that venv and the default policy pack into a slim image that runs as a non-root user.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY gateway ./gateway
RUN python -m venv /opt/callgate \
 && /opt/callgate/bin/pip install -c constraints.txt .

FROM python:3.11-slim
RUN groupadd --system --gid 10001 callgate \
 && useradd --system --uid 10001 --gid callgate --home-dir /app --no-create-home callgate \
 && mkdir -p /app /var/lib/callgate /etc/callgate \
 && chown callgate:callgate /var/lib/callgate
COPY --from=build /opt/callgate /opt/callgate
COPY policies /app/policies
COPY deploy/callgate.prod.yaml /etc/callgate/callgate.yaml
ENV PATH=/opt/callgate/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CALLGATE_CONFIG=/etc/callgate/callgate.yaml
WORKDIR /app
USER 10001:10001
# 8080: agents; 8081: admin (/healthz, /readyz, /metrics, /admin/* behind the admin token).
EXPOSE 8080 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8081/healthz', timeout=2)"]
ENTRYPOINT ["callgate"]
CMD ["serve"]
