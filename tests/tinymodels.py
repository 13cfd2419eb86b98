"""Tiny random models of the GPU engine's real architectures, built offline.

``build_model_dir(dest)`` writes the same folder layout that
``builder/fetch_models.py`` bakes into the image (see docs/GPU.md)::

    dest/MANIFEST.json
    dest/layout/           RTDetrForObjectDetection (tiny ResNet backbone) + RTDetrImageProcessor,
                           id2label with background at 0 as in docling's checkpoint
    dest/nanonets-ocr-s/   Qwen2_5_VLForConditionalGeneration + Qwen2_5_VLProcessor, in the
                           hub repo's file names (preprocessor_config.json, chat_template.jinja,
                           vocab.json/merges.txt/tokenizer.json, two shards + index)
    dest/got-ocr2/         GotOcr2ForConditionalGeneration + GotOcr2Processor

Weights are random (seeded), tokenizers are byte-level BPEs trained here with
the ``tokenizers`` library on a few Spanish/English lines, with the special
tokens each processor needs. Nothing touches the network. The real loading,
preprocessing, generation and post-processing code runs on them, on CPU, in
seconds.

The config helpers also take ``size="full"`` (Qwen2.5-VL-3B / RT-DETR-R50
shapes) for ``bench/gpu_bench.py``.

Pytest: ``tiny_model_dir`` is a session fixture (register this module in
``pytest_plugins``); it builds once per session.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from docworker.stages.layout import DOCLAYNET

#: The real checkpoint's ``id2label`` (ds4sd/docling-models ``model_artifacts/layout``):
#: a background class at 0, then docling's 17 canonical DocLayNet classes. docling-ibm-models'
#: ``LayoutPredictor`` does not read these names: it maps output k to canonical class k.
LAYOUT_ID2LABEL = {0: "background", **{i + 1: name for i, name in enumerate(DOCLAYNET)}}
#: The output the tiny layout model is biased towards: "Text" for docling, "Table" by name.
LAYOUT_FAVOURED = DOCLAYNET.index("Text")

QWEN_SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

GOT_SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<img>",
    "</img>",
    "<imgpad>",
    "<ref>",
    "</ref>",
    "<box>",
    "</box>",
)

_CORPUS = (
    "Información pública: año 2025, ¿señal? ¡Atención! Artículo 1. Régimen jurídico.",
    "# Título\n\n## Capítulo I\n\n- primer punto\n- segundo punto\n\n1. uno\n2. dos",
    "<table><thead><tr><th>Concepto</th><th>Importe</th></tr></thead>"
    '<tbody><tr><td rowspan="2">Tasa</td><td colspan="2">12,50 €</td></tr></tbody></table>',
    '{"nombre": "Ana", "total": 12.5, "items": [{"id": 1}]} ```json``` true false null',
    "<page_number>3</page_number> <watermark>BORRADOR</watermark> <img>logo</img> ☐ ☑",
    "The quick brown fox jumps over the lazy dog. Page 1 of 2. Section 2.1 Results.",
    "You are a helpful assistant. system user assistant OCR with format:",
)

# A Qwen2.5-VL style chat template: string or list content, images as vision
# placeholders, a default system turn.
QWEN_CHAT_TEMPLATE = (
    "{% if messages[0]['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


# ------------------------------------------------------------------------ tokenizers


def train_tokenizer(special_tokens: tuple[str, ...], vocab_size: int = 512):
    """A byte-level BPE (Qwen2 style) trained offline, wrapped for transformers."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import TokenizersBackend

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(_CORPUS) * 4, trainer)
    return TokenizersBackend(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        padding_side="left",
    )


def _token_ids(tokenizer, tokens: tuple[str, ...]) -> dict[str, int]:
    return {t: tokenizer.convert_tokens_to_ids(t) for t in tokens}


# --------------------------------------------------------------------------- configs


def layout_config(size: str = "tiny"):
    """RT-DETR with a ResNet backbone; ``full`` is the R50 shape docling's model uses."""
    from transformers import RTDetrConfig, RTDetrResNetConfig

    labels = dict(LAYOUT_ID2LABEL)
    common: dict[str, Any] = {
        "id2label": labels,
        "label2id": {v: k for k, v in labels.items()},
        "use_pretrained_backbone": False,
    }
    if size == "full":
        backbone = RTDetrResNetConfig(out_features=["stage2", "stage3", "stage4"])
        return RTDetrConfig(backbone_config=backbone, **common)
    backbone = RTDetrResNetConfig(
        embedding_size=8,
        hidden_sizes=[8, 16, 16, 32],
        depths=[1, 1, 1, 1],
        layer_type="basic",
        out_features=["stage2", "stage3", "stage4"],
    )
    return RTDetrConfig(
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


def qwen_config(tokenizer, size: str = "tiny"):
    """Qwen2.5-VL; ``full`` has Qwen2.5-VL-3B's shapes (Nanonets-OCR-s's base)."""
    from transformers import Qwen2_5_VLConfig

    ids = _token_ids(tokenizer, QWEN_SPECIAL_TOKENS)
    token_args = {
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }
    special = {
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
    }
    if size == "full":
        text = {
            "vocab_size": 151936,
            "hidden_size": 2048,
            "intermediate_size": 11008,
            "num_hidden_layers": 36,
            "num_attention_heads": 16,
            "num_key_value_heads": 2,
            "max_position_embeddings": 128000,
            "rms_norm_eps": 1e-6,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 1000000.0,
                "mrope_section": [16, 24, 24],
            },
            **special,
        }
        vision = {
            "depth": 32,
            "hidden_size": 1280,
            "intermediate_size": 3420,
            "num_heads": 16,
            "out_hidden_size": 2048,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 112,
            "fullatt_block_indexes": [7, 15, 23, 31],
        }
        return Qwen2_5_VLConfig(
            text_config=text, vision_config=vision, tie_word_embeddings=True, **token_args
        )
    text = {
        "vocab_size": len(tokenizer),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 4096,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": 10000.0,
            "mrope_section": [2, 1, 1],
        },
        **special,
    }
    vision = {
        "depth": 2,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_heads": 2,
        "out_hidden_size": 32,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "window_size": 56,
        "fullatt_block_indexes": [1],
    }
    return Qwen2_5_VLConfig(text_config=text, vision_config=vision, **token_args)


def qwen_processor(tokenizer, max_pixels: int = 28 * 28 * 16):
    """Qwen2_5_VLProcessor; the tiny default keeps pages at ≤ 16 merged patches."""
    from transformers import Qwen2_5_VLProcessor, Qwen2VLImageProcessor
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    image_processor = Qwen2VLImageProcessor(
        min_pixels=28 * 28 * 4,
        max_pixels=max_pixels,
        patch_size=14,
        merge_size=2,
        temporal_patch_size=2,
    )
    return Qwen2_5_VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(),
        chat_template=QWEN_CHAT_TEMPLATE,
    )


def got_config(tokenizer, size: str = "tiny"):
    """GOT-OCR2; ``full`` has stepfun-ai/GOT-OCR-2.0-hf's shapes."""
    from transformers import GotOcr2Config

    ids = _token_ids(tokenizer, GOT_SPECIAL_TOKENS)
    special = {
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
    }
    if size == "full":
        return GotOcr2Config(
            text_config={
                "vocab_size": 151860,
                "hidden_size": 1024,
                "intermediate_size": 2816,
                "num_hidden_layers": 24,
                "num_attention_heads": 16,
                "num_key_value_heads": 16,
                "max_position_embeddings": 32768,
                **special,
            },
            image_token_index=ids["<imgpad>"],
        )
    return GotOcr2Config(
        vision_config={
            "hidden_size": 32,
            "output_channels": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 64,
            "patch_size": 4,
            "window_size": 4,
            "global_attn_indexes": [1],
            "mlp_dim": 64,
        },
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 2048,
            **special,
        },
        image_token_index=ids["<imgpad>"],
        image_seq_length=16,
    )


def got_processor(tokenizer, image_size: int = 64):
    from transformers import GotOcr2ImageProcessor, GotOcr2Processor

    image_processor = GotOcr2ImageProcessor(size={"height": image_size, "width": image_size})
    return GotOcr2Processor(image_processor=image_processor, tokenizer=tokenizer)


# -------------------------------------------------------------------------- builders


def _seeded(seed: int) -> None:
    import torch

    torch.manual_seed(seed)


def _favour_output(model, index: int, logit: float = 4.0) -> None:
    """Bias every classification head towards output ``index`` so random weights detect regions."""
    import torch

    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.Linear) and module.out_features == len(LAYOUT_ID2LABEL):
                if "score" in name or "class" in name:
                    module.bias.fill_(-logit)
                    module.bias[index] = logit


def build_layout(dest: Path, size: str = "tiny", seed: int = 0) -> Path:
    """``dest`` gets config.json, model.safetensors, preprocessor_config.json (the real set)."""
    from transformers import RTDetrForObjectDetection, RTDetrImageProcessor

    _seeded(seed)
    model = RTDetrForObjectDetection(layout_config(size)).eval()
    _favour_output(model, LAYOUT_FAVOURED)
    model.save_pretrained(dest)
    side = 640 if size == "full" else 64
    RTDetrImageProcessor(size={"height": side, "width": side}).save_pretrained(dest)
    return dest


def _save_processor_files(dest: Path, processor, tokenizer, chat_template: str | None) -> None:
    """The processor as the real repositories ship it: preprocessor_config.json (+ video),
    tokenizer.json, tokenizer_config.json, vocab.json, merges.txt, chat_template.jinja;
    no processor_config.json (transformers 5 would write one; the hub folders predate it)."""
    processor.image_processor.save_pretrained(dest)
    video = getattr(processor, "video_processor", None)
    if video is not None:
        video.save_pretrained(dest)
    tokenizer.save_pretrained(dest)
    tokenizer._tokenizer.model.save(str(dest))  # vocab.json, merges.txt
    if chat_template:
        (dest / "chat_template.jinja").write_text(chat_template, encoding="utf-8")


def build_nanonets(dest: Path, seed: int = 0) -> Path:
    """A tiny Qwen2.5-VL in Nanonets-OCR-s's file layout (two weight shards and an index)."""
    from transformers import Qwen2_5_VLForConditionalGeneration

    tokenizer = train_tokenizer(QWEN_SPECIAL_TOKENS)
    config = qwen_config(tokenizer)
    _seeded(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = config.text_config.eos_token_id
    model.generation_config.pad_token_id = config.text_config.pad_token_id
    model.save_pretrained(dest, max_shard_size="300KB")
    _save_processor_files(dest, qwen_processor(tokenizer), tokenizer, QWEN_CHAT_TEMPLATE)
    return dest


def build_got(dest: Path, seed: int = 0) -> Path:
    """A tiny GOT-OCR2 (64 px input, 16 image tokens) in GOT-OCR-2.0-hf's file layout."""
    from transformers import GotOcr2ForConditionalGeneration

    tokenizer = train_tokenizer(GOT_SPECIAL_TOKENS)
    config = got_config(tokenizer)
    _seeded(seed)
    model = GotOcr2ForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = config.text_config.eos_token_id
    model.generation_config.pad_token_id = config.text_config.pad_token_id
    model.save_pretrained(dest)
    _save_processor_files(dest, got_processor(tokenizer), tokenizer, None)
    return dest


_BUILDERS = {
    "layout": (build_layout, "docling-project/docling-models (tiny random RT-DETR)"),
    "nanonets-ocr-s": (build_nanonets, "nanonets/Nanonets-OCR-s (tiny random Qwen2.5-VL)"),
    "got-ocr2": (build_got, "stepfun-ai/GOT-OCR-2.0-hf (tiny random)"),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(model_dir: Path, ids: dict[str, str], revision: str = "tiny-test") -> Path:
    """MANIFEST.json with size and sha256 of every file under each named folder."""
    models = {}
    for name, model_id in ids.items():
        folder = model_dir / name
        files = {
            p.relative_to(folder).as_posix(): {"size": p.stat().st_size, "sha256": _sha256(p)}
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }
        models[name] = {"id": model_id, "revision": revision, "path": name, "files": files}
    path = model_dir / "MANIFEST.json"
    path.write_text(json.dumps({"models": models}, indent=2, sort_keys=True), encoding="utf-8")
    return path


def build_model_dir(
    dest: Path, names: tuple[str, ...] = ("layout", "nanonets-ocr-s", "got-ocr2")
) -> Path:
    """The full on-disk layout with tiny models and a MANIFEST.json."""
    dest.mkdir(parents=True, exist_ok=True)
    ids = {}
    for name in names:
        builder, model_id = _BUILDERS[name]
        builder(dest / name)
        ids[name] = model_id
    write_manifest(dest, ids)
    return dest


_SESSION_DIR: list[Path] = []


def shared_model_dir(tmp_path_factory) -> Path:
    """The session's tiny model folder, built on first use (read-only for tests).

    Also pins torch to one CPU thread: tiny models are all overhead, and on a
    busy 2-core runner OpenMP's spin-waiting made them ten times slower.
    """
    import torch

    torch.set_num_threads(1)
    if not _SESSION_DIR:
        _SESSION_DIR.append(build_model_dir(tmp_path_factory.mktemp("models")))
    return _SESSION_DIR[0]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A model folder with tiny layout, Nanonets (Qwen2.5-VL) and GOT-OCR2 models."""
    return shared_model_dir(tmp_path_factory)
