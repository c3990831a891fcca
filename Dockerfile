# gradrpc-server in a container: `docker compose up`, or
#   docker build -t gradrpc . && docker run --rm -p 50051:50051 -p 9464:9464 gradrpc
# Configuration is by GRADRPC_* environment variables (`gradrpc-server --help` lists them).

# ---- build: the package and its server extra, in a virtual environment of its own
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/gradrpc
WORKDIR /src
COPY pyproject.toml README.md ./
COPY client client
COPY engine engine
COPY server server
COPY protos protos
RUN /opt/gradrpc/bin/pip install ".[server]"

# ---- runtime
FROM python:3.11-slim
# libgomp1: OpenMP, Numba's threadsafe threading layer for the parallel kernels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 gradrpc \
    && useradd --system --uid 10001 --gid gradrpc --no-create-home --shell /usr/sbin/nologin gradrpc \
    && install -d -o gradrpc -g gradrpc /var/cache/gradrpc/numba
COPY --from=build /opt/gradrpc /opt/gradrpc
WORKDIR /app
COPY examples/seed_sigmoid_chain.py examples/
# GRADRPC_GRACE stays below `docker stop`'s default 10 s, so in-flight calls finish before a
# SIGKILL; compose's stop_grace_period leaves more.
ENV PATH=/opt/gradrpc/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    NUMBA_CACHE_DIR=/var/cache/gradrpc/numba \
    GRADRPC_HOST=0.0.0.0 \
    GRADRPC_PORT=50051 \
    GRADRPC_METRICS_PORT=9464 \
    GRADRPC_GRACE=8 \
    GRADRPC_LOG_FORMAT=json \
    GRADRPC_LOG_LEVEL=INFO
USER gradrpc
# Compile every kernel now, into the user's NUMBA_CACHE_DIR: the server builds each kernel at its
# first call, from this cache in milliseconds. Numba's cache is per CPU: on another CPU model each
# kernel compiles at its first call instead (about a second each, two minutes for all of them).
RUN gradrpc-server --build-kernels
EXPOSE 50051 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["gradrpc-health"]
STOPSIGNAL SIGTERM
CMD ["gradrpc-server"]
