# Runtime image: only runtime dependencies, a non-root user, settings from the environment.
# The base is a tag, not yet a digest: no registry is reachable where this is built. Pin it
# as python:3.12-slim@sha256:<digest> from `docker buildx imagetools inspect python:3.12-slim`.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY .streamlit/config.toml .streamlit/config.toml
COPY app.py ./
COPY integrations integrations
COPY services services
COPY pages pages

RUN useradd --create-home --uid 10001 app
USER app

EXPOSE 8501
# /healthz is the ASGI entry's own: it answers only when the image serves the app with its
# routes and security headers, not `streamlit run app.py` alone.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/healthz', timeout=4).read() != b'ok')"

# uvicorn trusts X-Forwarded-* only from the addresses in FORWARDED_ALLOW_IPS (by default
# 127.0.0.1): a proxy in front sets it (docs/compose.yaml does).
CMD ["uvicorn", "services.web.asgi:app", "--host=0.0.0.0", "--port=8501", "--no-server-header", "--no-access-log"]
