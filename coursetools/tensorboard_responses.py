"""What TensorBoard's page received: the scalar points in the responses a browser saw, so a
test can tell that a frame showed a run's data, and that it grew while a chapter trained.

Example:
    >>> scalar_points("http://h:1/data/plugin/scalars/scalars?tag=loss&run=a",
    ...               None, "[[0, 1, 0.5], [1, 2, 0.4]]", "loss")
    2
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit


def form_field(post_data: str | None, name: str) -> str | None:
    r"""The value of field ``name`` in a form a page posted (URL-encoded or multipart).

    Example:
        >>> form_field("tag=training+loss&runs=a", "tag")
        'training loss'
        >>> form_field('--x\r\nContent-Disposition: form-data; name="tag"\r\n\r\nloss\r\n--x--',
        ...            "tag")
        'loss'
    """
    if not post_data:
        return None
    multipart = re.search(rf'name="{re.escape(name)}"\r?\n\r?\n(.*?)\r?\n--', post_data, re.S)
    if multipart:
        return multipart.group(1)
    return parse_qs(post_data).get(name, [None])[0]


def scalar_series(url: str, post_data: str | None, body: str) -> dict[str, int]:
    """The scalar tags one response of TensorBoard's page carries, with how many points of
    each (all runs together). Understands the Time Series dashboard (``timeSeries``) and the
    Scalars dashboard (``scalars``, ``scalars_multirun``); anything else gives ``{}``.

    Example:
        >>> body = '[{"plugin": "scalars", "tag": "loss", "runToSeries": {"a": [{}, {}]}}]'
        >>> scalar_series("http://h:1/data/plugin/timeseries/timeSeries", None, body)
        {'loss': 2}
        >>> scalar_series("http://h:1/data/plugin/scalars/scalars_multirun", "tag=loss&runs=a",
        ...               '{"a": [[0, 1, 0.5]], "b": [[0, 1, 0.5], [1, 2, 0.4]]}')
        {'loss': 3}
        >>> scalar_series("http://h:1/data/runs", None, "[]")
        {}
    """
    path = urlsplit(url).path
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    found: dict[str, int] = {}
    if path.endswith("/timeseries/timeSeries") and isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and item.get("plugin") == "scalars":
                series = item.get("runToSeries") or {}
                found[item.get("tag")] = sum(len(points) for points in series.values())
    elif path.endswith("/scalars/scalars_multirun") and isinstance(data, dict):
        tag = form_field(post_data, "tag")
        if tag is not None:
            found[tag] = sum(len(points) for points in data.values())
    elif path.endswith("/scalars/scalars") and isinstance(data, list):
        tag = parse_qs(urlsplit(url).query).get("tag", [None])[0]
        if tag is not None:
            found[tag] = len(data)
    return found


def scalar_points(url: str, post_data: str | None, body: str, tag: str) -> int | None:
    """How many points of scalar ``tag`` one response of TensorBoard's page carries (all runs
    together), or ``None`` if it is not about that tag (see `scalar_series`).

    Example:
        >>> scalar_points("http://h:1/data/plugin/scalars/scalars?tag=loss&run=a",
        ...               None, "[[0, 1, 0.5]]", "loss")
        1
        >>> scalar_points("http://h:1/data/runs", None, "[]", "loss") is None
        True
    """
    return scalar_series(url, post_data, body).get(tag)
