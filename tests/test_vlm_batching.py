"""Continuous batching on tiny real models: equal to ``generate``, sharing, OOM, fatal errors.

The reference is transformers' own ``generate`` (greedy, one page at a time).
Continuous batching must give the same tokens for every page while pages of
different sizes (different prompt lengths) join and leave one batch.
"""

from __future__ import annotations

import threading

import pytest
from PIL import Image, ImageDraw

from docworker import errors
from docworker.config import Settings
from docworker.stages.vlm import VlmRequest, VlmStage, batcher, page_prompt

pytestmark = pytest.mark.models


def _images(n: int) -> list[Image.Image]:
    images = []
    for i in range(1, n + 1):
        image = Image.new("RGB", (90 + 37 * i, 120 + 13 * (i % 3)), "white")
        ImageDraw.Draw(image).text((8, 8 + 10 * i), f"Página {i}: ñ ¿? ¡!", fill="black")
        images.append(image)
    return images


def _requests(n: int, base: int = 10) -> list[VlmRequest]:
    return [
        VlmRequest(page=i, images=[image], prompt=page_prompt(), max_new_tokens=base + 5 * i)
        for i, image in enumerate(_images(n), 1)
    ]


def _stage(tiny_model_dir, kind: str = "nanonets", rows: int = 3) -> VlmStage:
    settings = Settings(model_dir=tiny_model_dir, vlm_model=kind, vlm_batch_size=rows)
    return VlmStage.from_settings(settings, device="cpu")


def _reference(stage: VlmStage, request: VlmRequest) -> list[int]:
    """transformers' ``generate``, greedy, one page: the tokens up to the stop token."""
    import torch

    inputs = stage.inputs(request)
    with torch.inference_mode():
        out = stage.model.generate(
            **inputs,
            max_new_tokens=request.max_new_tokens,
            do_sample=False,
            eos_token_id=stage._stop_ids,
            pad_token_id=stage._stop_ids[0],
        )
    ids = out[0, inputs["input_ids"].shape[1] :].tolist()
    stop = next((k for k, t in enumerate(ids) if t in stage._stop_ids), None)
    return ids if stop is None else ids[:stop]


def _tokens(stage: VlmStage, requests: list[VlmRequest]) -> list[list[int]]:
    """Generated ids per request through the scheduler (stop token dropped)."""
    from docworker.stages.vlm.scheduler import Task

    tasks = [Task(r.page, stage.inputs(r), r.max_new_tokens or 8, guard=False) for r in requests]
    futures = [stage.scheduler.submit(t) for t in tasks]
    out = []
    for future in futures:
        ids = future.result(timeout=120).tokens
        stop = next((k for k, t in enumerate(ids) if t in stage._stop_ids), None)
        out.append(ids if stop is None else ids[:stop])
    return out


@pytest.mark.parametrize(
    ("kind", "attention"), [("nanonets", "sdpa"), ("nanonets", "eager"), ("got-ocr2", "sdpa")]
)
def test_continuous_batching_equals_generate_token_for_token(
    tiny_model_dir, kind, attention, monkeypatch
):
    # A small starting buffer, so the window is moved and the buffer grows during the run.
    monkeypatch.setattr(batcher, "INITIAL_CAPACITY", 8)
    stage = _stage(tiny_model_dir, kind, rows=3)
    if attention == "eager":  # the additive float mask instead of sdpa's boolean one
        stage.model.set_attn_implementation("eager")
    assert stage.model.config.get_text_config()._attn_implementation == attention
    requests = _requests(5)
    got = _tokens(stage, requests)
    assert stage.scheduler.peak_rows == 3  # rows joined as others left
    for request, tokens in zip(requests, got, strict=True):
        assert tokens == _reference(stage, request), f"page {request.page}"
    assert len({len(r.images[0].tobytes()) for r in requests}) == 5  # five page sizes


def test_the_checkpoints_repetition_penalty_is_applied_as_generate_does(tiny_model_dir):
    stage = _stage(tiny_model_dir, rows=2)
    stage.model.generation_config.repetition_penalty = 1.3
    requests = _requests(3, base=20)
    got = _tokens(stage, requests)
    for request, tokens in zip(requests, got, strict=True):
        assert tokens == _reference(stage, request)


def test_pages_from_several_jobs_share_one_batch(tiny_model_dir):
    stage = _stage(tiny_model_dir, rows=4)
    results: dict[str, list] = {}
    gate = threading.Barrier(2)

    def job(name: str) -> None:
        gate.wait()
        results[name] = stage.run(_requests(2, base=30))

    threads = [threading.Thread(target=job, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert stage.scheduler.peak_rows > 2  # more rows than one job's two pages
    assert [r.tokens for r in results["a"]] == [r.tokens for r in results["b"]]
    assert all(r.error is None for rs in results.values() for r in rs)


def _failing_forward(stage: VlmStage, exc_factory, when):
    """Make the model raise ``exc_factory()`` on forward passes for which ``when`` holds."""
    real = stage.model.forward
    calls = {"n": 0}

    def forward(*args, **kwargs):
        calls["n"] += 1
        if when(kwargs, calls["n"]):
            raise exc_factory()
        return real(*args, **kwargs)

    stage.model.forward = forward
    return calls


def test_oom_in_a_step_sends_rows_back_and_splits_the_whole_queue(tiny_model_dir):
    import torch

    stage = _stage(tiny_model_dir, rows=4)
    requests = _requests(6)
    expected = [_reference(stage, r) for r in requests]
    fired = []

    def when(kwargs, n):
        rows = kwargs["input_ids"].shape[0]
        decoding = kwargs.get("pixel_values") is None
        if decoding and rows > 2 and not fired:
            fired.append(rows)
            return True
        return False

    _failing_forward(stage, lambda: torch.cuda.OutOfMemoryError("CUDA out of memory (test)"), when)
    results = stage.run(requests, loop_guard=False)
    assert fired and stage.oom_retries == 1
    assert stage.scheduler.limit == 2  # halved for every page after, not just one chunk
    assert all(r.error is None for r in results)
    decoded = [
        stage.processor.tokenizer.decode(e, skip_special_tokens=True).strip() for e in expected
    ]
    assert [r.text for r in results] == decoded  # evicted pages were generated again, the same


def test_a_page_that_runs_out_of_memory_alone_fails_alone(tiny_model_dir):
    import torch

    stage = _stage(tiny_model_dir, rows=1)
    requests = _requests(3)
    prefills = []

    def when(kwargs, n):
        if kwargs.get("pixel_values") is None:
            return False
        prefills.append(n)
        return len(prefills) == 2  # the second page, with no other row running

    _failing_forward(stage, lambda: torch.cuda.OutOfMemoryError("CUDA out of memory (test)"), when)
    results = stage.run(requests)
    assert [r.error is None for r in results] == [True, False, True]
    assert results[1].error.code == "engine_failed"
    assert "out of GPU memory in the VLM, even alone" in results[1].error.message


def test_oom_in_a_prefill_with_rows_running_requeues_the_page(tiny_model_dir):
    import torch

    stage = _stage(tiny_model_dir, rows=3)
    requests = _requests(3, base=25)
    prefills = []

    def when(kwargs, n):
        if kwargs.get("pixel_values") is not None:
            prefills.append(n)
            return len(prefills) == 3  # the third page, once: two rows are running
        return False

    _failing_forward(stage, lambda: torch.cuda.OutOfMemoryError("CUDA out of memory (test)"), when)
    results = stage.run(requests, loop_guard=False)
    assert all(r.error is None for r in results) and len(prefills) == 4
    assert stage.scheduler.limit == 2 and stage.oom_retries == 1


def test_a_fatal_gpu_error_fails_every_page_and_asks_for_a_fresh_worker(tiny_model_dir):
    import torch

    stage = _stage(tiny_model_dir, rows=2)

    def when(kwargs, n):
        return kwargs.get("pixel_values") is None  # the first decode step

    _failing_forward(
        stage, lambda: torch.AcceleratorError("CUDA error: an illegal memory access"), when
    )
    results = stage.run(_requests(4, base=20))
    assert all(isinstance(r.error, errors.GpuFatal) for r in results)
    later = stage.run(_requests(1))
    assert isinstance(later[0].error, errors.GpuFatal)
    error = later[0].error
    assert error.code == "gpu_fatal" and error.retryable is False
    payload = errors.to_error_payload(error)
    assert payload["refresh_worker"] is True and payload["error"]["code"] == "gpu_fatal"


def test_a_processor_failure_fails_that_page_only(tiny_model_dir, monkeypatch):
    stage = _stage(tiny_model_dir, rows=3)
    real = stage.inputs

    def inputs(request):
        if request.page == 2:
            raise ValueError("simulated processor failure on page 2")
        return real(request)

    monkeypatch.setattr(stage, "inputs", inputs)
    results = stage.run(_requests(3))
    assert [r.error is None for r in results] == [True, False, True]
    assert results[1].error.code == "engine_failed"


def test_a_checkpoint_missing_a_weight_does_not_load(tiny_model_dir, tmp_path):
    import json
    import shutil

    from safetensors.torch import load_file, save_file

    folder = tmp_path / "nanonets-ocr-s"
    shutil.copytree(tiny_model_dir / "nanonets-ocr-s", folder)
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    key, shard = sorted(index["weight_map"].items())[-1]
    tensors = load_file(folder / shard)
    del tensors[key]
    save_file(tensors, folder / shard, metadata={"format": "pt"})
    del index["weight_map"][key]
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(errors.EngineUnavailable) as caught:
        VlmStage.from_settings(Settings(model_dir=tmp_path), device="cpu")
    assert "does not fit its model" in caught.value.message
    assert "missing keys" in caught.value.message


def test_the_nanonets_folder_has_the_hub_repository_s_files(tiny_model_dir):
    names = {p.name for p in (tiny_model_dir / "nanonets-ocr-s").iterdir()}
    assert {
        "config.json",
        "generation_config.json",
        "preprocessor_config.json",
        "video_preprocessor_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.json",
        "merges.txt",
        "chat_template.jinja",
        "model.safetensors.index.json",
    } <= names
    assert "processor_config.json" not in names
    assert len([n for n in names if n.startswith("model-000")]) == 2


def test_the_prompts_are_the_models_own(tiny_model_dir):
    nanonets = _stage(tiny_model_dir)
    request = _requests(1)[0]
    text = nanonets.processor.tokenizer.decode(nanonets.inputs(request)["input_ids"][0])
    assert text.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>")
    assert text.endswith(f"{page_prompt()}<|im_end|>\n<|im_start|>assistant\n")
    assert nanonets.options.max_new_tokens == 15000
    got = _stage(tiny_model_dir, "got-ocr2")
    text = got.processor.tokenizer.decode(got.inputs(request)["input_ids"][0])
    assert "OCR with format" in text and got.options.max_new_tokens == 4096


def test_a_cancelled_page_leaves_the_batch_at_the_next_step(tiny_model_dir):
    """A job out of time cancels its pages: a waiting one never starts, a running one stops."""
    import time

    stage = _stage(tiny_model_dir, rows=2)
    scheduler = stage.scheduler
    images = _images(3)
    running = VlmRequest(1, [images[0]], page_prompt(), max_new_tokens=2000, ignore_eos=True)
    other = VlmRequest(2, [images[1]], page_prompt(), max_new_tokens=30, ignore_eos=True)
    waiting = VlmRequest(3, [images[2]], page_prompt(), max_new_tokens=30, ignore_eos=True)
    left: dict[int, int] = {}
    real_retire = scheduler._retire

    def retire(i):
        left[scheduler._tasks[i].page] = len(scheduler._batch.rows[i].tokens)
        real_retire(i)

    scheduler._retire = retire
    first = stage.submit(running)
    second = stage.submit(other)
    deadline = time.monotonic() + 60
    while len(scheduler._tasks) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    third = stage.submit(waiting)
    third.cancel()
    first.cancel()
    assert second.result(timeout=60).tokens == 30
    while scheduler._tasks and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.cancelled() and third.cancelled()
    assert left[1] < 2000  # the cancelled row stopped early
    assert 3 not in left  # the waiting page never joined
