# syntax=docker/dockerfile:1.7
#
# docworker: RunPod serverless worker image (linux/amd64, NVIDIA GPU).
#
#   docker buildx build --platform linux/amd64 -t docworker:dev .
#
# See docs/DEPLOY.md for build arguments, the air-gapped mirror build and the
# RunPod endpoint settings. scripts/replay_dockerfile.py parses this file and
# replays its Python steps in a local venv (`make smoke`): keep every RUN one
# of the kinds it knows (apt script, pip install, fetch_models.py, python check).
#
# Base image: python:3.11-slim-bookworm, not nvidia/cuda.
#   torch==2.14.1 from PyPI (linux x86_64) is a CUDA 13.0 build: its nvidia-*
#   and cuda-toolkit wheels bring the CUDA runtime, cuBLAS, cuDNN and NCCL, and
#   the NVIDIA container toolkit mounts the driver (libcuda) from the host, as
#   RunPod does. An nvidia/cuda:*-cudnn-runtime base would carry a second copy
#   of those libraries (about 3 GB) and Ubuntu 22.04's Python 3.10 (3.11 only
#   via deadsnakes). The python image gives exactly the interpreter the pinned
#   requirements were verified with. CUDA 13 needs a host driver >= 580; see
#   TORCH_INDEX_URL below and allowedCudaVersions in .runpod/hub.json.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------
# Optional local model mirror. Empty unless the build is given
#   --build-context model-mirror=/path/to/mirror --build-arg MODEL_SOURCE=/mirror
# (a folder with layout/, tableformer/, nanonets-ocr-s/, got-ocr2/, easyocr/ subfolders).
FROM scratch AS model-mirror

# ---------------------------------------------------------------------------
# Weights, in their own stage so that changing requirements.txt or the code never
# downloads them again. No build argument is needed: each hub revision (a tag or
# "main") is resolved to its commit sha at build time and MANIFEST.json records it.
# For a reproducible build, pin the shas in builder/model-pins.txt or pass them:
#   --build-arg MODEL_PINS="nanonets-ocr-s=<sha>,got-ocr2=<sha>,layout=<sha>,tableformer=<sha>"
# (`python /opt/builder/fetch_models.py pins --model-dir /models` in a built image prints them).
# The links docstrange (~/.cache/docstrange/models) and EasyOCR (~/.EasyOCR/model)
# load through are made here too, so the runtime stage only copies files.
FROM ${PYTHON_IMAGE} AS weights
ARG MODEL_SOURCE=hub
ARG MODELS=all
ARG MODEL_PINS=
ARG FETCH_FLAGS=
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_DISABLE_TELEMETRY=1
COPY builder/requirements-fetch.txt /opt/builder/requirements-fetch.txt
RUN pip install -r /opt/builder/requirements-fetch.txt
COPY builder/fetch_models.py builder/model-pins.txt /opt/builder/
RUN --mount=type=bind,from=model-mirror,target=/mirror \
    python /opt/builder/fetch_models.py fetch --source "${MODEL_SOURCE}" --model-dir /models \
        --models "${MODELS}" --pins /opt/builder/model-pins.txt --pin "${MODEL_PINS}" \
        --docstrange-cache /root/.cache/docstrange/models --easyocr-dir /root/.EasyOCR/model \
        ${FETCH_FLAGS}

# ---------------------------------------------------------------------------
# Runtime image. Layers from least to most often changed:
# weights -> system packages -> torch pair -> requirements -> code.
FROM ${PYTHON_IMAGE} AS runtime

# 0. Weights first (about 9.5 GB): no package or code change ever re-pushes them.
#    docstrange and EasyOCR find them through the links made in the weights stage
#    (HOME is /root on RunPod).
COPY --from=weights /models /models
COPY --from=weights /root/.cache/docstrange /root/.cache/docstrange
COPY --from=weights /root/.EasyOCR /root/.EasyOCR

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility

# 1. System packages (poppler for pdf2image, fonts, Tesseract's language data).
COPY builder/install_system_deps.sh /opt/builder/install_system_deps.sh
RUN bash /opt/builder/install_system_deps.sh

# 2. The matched torch/torchvision pair, CUDA build, same pins as requirements.txt.
#    Its own layer (about 5 GB) so other requirement bumps do not re-download it.
#    numpy and pillow are pinned here too (torchvision needs them), or this layer
#    would get numpy 2 and the next one would replace it with requirements.txt's 1.26.
#    Default: PyPI's CUDA 13.0 wheels. For hosts with older drivers pass e.g.
#    --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128
#    (an extra index: its 2.14.1+cu128 outranks PyPI's 2.14.1, while numpy and
#    pillow still come from PyPI at the pinned versions).
ARG TORCH_INDEX_URL=
RUN pip install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} \
        torch==2.14.1 torchvision==0.29.1 numpy==1.26.4 pillow==12.3.0
# Fail the build, not the first job, on a mismatched pair (torchvision::nms missing).
RUN python -c "import torch, torchvision; from torchvision.ops import nms; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'torchvision', torchvision.__version__)"

# 3. Everything else, pinned.
COPY requirements.txt /opt/docworker/requirements.txt
RUN pip install -r /opt/docworker/requirements.txt && pip check

# Run time: nothing may reach a model hub; the worker's settings for this image.
ENV HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_TELEMETRY=1 \
    DOCWORKER_MODEL_DIR=/models \
    DOCWORKER_REQUIRE=torch,gpu,layout,vlm,docstrange \
    RUNPOD_LOG_LEVEL=INFO \
    PYTHONPATH=/opt/docworker/src

# 4. Code, last: an edit rebuilds only these layers.
WORKDIR /opt/docworker
COPY pyproject.toml handler.py ./
COPY src/ ./src/
RUN python -m compileall -q src handler.py

# Labels last (an ARG changes the cache key of every later RUN). MODEL_PINS is what the
# build was given; the shas it resolved are in /models/MANIFEST.json either way.
ARG MODEL_PINS=
LABEL ai.docworker.model-manifest="/models/MANIFEST.json" \
      ai.docworker.model-pins="${MODEL_PINS}"

CMD ["python", "-u", "handler.py"]
