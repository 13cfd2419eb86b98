"""Raster images with Pillow: one page per frame, EXIF orientation applied.

Runs inside a page process; Pillow's errors are translated into ``errors``
classes, and its decompression-bomb guard is set from the pixel limit.

Input: a path. Output: ``ImageHandle`` (see ``decode``).
"""

from __future__ import annotations

import struct
from pathlib import Path

from PIL import Image, ImageOps

from docworker import errors
from docworker.decode.types import PageView, render_scale

#: What Pillow raises on malformed data besides DecompressionBombError (found by fuzzing).
_PILLOW_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError,
                  KeyError, TypeError, ZeroDivisionError, OverflowError)  # fmt: skip


class ImageHandle:
    """A raster image; multi-frame TIFFs have one page per frame."""

    def __init__(self, path: Path, max_pixels: int, max_pages: int):
        # Pillow's own bomb guard: Image.open raises past twice this (and warns past it).
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            self._image = Image.open(path)
            # Checked before load(): a header claiming up to twice the limit only warns.
            if self._image.width * self._image.height > max_pixels:
                raise errors.LimitExceeded(
                    f"the image is {self._image.width}x{self._image.height} pixels;"
                    f" the limit is {max_pixels} pixels"
                )
            self._image.load()
            self.page_count = getattr(self._image, "n_frames", 1)
        except Image.DecompressionBombError as e:
            raise errors.LimitExceeded(f"the image is larger than {max_pixels} pixels") from e
        except _PILLOW_ERRORS as e:
            raise errors.CorruptDocument(f"the image cannot be decoded ({type(e).__name__})") from e
        if self.page_count > max_pages:
            raise errors.LimitExceeded(
                f"the image has {self.page_count} frames; the limit is {max_pages}"
            )
        self._max_pixels = max_pixels

    def _frame(self, number: int) -> Image.Image:
        try:
            self._image.seek(number - 1)
            # Pillow checks only the first frame's size; a later frame is checked here.
            if self._image.width * self._image.height > self._max_pixels:
                raise errors.LimitExceeded(
                    f"frame {number} is larger than {self._max_pixels} pixels"
                )
            frame = self._image.copy()
            return ImageOps.exif_transpose(frame).convert("RGB")
        except _PILLOW_ERRORS as e:
            raise errors.CorruptDocument(f"frame {number} cannot be decoded") from e

    def page(self, number: int, *, text_layer: bool, keep: bool = False) -> PageView:
        frame = self._frame(number)
        return PageView(number=number, width=frame.width, height=frame.height, unit="px")

    def kept_text(self, number: int) -> None:
        return None  # an image has no text layer

    def release(self) -> None:
        pass

    def render(self, number: int, dpi: int, max_pixels: int) -> tuple[Image.Image, float]:
        del dpi  # an image is OCR'd at its own resolution, shrunk only to the pixel cap
        frame = self._frame(number)
        scale = render_scale(frame.width, frame.height, 1.0, max_pixels)
        if scale < 1.0:
            size = (max(1, int(frame.width * scale)), max(1, int(frame.height * scale)))
            frame = frame.resize(size, Image.Resampling.LANCZOS)
            return frame, 1.0 / scale
        return frame, 1.0

    def close(self) -> None:
        self._image.close()
