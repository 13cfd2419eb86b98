"""Random-weight models at the real checkpoints' shapes (or tiny ones), for gpu_bench.py.

Random weights cost the same compute as trained ones. Shapes:

- ``vlm("nanonets", "full")``: Qwen2.5-VL-3B, the base of Nanonets-OCR-s
  (36 decoder layers of 2048, 16 query / 2 KV heads, vocabulary 151,936; a
  32-block vision tower of 1280 with windowed attention, 14 px patches merged 2×2);
- ``vlm("got-ocr2", "full")``: GOT-OCR-2.0-hf (a 1024 px SAM-style encoder, a
  24-layer Qwen2 decoder of 1024);
- ``layout("full")``: docling's RT-DETR with a ResNet-50 backbone at 640 px,
  18 classes (background + DocLayNet's 17);
- ``"tiny"`` variants of each, for a CPU smoke run.

The tokenizer is a byte-level BPE trained here on a few lines, with the
special tokens each processor needs: prompts tokenise as they would, and
generated ids (anything up to the model's vocabulary) are never decoded.
Nothing here imports pytest or the test suite, so it runs in the image.

Inputs: a kind, a size, a device. Outputs: ``(model, processor)`` pairs.
"""

from __future__ import annotations

import contextlib
from typing import Any

QWEN_SPECIAL = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
GOT_SPECIAL = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<img>", "</img>", "<imgpad>")
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_CORPUS = (
    "Información pública: año 2025, ¿señal? ¡Atención! Artículo 1. Régimen jurídico.",
    "Extract the text from the above document as if you were reading it naturally.",
    "<table><tr><td>Tasa</td><td>12,50 €</td></tr></table> <page_number>3</page_number>",
    "You are a helpful assistant. system user assistant OCR with format:",
)


def tokenizer(special: tuple[str, ...]):
    """A small byte-level BPE with ``special`` tokens, wrapped for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import TokenizersBackend

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=list(special),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(_CORPUS) * 4, trainer)
    return TokenizersBackend(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", padding_side="left"
    )


@contextlib.contextmanager
def built_on(device: str, dtype):
    """Allocate parameters directly on ``device`` in ``dtype`` (no fp32 CPU copy of 3B weights)."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(previous)


def _qwen(size: str, tok) -> tuple[Any, Any, Any]:
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
    )
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN_SPECIAL}
    special = {
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
    }
    if size == "full":
        text = dict(vocab_size=151936, hidden_size=2048, intermediate_size=11008)
        text |= dict(num_hidden_layers=36, num_attention_heads=16, num_key_value_heads=2)
        rope = {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [16, 24, 24]}
        vision = dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16)
        vision |= dict(out_hidden_size=2048, window_size=112, fullatt_block_indexes=[7, 15, 23, 31])
        tie = True
    else:
        text = dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64)
        text |= dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
        rope = {"rope_type": "default", "rope_theta": 1e4, "mrope_section": [2, 1, 1]}
        vision = dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2)
        vision |= dict(out_hidden_size=32, window_size=56, fullatt_block_indexes=[1])
        tie = False
    text |= dict(max_position_embeddings=128000, rope_parameters=rope, **special)
    vision |= dict(patch_size=14, spatial_merge_size=2, temporal_patch_size=2)
    config = Qwen2_5_VLConfig(
        text_config=text,
        vision_config=vision,
        tie_word_embeddings=tie,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    images = Qwen2VLImageProcessor(min_pixels=28 * 28 * 4, patch_size=14, merge_size=2)
    processor = Qwen2_5_VLProcessor(
        image_processor=images,
        tokenizer=tok,
        video_processor=Qwen2VLVideoProcessor(),
        chat_template=CHAT_TEMPLATE,
    )
    return Qwen2_5_VLForConditionalGeneration, config, processor


def _got(size: str, tok) -> tuple[Any, Any, Any]:
    from transformers import (
        GotOcr2Config,
        GotOcr2ForConditionalGeneration,
        GotOcr2ImageProcessor,
        GotOcr2Processor,
    )

    ids = {t: tok.convert_tokens_to_ids(t) for t in GOT_SPECIAL}
    special = {
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
    }
    if size == "full":
        text = dict(vocab_size=151860, hidden_size=1024, intermediate_size=2816)
        text |= dict(num_hidden_layers=24, num_attention_heads=16, num_key_value_heads=16)
        config = GotOcr2Config(text_config={**text, **special}, image_token_index=ids["<imgpad>"])
        side = 1024
    else:
        vision = dict(hidden_size=32, output_channels=16, num_hidden_layers=2)
        vision |= dict(num_attention_heads=2, image_size=64, patch_size=4, window_size=4)
        vision |= dict(global_attn_indexes=[1], mlp_dim=64)
        text = dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64)
        text |= dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
        config = GotOcr2Config(
            vision_config=vision,
            text_config={**text, **special},
            image_token_index=ids["<imgpad>"],
            image_seq_length=16,
        )
        side = 64
    images = GotOcr2ImageProcessor(size={"height": side, "width": side})
    return GotOcr2ForConditionalGeneration, config, GotOcr2Processor(images, tok)


def vlm(kind: str, size: str, device: str, dtype) -> tuple[Any, Any]:
    """``(model, processor)``: random weights, built on ``device`` in ``dtype``."""
    import torch

    special = GOT_SPECIAL if kind == "got-ocr2" else QWEN_SPECIAL
    tok = tokenizer(special)
    cls, config, processor = (_got if kind == "got-ocr2" else _qwen)(size, tok)
    torch.manual_seed(0)
    with built_on(device, dtype):
        model = cls(config).eval()
    model.generation_config.eos_token_id = config.text_config.eos_token_id
    model.generation_config.pad_token_id = config.text_config.pad_token_id
    return model, processor


def layout(size: str, device: str) -> tuple[Any, Any]:
    """docling's RT-DETR shape (R50 at 640 px, 18 classes), random weights, fp32."""
    import torch
    from transformers import (
        RTDetrConfig,
        RTDetrForObjectDetection,
        RTDetrImageProcessor,
        RTDetrResNetConfig,
    )

    labels = {0: "background", **{i: f"class{i}" for i in range(1, 18)}}
    common = {"id2label": labels, "label2id": {v: k for k, v in labels.items()}}
    common["use_pretrained_backbone"] = False
    if size == "full":
        backbone = RTDetrResNetConfig(out_features=["stage2", "stage3", "stage4"])
        config = RTDetrConfig(backbone_config=backbone, **common)
        side = 640
    else:
        backbone = RTDetrResNetConfig(
            embedding_size=8,
            hidden_sizes=[8, 16, 16, 32],
            depths=[1, 1, 1, 1],
            layer_type="basic",
            out_features=["stage2", "stage3", "stage4"],
        )
        config = RTDetrConfig(
            backbone_config=backbone,
            encoder_hidden_dim=16,
            encoder_in_channels=[16, 16, 32],
            encoder_ffn_dim=32,
            encoder_attention_heads=2,
            d_model=16,
            num_queries=12,
            decoder_in_channels=[16, 16, 16],
            decoder_ffn_dim=32,
            decoder_layers=1,
            decoder_attention_heads=2,
            decoder_n_points=2,
            num_denoising=0,
            **common,
        )
        side = 64
    torch.manual_seed(0)
    with built_on(device, torch.float32):
        model = RTDetrForObjectDetection(config).eval()
    return model, RTDetrImageProcessor(size={"height": side, "width": side})
