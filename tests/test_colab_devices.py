"""Tensors reach numpy and matplotlib only through ``.cpu()``, so a GPU runtime (Colab) works.

This machine has no GPU: the plots and PR-curve helpers run here on every device torch
finds (the CPU, plus a GPU where there is one) through the same code a GPU takes; and a
static check over ``helpers/`` and the notebooks proves that every ``.numpy()`` is applied
to a tensor that went through ``.cpu()`` -- on CUDA, ``.numpy()`` without it raises.
"""

from __future__ import annotations

import ast
import re

import nbformat
import numpy as np
import pytest
import torch
from torch.utils.tensorboard import SummaryWriter

from coursetools.course import REPO, chapter_paths
from helpers.board import summarize
from helpers.data import CLASSES
from helpers.model import Net
from helpers.plots import images_to_probs, matplotlib_imshow, plot_classes_preds
from helpers.train import fit, predict_probs

DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else []),
           *(["mps"] if torch.backends.mps.is_available() else [])]


@pytest.mark.parametrize("device", DEVICES)
def test_plots_and_pr_curves_take_tensors_on_any_device(device, tmp_path):
    torch.manual_seed(0)
    net = Net().to(device)
    images = torch.rand(6, 1, 28, 28, device=device) * 2 - 1
    labels = torch.arange(6, device=device)

    assert matplotlib_imshow(images[0], one_channel=True).images[0].get_array().shape == (28, 28)
    preds, probs = images_to_probs(net, images)
    assert isinstance(preds, np.ndarray) and probs.shape == (6,)
    assert len(plot_classes_preds(net, images, labels, CLASSES).axes) == 6
    all_probs, all_labels = predict_probs(net, [(images, labels)])
    assert all_probs.device.type == all_labels.device.type == "cpu"

    with SummaryWriter(tmp_path) as writer:
        fit(net, [(images, labels)] * 2, torch.optim.Adam(net.parameters()), writer=writer,
            log_every=1, figure_every=2, classes=CLASSES, progress=False)
        probs_here = all_probs.to(device)  # chapter 05's calls, with tensors on the device
        for i, name in enumerate(CLASSES):
            writer.add_pr_curve(name, labels == i, probs_here[:, i], global_step=0)
    shows = summarize(tmp_path)
    assert "predictions vs. actuals  1 image" in shows and shows.count("127 thresholds") == 10


def python_sources() -> dict[str, str]:
    """Every helpers module and every notebook code cell (magics and shell lines blanked)."""
    modules = sorted((REPO / "helpers").rglob("*.py"))
    sources = {str(p.relative_to(REPO)): p.read_text() for p in modules}
    for path in chapter_paths():
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                sources[f"{path.name} cell {i}"] = re.sub(r"(?m)^\s*[%!].*$", "", cell.source)
    return sources


def calls_cpu(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and n.func.attr == "cpu" for n in ast.walk(node))


def numpy_without_cpu(tree: ast.AST) -> list[int]:
    """Lines where ``.numpy()`` is called on something that did not go through ``.cpu()``.

    Fine: ``x.detach().cpu().numpy()``, and ``x.mean().numpy()`` when every assignment to
    ``x`` in that function either calls ``.cpu()`` or derives ``x`` from itself.
    """
    bad = []
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef))]
    for scope in scopes:
        assigned: dict[str, list[ast.AST]] = {}
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
        for node in ast.walk(scope):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "numpy"):
                continue
            receiver = node.func.value
            if calls_cpu(receiver):
                continue
            base = receiver
            while isinstance(base, (ast.Call, ast.Attribute, ast.Subscript)):
                base = base.func if isinstance(base, ast.Call) else base.value
            values = assigned.get(getattr(base, "id", ""), [])
            derived = all(calls_cpu(v) or any(isinstance(n, ast.Name) and n.id == base.id
                                              for n in ast.walk(v)) for v in values)
            if not (values and derived and any(calls_cpu(v) for v in values)):
                bad.append(node.lineno)
    return sorted(set(bad))


def test_every_numpy_call_comes_after_cpu():
    offenders = {name: lines for name, src in python_sources().items()
                 if (lines := numpy_without_cpu(ast.parse(src)))}
    assert not offenders, f".numpy() on a tensor maybe on the GPU: add .cpu() first: {offenders}"


def test_the_numpy_check_catches_a_gpu_tensor():
    assert numpy_without_cpu(ast.parse("probs = net(x)\nprobs.numpy()")) == [2]
    assert numpy_without_cpu(ast.parse("t.detach().numpy()")) == [1]
    assert numpy_without_cpu(ast.parse("t = x.cpu()\nt = t / 2\nt.numpy()")) == []
    assert numpy_without_cpu(ast.parse("t = x.cpu()\nt = y\nt.numpy()")) == [3]
