"""The Parquet lake: a local folder or any fsspec URL (``s3://bucket/prefix``, ``gs://…``, ``az://…``, ``memory://…``).

Everything that touches lake files goes through :class:`Lake`, so the load, orphan-removal and compaction code
is the same for a folder and for object storage. Paths handed around are strings inside the lake's filesystem
(``<root>/<table>/<batch_key>.parquet``); :meth:`Lake.uri` turns one into the URL DuckDB reads, and
:attr:`Lake.remote_fs` is registered on the DuckDB connection to read non-local ones through the same fsspec filesystem (no
DuckDB extension is downloaded). Object-store protocols need their fsspec package (``s3fs`` for ``s3://``,
the ``s3`` extra); credentials and endpoints come from the usual places (``AWS_*`` variables, or fsspec's
``FSSPEC_S3_ENDPOINT_URL``-style configuration).

Atomicity: a local file is written to a temp name, fsynced and renamed; an object store's PUT is atomic by
itself (readers see the old object or the new one), so there the file is written in place.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem


@dataclass(frozen=True)
class Lake:
    url: str
    fs: fsspec.AbstractFileSystem = field(init=False, repr=False, compare=False)
    root: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fs, root = fsspec.core.url_to_fs(str(self.url))
        object.__setattr__(self, "fs", fs)
        object.__setattr__(self, "root", root.rstrip("/"))

    @classmethod
    def of(cls, location: str | os.PathLike) -> Lake:
        """A lake at a URL, or at a local path (made absolute)."""
        s = str(location)
        return cls(s if "://" in s or "::" in s else str(Path(s).absolute()))

    def __reduce__(self):  # pickle the URL only: the filesystem is re-resolved (fsspec caches instances)
        return (Lake, (self.url,))

    @property
    def local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def path(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts)

    def uri(self, path: str) -> str:
        """What DuckDB's ``read_parquet`` is given for ``path``."""
        return path if self.local else self.fs.unstrip_protocol(path)

    @property
    def remote_fs(self) -> fsspec.AbstractFileSystem | None:
        """The filesystem a DuckDB connection must register to read this lake (None: local, read directly)."""
        return None if self.local else self.fs

    # --- listing -------------------------------------------------------------------------------------------
    def tables(self) -> list[str]:
        """The table folders (names) under the root."""
        if not self.fs.exists(self.root):
            return []
        entries = self.fs.ls(self.root, detail=True)
        return sorted(posixpath.basename(e["name"].rstrip("/")) for e in entries if e["type"] == "directory")

    def files(self, table: str, pattern: str = "*.parquet") -> list[str]:
        folder = self.path(table)
        return sorted(self.fs.glob(posixpath.join(folder, pattern))) if self.fs.exists(folder) else []

    def all_files(self) -> list[str]:
        """Every file one level below the table folders (Parquet files and temp files of interrupted writes)."""
        return [f for t in self.tables() for f in self.files(t, "*")]

    def exists(self, path: str) -> bool:
        return self.fs.exists(path)

    # --- reading ---------------------------------------------------------------------------------------------
    def read_table(self, path: str) -> pa.Table:
        with self.fs.open(path, "rb") as f:
            return pq.read_table(f)

    def read_metadata(self, path: str) -> pq.FileMetaData:
        with self.fs.open(path, "rb") as f:
            return pq.read_metadata(f)

    def read_schema(self, path: str) -> pa.Schema:
        with self.fs.open(path, "rb") as f:
            return pq.read_schema(f)

    def sha256(self, path: str) -> str:
        h = hashlib.sha256()
        with self.fs.open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    # --- writing ---------------------------------------------------------------------------------------------
    def write_parquet(self, table: pa.Table, path: str) -> None:
        """Write ``path`` so that readers see either the old file or the complete new one, never a part."""
        if not self.local:
            with self.fs.open(path, "wb") as f:
                pq.write_table(table, f, compression="zstd")
            return
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                pq.write_table(table, f, compression="zstd")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(target.parent)

    def delete(self, paths: list[str]) -> None:
        for p in paths:
            if self.fs.exists(p):
                self.fs.rm_file(p)
        if self.local:
            for folder in {Path(p).parent for p in paths}:  # orphan removal deletes across table folders
                _fsync_dir(folder)


def stem(path: str) -> str:
    """``<root>/documents/abc.parquet`` -> ``abc``."""
    return posixpath.splitext(posixpath.basename(path))[0]


def table_of(path: str) -> str:
    """``<root>/documents/abc.parquet`` -> ``documents``."""
    return posixpath.basename(posixpath.dirname(path))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
