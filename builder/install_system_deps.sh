#!/usr/bin/env bash
# System packages the worker's formats need, installed in the image's first layer.
#
# Debian bookworm (python:3.11-slim-bookworm). Each package is here for a reason:
#   poppler-utils     pdftoppm/pdfinfo: docstrange rasterises PDFs with pdf2image.
#   fonts-dejavu-core fallback fonts for PDFium when a PDF does not embed its
#   fonts-liberation  fonts (metric-compatible Arial/Times/Courier; cover á é ñ ¿ ¡).
#   ca-certificates   https downloads of job documents.
#   tesseract-ocr-eng Tesseract's English, Spanish and orientation (OSD) data for
#   tesseract-ocr-spa DOCWORKER_OCR_ENGINE=tesseract (about 17 MB, no dependencies;
#   tesseract-ocr-osd the tesserocr wheel in requirements.txt bundles the library).
# Not needed: libgl1 / libglib2.0-0 (opencv-python-headless bundles its libs,
# checked with ldd), CUDA toolkit (torch's nvidia-* wheels bring the runtime;
# the driver comes from the host), pandoc (only docstrange's legacy .ppt path).
set -euo pipefail

PACKAGES=(
  poppler-utils
  fonts-dejavu-core
  fonts-liberation
  ca-certificates
  tesseract-ocr-eng
  tesseract-ocr-spa
  tesseract-ocr-osd
)

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${PACKAGES[@]}"
apt-get clean
rm -rf /var/lib/apt/lists/*
# Fail the build here, not at the first PDF job, if pdf2image's tools are absent.
pdftoppm -v >/dev/null 2>&1
pdfinfo -v >/dev/null 2>&1
# ... and the OCR data where stages/ocr/tesseract.py looks for it first.
for lang in eng spa osd; do
  test -f "/usr/share/tesseract-ocr/5/tessdata/${lang}.traineddata"
done
