"""docworker: a RunPod serverless worker that turns documents into validated JSON.

Documents come in as URLs, s3:// URIs or base64; pages go through local
engines only (the PDF text layer and RapidOCR on CPU, RT-DETR layout and a
vision-language model on GPU); the answer is ``{"data": ..., "metadata": ...}``
as described by ``docworker.contract``.
"""

__version__ = "0.1.0"
