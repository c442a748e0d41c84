"""Make Fashion-MNIST ready before the course opens: ``python -m coursetools.prepare_data``.

Uses a local copy when there is one; otherwise says that the notebooks will download
it on first use (or fails with the reason when ``--require`` is given).

Example:
    >>> main(["--require"])  # doctest: +SKIP
    Fashion-MNIST is ready in .../data/FashionMNIST/raw
"""

from __future__ import annotations

import argparse
import sys

from helpers._runtime.datafiles import DataNotFoundError, ensure_fashion_mnist


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--require", action="store_true",
                        help="download if there is no local copy, and fail if that is impossible")
    args = parser.parse_args(argv)
    try:
        root = ensure_fashion_mnist(download=args.require)
    except DataNotFoundError as err:
        if args.require:
            print(err, file=sys.stderr)
            return 1
        print("No local copy of Fashion-MNIST: the notebooks download it on first use.")
        return 0
    print(f"Fashion-MNIST is ready in {root / 'FashionMNIST' / 'raw'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
