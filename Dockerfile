# One image for the web server and the Celery worker (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt requirements-no-deps.txt ./
# The CPU build of torch: the PyPI default is a CUDA build several GB larger that a CPU server never uses. The GPU
# worker's image (docker-compose profile "gpu") is built with TORCH_INDEX_URL=https://pypi.org/simple: CUDA torch.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --extra-index-url ${TORCH_INDEX_URL} -r requirements.txt \
    && pip install --no-deps -r requirements-no-deps.txt

COPY . .
# Static files are collected at build time and served by whitenoise.
RUN DJANGO_DEBUG=False DJANGO_SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only \
    DATABASE_URL=postgres://build@localhost/build python manage.py collectstatic --noinput

# The runtime user, and the one place the Hugging Face cache lives: the build bakes weights into it and the containers
# read it (docker-compose mounts the hf-cache volume here; a new volume starts with the baked files).
RUN useradd --create-home artsearch && mkdir -p /app/var/media /app/var/clip /app/var/hf-cache /app/var/static /app/var/beat \
    && chown -R artsearch /app/var
ENV HF_HOME=/app/var/hf-cache
USER artsearch

# Bake the CLIP weights into the image so containers start offline: docker build --build-arg FETCH_CLIP_WEIGHTS=1
ARG FETCH_CLIP_WEIGHTS=0
ARG CLIP_PRETRAINED=laion2b_s34b_b79k
RUN if [ "$FETCH_CLIP_WEIGHTS" = 1 ]; then \
      DJANGO_SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build CLIP_PRETRAINED=$CLIP_PRETRAINED \
      python manage.py fetch_clip_weights; fi

EXPOSE 8000
