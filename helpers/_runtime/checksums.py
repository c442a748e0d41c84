"""Faster reading and writing of event files where TensorFlow is not installed.

Every record in an event file carries a CRC-32C checksum. Without TensorFlow, TensorBoard
computes it in pure Python, a few MB per second: most of the time it takes to read a run
back (`helpers._runtime.runs`) and part of writing one. The `crc32c` package computes the
same checksum in C. `use_fast_checksums` makes TensorBoard's own reader and writer use it;
the bytes on disk, and what TensorBoard shows, stay the same.

>>> use_fast_checksums()
True
>>> masked_crc32c(b"hello")  # what TensorBoard writes after each record
421273531
"""

from __future__ import annotations

_MASK = 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TensorBoard's masked CRC-32C of ``data``, computed by the `crc32c` package.

    >>> masked_crc32c(b"")
    2726488792
    """
    import crc32c

    x = crc32c.crc32c(data)
    return (((x >> 15) | (x << 17) & _MASK) + 0xA282EAD8) & _MASK


def use_fast_checksums() -> bool:
    """Make TensorBoard's event-file reader and writer use `masked_crc32c`; True if they do.

    False, and nothing changes, where the `crc32c` package is missing (TensorBoard's own
    pure-Python code is used) or TensorBoard's code has moved. Calling it again is harmless.

    >>> use_fast_checksums()
    True
    """
    try:
        import crc32c  # noqa: F401
        from tensorboard.compat.tensorflow_stub import pywrap_tensorflow
        from tensorboard.summary.writer import record_writer
    except ImportError:
        return False
    if not all(hasattr(m, "masked_crc32c") for m in (pywrap_tensorflow, record_writer)):
        return False
    pywrap_tensorflow.masked_crc32c = masked_crc32c  # the reader (EventAccumulator)
    record_writer.masked_crc32c = masked_crc32c  # the writer (SummaryWriter)
    return True
