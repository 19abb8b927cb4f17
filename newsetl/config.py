"""Where things live: the data dir (DuckDB file, run lock), the Parquet lake (in the data dir, or any fsspec URL)
and the bundled seeds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from newsetl.lake import Lake

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = "data"


@dataclass(frozen=True, slots=True)
class Paths:
    data_dir: Path
    seeds: Path
    lake: Lake

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike | None = None, lake: str | None = None) -> Paths:
        """``data_dir`` argument, else ``$NEWSETL_DATA_DIR``, else ``./data``; seeds from ``$NEWSETL_SEEDS_DIR``;
        the Parquet lake at ``lake`` (a path or fsspec URL), else ``$NEWSETL_LAKE``, else ``<data_dir>/lake``."""
        data = Path(data_dir or os.environ.get("NEWSETL_DATA_DIR") or DEFAULT_DATA_DIR).absolute()
        seeds = Path(os.environ.get("NEWSETL_SEEDS_DIR") or REPO_ROOT / "seeds").absolute()
        return cls(data, seeds, Lake.of(lake or os.environ.get("NEWSETL_LAKE") or data / "lake"))

    @property
    def db(self) -> Path:
        return self.data_dir / "newsetl.duckdb"

    @property
    def corpus(self) -> Path:
        """The sample corpus the pipeline runs on by default."""
        return self.seeds / "corpus"
