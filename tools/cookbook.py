# Usage: .venv/bin/python tools/cookbook.py DATA_DIR  (after `newsetl run --data-dir DATA_DIR` on the seeds)
"""Generate docs/COOKBOOK.md by running each query with `newsetl sql` on a data dir."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = sys.argv[1]
RECIPES = [
    (
        "What is in the warehouse, per day and language?",
        "`daily_volume` counts documents, sentences, mentions and characters per day and document language.",
        "select day, lang, n_documents, n_sentences, n_mentions, n_chars\nfrom daily_volume\norder by day, n_documents desc, lang",
    ),
    (
        "Which entities are mentioned most, and under which names?",
        "`entity_profile` has one row per mentioned entity: knowledge-base facts (label, source, Wikidata/GeoNames id) and where, when, in which languages and under which surface forms the news names it.",
        "select name, label, kb_source, external_id, n_mentions, n_documents, languages, surfaces\nfrom entity_profile\norder by n_mentions desc, name\nlimit 10",
    ),
    (
        "One entity across languages, day by day",
        "`entity_timeline` has a row per entity, day and sentence language, with the surface forms used. Here: Libya.",
        "select day, lang, n_mentions, n_documents, surfaces\nfrom entity_timeline\nwhere entity_name = 'Libya'\norder by day, lang",
    ),
    (
        "Who met whom?",
        "`who_met_whom`: pairs of people (PER entities) named in the same document; `n_sentences` counts the sentences that name both. A family name alone counts as the one person of the corpus it names (`stg_mentions.resolved_id`, recipe below).",
        "select name_a, name_b, n_documents, n_sentences, languages, first_day\nfrom who_met_whom\norder by n_sentences desc, n_documents desc, name_a, name_b\nlimit 10",
    ),
    (
        "What is mentioned together with Türkiye?",
        "Co-occurrence by hand: the documents that name Türkiye, then every other entity they name. (`entity_cooccurrence` has the same pairs for all entities at once.)",
        "with turkey_docs as (\n    select distinct doc_id from stg_mentions where entity_name = 'Türkiye'\n)\nselect e.name, e.label, count(distinct m.doc_id) as n_documents,\n       list_sort(list_distinct(list(m.lang))) as languages\nfrom stg_mentions m\njoin turkey_docs using (doc_id)\njoin entities e using (entity_id)\nwhere e.name <> 'Türkiye'\ngroup by e.name, e.label\norder by n_documents desc, e.name\nlimit 10",
    ),
    (
        "How is a place called in each language?",
        "`entity_aliases` holds every name of an entity with its language, from the reference gazetteers and from the news itself.",
        "select lang, string_agg(alias, ' / ' order by alias) as names\nfrom entity_aliases\nwhere entity_id = (select entity_id from entities where name = 'Libya' and label = 'LOC' limit 1)\n  and lang in ('ar', 'en', 'fr', 'ru', 'tr')\ngroup by lang\norder by lang",
    ),
    (
        "Keyword in context: the sentences that name an entity",
        "`stg_mentions` joins mentions to entities, sentence languages and days; join `sentences` for the text.",
        "select m.lang, m.surface, left(s.text, 90) as sentence\nfrom stg_mentions m\njoin sentences s using (doc_id, sent_idx)\nwhere m.entity_name = 'Libya'\norder by m.doc_id, m.sent_idx\nlimit 6",
    ),
    (
        "Which entities did each run bring in?",
        "`new_entities_per_run`: the run that first loaded a mention of each entity; aggregate per run and label.",
        "select run_id[:8] as run, label, count(*) as new_entities, sum(n_mentions) as mentions\nfrom new_entities_per_run\ngroup by all\norder by run, new_entities desc",
    ),
    (
        "Entities linked across languages",
        "The point of entity linking: one entity, several languages and scripts. `entity_profile` rows whose mentions come from sentences in more than one language.",
        "select name, label, len(languages) as n_languages, languages, surfaces\nfrom entity_profile\nwhere len(languages) > 1\norder by n_languages desc, n_mentions desc, name\nlimit 10",
    ),
    (
        "Language mix per source",
        "`language_mix`: documents and sentences per source (site or host, `local` for files) and language.",
        "select source, lang, n_documents, n_sentences\nfrom language_mix\norder by source, n_sentences desc",
    ),
    (
        "Runs: what happened, how long it took",
        "`run_history`: every `runs` row with its duration and how many of its documents and rejects are still current (a reload moves documents to the newer run).",
        "select run_id[:8] as run, status, duration_s, n_seen, n_loaded, n_skipped, n_rejected, n_documents_now\nfrom run_history\norder by started_at",
    ),
    (
        "Rejected inputs and why",
        "`rejects_per_source`: rejected inputs per source directory (or host) and reason; `rejects` has the details.",
        "select source, reason, n_rejects\nfrom rejects_per_source\norder by n_rejects desc, source, reason",
    ),
    (
        "Which person does a family name alone name?",
        "A document is linked on its own text: `Berlusconi` alone keeps a family-only id in `mentions.entity_id`. `stg_families` resolves it across the corpus to the person named in at least 80% of the documents that name a person of that family in full (`person_id`, null when ambiguous); `stg_mentions.resolved_id` applies it (docs/ENTITIES.md).",
        "with people as (\n    select family_id, person_id, share, unnest(people) as entity_id, unnest(people_documents) as n_documents\n    from stg_families\n),\nresolved as (\n    select entity_id as family_id, count(*) as n_mentions from stg_mentions\n    where resolved_id <> entity_id group by entity_id\n)\nselect string_agg(e.name || ' (' || p.n_documents || ')', ', ' order by p.n_documents desc, e.name) as people,\n       any_value(p.share) as share, any_value(r.name) as resolves_to,\n       coalesce(any_value(x.n_mentions), 0) as family_name_alone_resolved\nfrom people p\njoin entities e using (entity_id)\nleft join entities r on r.entity_id = p.person_id\nleft join resolved x using (family_id)\ngroup by p.family_id\norder by family_name_alone_resolved desc, share, people\nlimit 10",
    ),
]
HEAD = """# newsetl cookbook

Queries an analyst starts from. Every query below was run with `newsetl sql` against a warehouse
built from the bundled seeds (5 articles in Turkish, Arabic and French):

    newsetl run --data-dir /tmp/cookbook-data
    newsetl sql "select ..." --data-dir /tmp/cookbook-data     # --format csv|json for machines

The outputs are the real ones, refreshed by `docs/refresh_outputs.py` (it re-runs every query on a fresh
warehouse of the seeds; `--check` tells whether they still match the code) ({version}); entity recognition and linking
are still improving, so names and counts will move (some surface forms are still wrong, e.g. a
sentence's first word glued to a name). `newsetl sql` is read-only: no writes, no ATTACH, no file
access.

## The views

| view | one row per |
|---|---|
| `stg_documents` | document, with its day (published, else fetched) and source |
| `stg_families` | family-only person id, with the people of that family named in full and the one it resolves to |
| `stg_mentions` | mention, with its entity, the resolved person (`resolved_id`), sentence language, day and source |
| `daily_volume` | day × document language: documents, sentences, mentions, characters |
| `entity_profile` | mentioned entity: KB facts, counts, first/last day, languages, surface forms |
| `entity_mentions_daily` | entity × day |
| `entity_timeline` | entity × day × language, with surface forms |
| `entity_cooccurrence` | unordered pair of entities named in one document |
| `who_met_whom` | unordered pair of people (PER) named in one document; same-sentence count |
| `new_entities_per_run` | entity, with the run that first loaded a mention of it |
| `language_mix` | source × sentence language |
| `run_history` | run, with duration and current documents/rejects |
| `rejects_per_source` | source × reject reason |

A static HTML report with charts of the same data: `newsetl report --out report.html`.
"""
FOOT = """## Reports and schedules

    newsetl report --out report.html          # static HTML: timelines, language mix, co-occurrence network
    newsetl maintain                           # compact the lake, prune old runs, CHECKPOINT (once)
    prefect server start --host 127.0.0.1 &    # then, in another shell:
    export PREFECT_API_URL=http://127.0.0.1:4200/api
    newsetl serve                              # hourly ingest + nightly maintenance, from newsetl.toml

Sources, data dir, crons and retention live in `newsetl.toml` (another file: `NEWSETL_CONFIG=...`);
see `newsetl/sources.py`. For workers instead of `newsetl serve`: `prefect.yaml`.
"""
version = subprocess.run(
    [
        str(ROOT / ".venv/bin/newsetl"),
        "sql",
        "select pipeline_version from runs order by started_at desc limit 1",
        "--data-dir",
        DATA,
        "--format",
        "csv",
    ],
    capture_output=True,
    text=True,
).stdout.splitlines()[-1]
out = [HEAD.format(version=f"pipeline `{version}`")]
for i, (title, text, q) in enumerate(RECIPES, 1):
    r = subprocess.run(
        [str(ROOT / ".venv/bin/newsetl"), "sql", q, "--data-dir", DATA, "--max-width", "70"],
        capture_output=True,
        text=True,
        cwd="/tmp",
    )
    if r.returncode:
        sys.exit(f"{title}: {r.stderr}")
    out.append(f"## {i}. {title}\n\n{text}\n\n```sql\n{q}\n```\n\n```text\n{r.stdout.rstrip()}\n```\n")
Path(ROOT / "docs").mkdir(exist_ok=True)
out.append(FOOT)
(ROOT / "docs/COOKBOOK.md").write_text("\n".join(out))
print("ok")
