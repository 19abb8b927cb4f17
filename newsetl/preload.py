"""Loads every model of the CPU stages once, in the parent of the ingest flow's worker processes.

Imported by the forkserver of :class:`newsetl.runner.SharedModelsTaskRunner` (never by anything else): it runs
the real stages (clean, segment, language, NER, linking) on the bundled seed articles, as text and as HTML,
so that every lazily loaded model and table is in memory, then moves those objects out of the garbage
collector's reach (``gc.freeze``). Workers forked from this process share the pages copy-on-write instead of
each loading its own copy (~800 MB a worker) and start without the ~10 s of loading.
"""

from __future__ import annotations

import gc
import html
import sys

# Languages with a model that the seed articles (mostly Turkish) do not exercise.
SAMPLES = (
    "Russian Defence Minister Sergei Shoigu met his Turkish counterpart Hulusi Akar in Moscow on Monday. "
    "The two ministers discussed the situation in Libya and Syria, the ministry said in a statement.",
    "Министр обороны России Сергей Шойгу провёл в понедельник переговоры с министром национальной обороны "
    "Турции Хулуси Акаром в Москве. Стороны обсудили ситуацию в Ливии и Сирии, сообщило министерство.",
)


def warm() -> None:
    from newsetl.config import Paths
    from newsetl.doc import Doc
    from newsetl.memory import fixed_mmap_threshold, release_memory
    from tasks.extract import extract
    from tasks.process import clean_and_segment, enrich

    fixed_mmap_threshold()  # inherited by the workers forked from this process
    paths = Paths.resolve()
    docs = [extract(str(p)) for p in sorted(paths.corpus.glob("*.txt"))]
    page = "".join(f"<p>{html.escape(line)}</p>" for line in docs[0].raw_text.splitlines() if line.strip())
    docs.append(Doc(source_uri="preload.html", raw_text=f"<html><body>{page}</body></html>", media_type="html"))
    docs += [Doc(source_uri=f"preload-{i}.txt", raw_text=text, media_type="text") for i, text in enumerate(SAMPLES)]
    enrich(clean_and_segment(docs).docs, paths.seeds)
    # What Prefect's process-pool worker imports at its first task run: the task engine and Prefect's integrations
    # (prefect-dask, and with it dask and distributed: Prefect loads them on its first block lookup). Imported
    # here, they are shared instead of ~15 MB a worker. (Not the flow module that the worker also imports: it
    # brings DuckDB, whose bindings print "leaked instances" when this process exits, after the last batch.)
    import prefect.task_engine  # noqa: F401
    from prefect.plugins import load_prefect_collections

    load_prefect_collections()
    release_memory()
    gc.freeze()  # the models' objects: a collection in a worker must not touch (and so copy) their pages


try:
    warm()
except Exception as exc:  # noqa: BLE001 - a failed warm-up only costs speed: workers load what they need lazily
    print(f"newsetl: model preload failed ({type(exc).__name__}: {exc}); workers will load models", file=sys.stderr)
