# Flowker image: one image for every process (web, worker, scheduler, migrate); the
# command chooses the role (see docker-compose.yml and Procfile).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Only the package sources: the build context also holds .venv/ and var/.
COPY pyproject.toml README.md ./
COPY core/ core/
COPY catalog/ catalog/
COPY web/ web/
COPY worker/ worker/
COPY scheduler/ scheduler/
RUN pip install . \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin flowker

USER flowker

EXPOSE 4021
CMD ["gunicorn", "--bind", "0.0.0.0:4021", "--workers", "2", "--threads", "8", "web.app:create_app()"]
