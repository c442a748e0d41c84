"""A real TensorBoard serves every dashboard the course writes, with exactly what was written.

The runs are the chapters' own (`coursetools.chapters`: nbval's execution, or one here); what was
written is read back from the event files with TensorBoard's Python reader; the server
(which reads them with its own data server) must answer the same through its HTTP API.
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from tensorboard.util import tensor_util

from coursetools.chapters import chapter_value
from coursetools.dashboards import VIEWS
from helpers.board import find_runs, load_run
from helpers.data import CLASSES

pytestmark = pytest.mark.server


def get(server, route: str, body: dict | None = None, **params):
    """GET (or POST ``body`` as JSON) ``/data/<route>?params`` and return the decoded answer."""
    url = f"{server.url}data/{route}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if response.headers.get_content_type() == "application/json" else raw


def written(logdir: Path, kind: str) -> dict[str, dict[str, list[int]]]:
    """``{run: {tag: steps}}`` of one kind of event, read from the event files."""
    out = {}
    for run in find_runs(logdir):
        acc = load_run(run)
        name = run.relative_to(logdir).as_posix()
        if kind in ("scalars", "images", "histograms"):
            events = {tag: getattr(acc, kind.capitalize())(tag) for tag in acc.Tags()[kind]}
        else:  # a plugin's tensors: text, pr_curves
            try:
                tags = acc.PluginTagToContent(kind)
            except KeyError:  # nothing of this plugin in the run
                tags = {}
            events = {tag: acc.Tensors(tag) for tag in tags}
        if events:
            out[name] = {tag: [e.step for e in evs] for tag, evs in events.items()}
    return out


def test_every_dashboard_the_course_writes_is_active(tensorboard_server):
    wanted = {view.dashboard for view in VIEWS}
    assert wanted >= {"scalars", "images", "graphs", "projector", "pr_curves", "histograms",
                      "hparams", "text"}
    deadline = time.monotonic() + 30
    while True:  # the projector decides in the background whether it has data
        listing = get(tensorboard_server, "plugins_listing")
        inactive = {name for name in wanted if not listing.get(name, {}).get("enabled")}
        if not inactive or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not inactive, f"dashboards without data: {sorted(inactive)}"


def test_runs_are_exactly_the_runs_written(tensorboard_server, course_runs):
    logdir, runs = course_runs
    served = get(tensorboard_server, "runs")
    assert sorted(served) == sorted(run.relative_to(logdir).as_posix() for run in find_runs(logdir))
    assert {run.split("/")[0].split("-")[0] for run in served} == set(runs)


@pytest.mark.parametrize("kind", ["scalars", "histograms"])
def test_scalars_and_histograms_have_every_tag_and_step(tensorboard_server, course_runs, kind):
    expected = written(course_runs[0], kind)
    tags = get(tensorboard_server, f"plugin/{kind}/tags")
    assert {run: set(t) for run, t in tags.items()} == {run: set(t) for run, t in expected.items()}
    for run, by_tag in expected.items():
        for tag, steps in by_tag.items():
            series = get(tensorboard_server, f"plugin/{kind}/{kind}", run=run, tag=tag)
            assert [point[1] for point in series] == steps, (run, tag)


def test_scalar_values_are_the_ones_written(tensorboard_server, course_runs):
    logdir, runs = course_runs
    acc = load_run(runs["04_training"])
    run = runs["04_training"].relative_to(logdir).as_posix()
    series = get(tensorboard_server, "plugin/scalars/scalars", run=run, tag="loss/train")
    written_values = [e.value for e in acc.Scalars("loss/train")]
    assert [v for _, _, v in series] == pytest.approx(written_values)
    assert len(series) > 10 and series[-1][2] < series[0][2], "the training loss should fall"


def test_images_have_every_tag_step_and_picture(tensorboard_server, course_runs):
    logdir = course_runs[0]
    expected = written(logdir, "images")
    tags = get(tensorboard_server, "plugin/images/tags")
    assert {run: set(t) for run, t in tags.items()} == {run: set(t) for run, t in expected.items()}
    import io

    from PIL import Image

    for run, by_tag in expected.items():
        acc = load_run(logdir / run)
        for tag, steps in by_tag.items():
            entries = get(tensorboard_server, "plugin/images/images", run=run, tag=tag, sample=0)
            assert [e["step"] for e in entries] == steps, (run, tag)
            png = get(tensorboard_server, "plugin/images/individualImage?" + entries[-1]["query"])
            last = acc.Images(tag)[-1]
            assert Image.open(io.BytesIO(png)).size == (last.width, last.height)


def test_graph_of_net_is_served(tensorboard_server, course_runs):
    logdir, runs = course_runs
    run = runs["02_graph"].relative_to(logdir).as_posix()
    info = get(tensorboard_server, "plugin/graphs/info")
    with_graph = {r for r, i in info.items() if i.get("run_graph")}
    assert with_graph == {r.relative_to(logdir).as_posix() for r in find_runs(logdir)
                          if load_run(r).Tags()["graph"]}
    assert run in with_graph
    graph = get(tensorboard_server, "plugin/graphs/graph", run=run, conceptual="false").decode()
    nodes = [line.split('"')[1] for line in graph.splitlines() if line.strip().startswith("name:")]
    assert len(nodes) == len(load_run(runs["02_graph"]).Graph().node)
    assert {name.split("/")[0] for name in nodes} >= {"input", "output", "Net"}
    assert {"Net/Conv2d[conv1]", "Net/Linear[fc3]"} <= {"/".join(n.split("/")[:2]) for n in nodes}


def test_one_pr_curve_per_class_with_every_threshold(tensorboard_server, course_runs):
    logdir, runs = course_runs
    expected = written(logdir, "pr_curves")
    tags = get(tensorboard_server, "plugin/pr_curves/tags")
    assert {run: set(t) for run, t in tags.items()} == {run: set(t) for run, t in expected.items()}
    run = runs["05_pr_curves"].relative_to(logdir).as_posix()
    assert set(tags[run]) == set(CLASSES)
    acc = load_run(runs["05_pr_curves"])
    for tag in CLASSES:
        curves = get(tensorboard_server, "plugin/pr_curves/pr_curves", run=run, tag=tag)[run]
        assert [c["step"] for c in curves] == expected[run][tag]
        # written: rows TP, FP, TN, FN, precision, recall at 127 thresholds; the dashboard
        # leaves out the highest thresholds, where no image is predicted and precision is undefined
        table = tensor_util.make_ndarray(acc.Tensors(tag)[-1].tensor_proto)
        served = curves[-1]
        assert table.shape == (6, 127) and 0 < len(served["precision"]) <= 127
        n = len(served["precision"])
        assert served["precision"] == pytest.approx(table[4, :n].tolist())
        assert served["recall"] == pytest.approx(table[5, :n].tolist())
        assert served["true_positives"] == table[0, :n].astype(int).tolist()


def test_text_is_served(tensorboard_server, course_runs):
    expected = written(course_runs[0], "text")
    tags = get(tensorboard_server, "plugin/text/tags")
    served = {run: set(t) for run, t in tags.items() if t}
    assert served == {run: set(t) for run, t in expected.items()}
    for run, by_tag in expected.items():
        for tag, steps in by_tag.items():
            texts = get(tensorboard_server, "plugin/text/text", run=run, tag=tag)
            assert [t["step"] for t in texts] == steps and all(t["text"] for t in texts)


def test_hparams_list_every_session(tensorboard_server, course_runs):
    logdir, runs = course_runs
    experiment = get(tensorboard_server, "plugin/hparams/experiment", body={"experimentName": ""})
    assert {h["name"] for h in experiment["hparamInfos"]} == {"lr", "batch_size"}
    metrics = ["accuracy/test", "loss/test"]
    assert sorted(m["name"]["tag"] for m in experiment["metricInfos"]) == metrics
    groups = get(tensorboard_server, "plugin/hparams/session_groups", body={
        "experimentName": "", "colParams": [],
        "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
        "startIndex": 0, "sliceSize": 100, "aggregationType": "AGGREGATION_AVG"})
    sessions = {s["name"]: g["hparams"] for g in groups["sessionGroups"] for s in g["sessions"]}
    sweep = runs["06_comparing_runs"]
    names = chapter_value("06_comparing_runs", "NAMES")  # the add_scalars run has no session
    assert set(sessions) == {(sweep / name).relative_to(logdir).as_posix() for name in names}
    settings = chapter_value("06_comparing_runs", "SETTINGS")  # the chapter's (lr, batch size)
    assert sorted((h["lr"], h["batch_size"]) for h in sessions.values()) == sorted(settings)
    for group in groups["sessionGroups"]:
        acc = load_run(logdir / group["name"])
        shown = {m["name"]["tag"]: m["value"] for m in group["metricValues"]}
        last = {tag: acc.Scalars(tag)[-1].value for tag in metrics}  # the dashboard's value
        assert shown == pytest.approx(last), group["name"]


def test_distributed_run_is_one_event_file_counting_every_image(course_runs):
    run = course_runs[1]["07_distributed"]
    assert find_runs(run) == [run] and len(list(run.iterdir())) == 1
    [*_, last] = load_run(run).Scalars("progress/images_seen")
    images = chapter_value("07_distributed", "TRAIN_SIZE") * chapter_value("07_distributed", "EPOCHS")
    assert last.value == images  # every image of every process, counted by rank 0
    assert "RANK" not in os.environ, "writing the course's runs left the job's environment behind"


def test_projector_serves_every_point_with_labels_and_thumbnails(tensorboard_server, course_runs):
    logdir, runs = course_runs
    run = runs["03_projector"].relative_to(logdir).as_posix()
    assert get(tensorboard_server, "plugin/projector/runs") == [run]
    n_points = chapter_value("03_projector", "N_POINTS")
    embeddings = get(tensorboard_server, "plugin/projector/info", run=run)["embeddings"]
    shapes = {e["tensorName"].split(":")[0]: e["tensorShape"] for e in embeddings}
    assert shapes == {"pixels": [n_points, 784], "learned": [n_points, 84]}  # both, one run
    for embedding in embeddings:
        name, dims = embedding["tensorName"], embedding["tensorShape"][1]
        tensor = get(tensorboard_server, "plugin/projector/tensor", run=run, name=name)
        assert len(tensor) == n_points * dims * 4  # float32
        labels = get(tensorboard_server, "plugin/projector/metadata", run=run, name=name).decode()
        assert len(labels.splitlines()) == n_points
        assert set(labels.splitlines()) <= set(CLASSES)
        sprite = get(tensorboard_server, "plugin/projector/sprite_image", run=run, name=name)
        assert sprite[:8] == b"\x89PNG\r\n\x1a\n"
