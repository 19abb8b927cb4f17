"""Reports: a static, self-contained HTML report of the warehouse, and a markdown report of one run.

``build_report(db_path, out_path)`` writes one HTML file that opens from disk without a server and
without internet: the charts are inline SVG drawn here (entity timelines, language mix, the
co-occurrence network laid out by a small force-directed layout in Python), the styles are inline and
the only script is a few inline lines that highlight a node's neighbours on hover. Nothing is loaded
from anywhere: no ``src``/``href`` to another document, no CDN, no web fonts.

``build_run_report(db_path, run_id)`` returns markdown for the ingest flow's Prefect artifact:
documents per language, new entities, top entities and rejects with reasons.
"""

from __future__ import annotations

import html
import math
import os
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from warehouse import db
from warehouse import maintenance as wm

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]
LABEL_COLORS = {"PER": "#e15759", "ORG": "#4e79a7", "LOC": "#59a14f", "MISC": "#b07aa1"}
OTHER_COLOR = "#bab0ac"
TOP_ENTITIES = 12
NETWORK_NODES = 32
NETWORK_LABELS = 16  # only the biggest nodes get a visible label; all have a tooltip


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class _Reader:
    """Read-only queries; refreshes the views once (read-write) if the file predates one of them."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.refreshed = False

    def __call__(self, sql: str, params: list | None = None) -> list[dict]:
        try:
            columns, rows = db.query(self.db_path, sql, params)
        except duckdb.CatalogException:
            if self.refreshed:
                raise
            wm.refresh_views(self.db_path)
            self.refreshed = True
            columns, rows = db.query(self.db_path, sql, params)
        return [dict(zip(columns, r, strict=True)) for r in rows]


# --- charts ---------------------------------------------------------------------------------------------


def _color_map(keys: list[str]) -> dict[str, str]:
    return {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(sorted(keys))}


def _legend(colors: dict[str, str]) -> str:
    items = "".join(
        f'<span class="key"><span class="swatch" style="background:{c}"></span>{esc(k)}</span>'
        for k, c in colors.items()
    )
    return f'<div class="legend">{items}</div>'


def timeline_svg(rows: list[dict], entities: list[dict]) -> str:
    """Small multiples: per top entity, mentions per day stacked by language (``entity_timeline`` rows)."""
    if not rows or not entities:
        return '<p class="empty">No linked entity mentions yet.</p>'
    days = sorted({r["day"] for r in rows if r["day"] is not None})
    if not days:
        return '<p class="empty">No dated mentions.</p>'
    first, last = days[0], days[-1]
    span = max((last - first).days + 1, 1)
    colors = _color_map(sorted({r["lang"] or "und" for r in rows}))
    by_entity: dict[str, dict[date, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["day"] is not None:
            by_entity[r["entity_id"]][r["day"]].append((r["lang"] or "und", r["n_mentions"]))
    width, row_h, label_w, pad = 760, 46, 190, 6
    plot_w = width - label_w - 60
    bar_w = min(max(plot_w / span - 1, 1.5), 48.0)
    peak = max((sum(n for _, n in v) for e in by_entity.values() for v in e.values()), default=1)
    parts = []
    for i, ent in enumerate(entities):
        y0 = i * row_h + pad
        parts.append(
            f'<text x="0" y="{y0 + row_h / 2:.1f}" class="lbl">{esc(ent["name"])}'
            f'<tspan class="muted"> {esc(ent["label"] or "")}</tspan></text>'
        )
        parts.append(
            f'<line x1="{label_w}" x2="{label_w + plot_w}" y1="{y0 + row_h - pad}" y2="{y0 + row_h - pad}" class="axis"/>'
        )
        total = 0
        for day, langs in sorted(by_entity.get(ent["entity_id"], {}).items()):
            x = label_w + (day - first).days * (plot_w / span)
            y = y0 + row_h - pad
            for lang, n in sorted(langs):
                h = (row_h - 2 * pad) * n / peak
                y -= h
                total += n
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colors[lang]}">'
                    f"<title>{esc(ent['name'])} · {day} · {esc(lang)}: {n} mentions</title></rect>"
                )
        parts.append(f'<text x="{label_w + plot_w + 8}" y="{y0 + row_h / 2:.1f}" class="muted">{total}</text>')
    height = len(entities) * row_h + 2 * pad + 18
    axis_y = len(entities) * row_h + pad + 14
    parts.append(f'<text x="{label_w}" y="{axis_y}" class="muted">{first}</text>')
    if last != first:
        parts.append(f'<text x="{label_w + plot_w}" y="{axis_y}" class="muted" text-anchor="end">{last}</text>')
    svg = (
        f'<svg class="chart" id="timeline-chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}"><title>Entity timelines</title>{"".join(parts)}</svg>'
    )
    return _legend(colors) + svg


def date_basis_note(n_documents: int, n_published: int) -> str:
    """Which date the timelines use: a document's publication date (HTML metadata, feed item, record field) when
    it has one, else the time it was fetched (``stg_documents.day``)."""
    if not n_documents:
        return ""
    if n_published == n_documents:
        what = "publication dates (every document has one)"
    elif n_published == 0:
        what = "fetch dates: no document has a publication date"
    else:
        what = (
            f"publication dates where known ({n_published:,} of {n_documents:,} documents), "
            "else the date the document was fetched"
        )
    return f'<p class="muted" id="date-basis">Days are {esc(what)}.</p>'


def language_mix_svg(rows: list[dict]) -> str:
    """One stacked bar per source: the share of sentences in each language (``language_mix`` rows)."""
    if not rows:
        return '<p class="empty">No documents yet.</p>'
    colors = _color_map(sorted({r["lang"] or "und" for r in rows}))
    by_source: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for r in rows:
        by_source[r["source"] or "?"].append((r["lang"] or "und", r["n_sentences"], r["n_documents"]))
    sources = sorted(by_source, key=lambda s: -sum(n for _, n, _ in by_source[s]))[:20]
    width, bar_h, label_w = 760, 26, 160
    plot_w = width - label_w - 70
    parts = []
    for i, source in enumerate(sources):
        y = i * (bar_h + 8) + 4
        total = sum(n for _, n, _ in by_source[source]) or 1
        parts.append(f'<text x="0" y="{y + bar_h * 0.7:.1f}" class="lbl">{esc(source)}</text>')
        x = float(label_w)
        for lang, n, docs in sorted(by_source[source], key=lambda t: -t[1]):
            w = plot_w * n / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colors[lang]}">'
                f"<title>{esc(source)} · {esc(lang)}: {n} sentences in {docs} documents ({100 * n / total:.0f}%)</title></rect>"
            )
            if w > 34:
                parts.append(f'<text x="{x + 4:.1f}" y="{y + bar_h * 0.7:.1f}" class="inbar">{esc(lang)}</text>')
            x += w
        parts.append(f'<text x="{label_w + plot_w + 8}" y="{y + bar_h * 0.7:.1f}" class="muted">{total}</text>')
    height = len(sources) * (bar_h + 8) + 8
    svg = (
        f'<svg class="chart" id="language-chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}"><title>Language mix (sentences per language, per source)</title>{"".join(parts)}</svg>'
    )
    return _legend(colors) + svg


def force_layout(
    nodes: list[str], edges: list[tuple[str, str, float]], width: float, height: float, iterations: int = 300
) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold layout, deterministic (nodes start on a circle in the given order)."""
    n = len(nodes)
    if n == 0:
        return {}
    pos = {v: [math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)] for i, v in enumerate(nodes)}
    k = math.sqrt(7.0 / n)
    temp = 0.2
    for _ in range(iterations):
        disp = {v: [0.0, 0.0] for v in nodes}
        for i, a in enumerate(nodes):
            pa = pos[a]
            for b in nodes[i + 1 :]:
                pb = pos[b]
                dx, dy = pa[0] - pb[0], pa[1] - pb[1]
                d2 = dx * dx + dy * dy or 1e-6
                f = k * k / d2
                disp[a][0] += dx * f
                disp[a][1] += dy * f
                disp[b][0] -= dx * f
                disp[b][1] -= dy * f
        for a, b, w in edges:
            dx, dy = pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]
            d = math.hypot(dx, dy) or 1e-6
            f = d / k * math.sqrt(w)
            disp[a][0] -= dx * f
            disp[a][1] -= dy * f
            disp[b][0] += dx * f
            disp[b][1] += dy * f
        for v in nodes:
            dx, dy = disp[v]
            # gravity keeps disconnected components on screen
            dx -= pos[v][0] * 0.05 * n
            dy -= pos[v][1] * 0.05 * n
            d = math.hypot(dx, dy) or 1e-6
            step = min(d, temp)
            pos[v][0] += dx / d * step
            pos[v][1] += dy / d * step
        temp = max(temp * 0.985, 0.002)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    margin = 60
    sx = (width - 2 * margin) / ((max(xs) - min(xs)) or 1)
    sy = (height - 2 * margin) / ((max(ys) - min(ys)) or 1)
    return {v: (margin + (p[0] - min(xs)) * sx, margin + (p[1] - min(ys)) * sy) for v, p in pos.items()}


def network_svg(pairs: list[dict], profiles: dict[str, dict]) -> str:
    """Entities linked when named in the same document (``entity_cooccurrence`` rows)."""
    if not pairs:
        return '<p class="empty">No two linked entities share a document yet.</p>'
    degree: dict[str, int] = defaultdict(int)
    for p in pairs:
        degree[p["entity_a"]] += p["n_documents"]
        degree[p["entity_b"]] += p["n_documents"]
    weight = {e: profiles.get(e, {}).get("n_mentions", 0) + degree[e] for e in degree}
    keep = sorted(degree, key=lambda e: (-weight[e], e))[:NETWORK_NODES]
    kept = set(keep)
    edges = [(p["entity_a"], p["entity_b"], float(p["n_documents"])) for p in pairs]
    edges = [e for e in edges if e[0] in kept and e[1] in kept]
    names = {}
    labels = {}
    for p in pairs:
        names[p["entity_a"]], labels[p["entity_a"]] = p["name_a"], p["label_a"]
        names[p["entity_b"]], labels[p["entity_b"]] = p["name_b"], p["label_b"]
    width, height = 760, 560
    pos = force_layout(keep, edges, width, height)
    top = max(weight[e] for e in keep) or 1
    max_w = max((w for _, _, w in edges), default=1.0)
    parts = ['<g class="edges">']
    for a, b, w in edges:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" data-a="{esc(a)}" data-b="{esc(b)}" '
            f'stroke-width="{0.8 + 3.2 * w / max_w:.1f}"><title>{esc(names[a])} — {esc(names[b])}: '
            f"{int(w)} documents</title></line>"
        )
    parts.append('</g><g class="nodes">')
    for rank, e in enumerate(keep):
        x, y = pos[e]
        r = 5 + 13 * math.sqrt(weight[e] / top)
        color = LABEL_COLORS.get(labels[e], OTHER_COLOR)
        parts.append(
            f'<g class="node" data-id="{esc(e)}"><circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{color}">'
            f"<title>{esc(names[e])} ({esc(labels[e])}): {profiles.get(e, {}).get('n_mentions', 0)} mentions</title>"
            "</circle>"
            + (
                f'<text x="{x + r + 3:.1f}" y="{y + 4:.1f}" class="lbl">{esc(names[e])}</text>'
                if rank < NETWORK_LABELS
                else ""
            )
            + "</g>"
        )
    parts.append("</g>")
    svg = (
        f'<svg class="chart" id="network-chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}"><title>Co-occurrence network</title>{"".join(parts)}</svg>'
    )
    legend = _legend({k: v for k, v in LABEL_COLORS.items() if k in set(labels.values())})
    return legend + svg


# Pairs of linked entities named in one document, labelled with the entity's label (entity_cooccurrence
# groups by the mention's label, which splits a pair when NER labels one entity differently). Entities are resolved
# (stg_mentions.resolved_id), as in entity_profile.
NETWORK_SQL = """
with doc_entities as (
    select distinct m.doc_id, m.resolved_id as entity_id from stg_mentions m where m.resolved_id is not null
)
select a.entity_id as entity_a, ea.name as name_a, ea.label as label_a,
       b.entity_id as entity_b, eb.name as name_b, eb.label as label_b,
       count(*) as n_documents
from doc_entities a
join doc_entities b on a.doc_id = b.doc_id and a.entity_id < b.entity_id
join entities ea on ea.entity_id = a.entity_id
join entities eb on eb.entity_id = b.entity_id
group by all
order by n_documents desc, name_a, name_b
limit 400
"""


def html_table(rows: list[dict], columns: list[str], limit: int = 25) -> str:
    if not rows:
        return '<p class="empty">None.</p>'

    def cell(v: object) -> str:
        if isinstance(v, list):
            v = ", ".join(str(x) for x in v)
        elif isinstance(v, float):
            v = f"{v:.2f}"
        elif isinstance(v, datetime):
            v = v.strftime("%Y-%m-%d %H:%M")
        return esc(v)

    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows[:limit])
    more = f'<p class="muted">{len(rows) - limit} more rows not shown.</p>' if len(rows) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f2d3d;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.8}
main{max-width:1100px;margin:0 auto;padding:12px 28px 40px}section{background:#fff;border:1px solid #e4e4e4;border-radius:6px;
padding:12px 18px;margin:16px 0}h2{font-size:17px;margin:4px 0 10px}.kpis{display:flex;gap:12px;flex-wrap:wrap}
.kpi{background:#fff;border:1px solid #e4e4e4;border-radius:6px;padding:10px 16px;min-width:110px}.kpi b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;
vertical-align:top}th{background:#f3f3f3}.muted{color:#777;fill:#777;font-size:12px}.lbl{font-size:12px;fill:#222}
.inbar{font-size:11px;fill:#fff}.axis{stroke:#ccc}.legend{margin:4px 0 8px}.key{margin-right:14px;font-size:12px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.chart{max-width:100%;height:auto}.edges line{stroke:#9aa7b4;stroke-opacity:.7}.node{cursor:pointer}
.node circle{stroke:#fff;stroke-width:1.5}.dim{opacity:.12}.hot{stroke:#1f2d3d!important;stroke-opacity:1!important}
.empty{color:#777;font-style:italic}
"""

SCRIPT = """
(function(){var svg=document.getElementById('network-chart');if(!svg)return;
var lines=svg.querySelectorAll('.edges line'),nodes=svg.querySelectorAll('.node');
function hl(id){var nb={};nb[id]=1;lines.forEach(function(l){var on=l.dataset.a===id||l.dataset.b===id;
l.classList.toggle('hot',on);l.classList.toggle('dim',!on);if(on){nb[l.dataset.a]=1;nb[l.dataset.b]=1;}});
nodes.forEach(function(n){n.classList.toggle('dim',!nb[n.dataset.id]);});}
function clear(){lines.forEach(function(l){l.classList.remove('hot','dim');});nodes.forEach(function(n){n.classList.remove('dim');});}
nodes.forEach(function(n){n.addEventListener('mouseenter',function(){hl(n.dataset.id);});n.addEventListener('mouseleave',clear);});
})();
"""


def build_report(db_path: str | os.PathLike, out_path: str | os.PathLike, title: str = "newsetl report") -> Path:
    """Write the self-contained HTML report of the warehouse at ``db_path`` to ``out_path``."""
    q = _Reader(Path(db_path))
    totals = q(
        """select (select count(*) from documents) as documents, (select count(*) from sentences) as sentences,
        (select count(*) from mentions) as mentions, (select count(distinct entity_id) from mentions) as entities,
        (select count(distinct lang) from documents) as languages, (select count(*) from rejects) as rejects,
        (select count(*) from runs) as runs"""
    )[0]
    profiles = q("select * from entity_profile order by n_mentions desc, name")
    top = profiles[:TOP_ENTITIES]
    ids = [p["entity_id"] for p in top]
    timeline = q("select * from entity_timeline where entity_id in (select unnest(?))", [ids]) if ids else []
    dated = q("select count(*) as n, count(published_at) as n_published from documents")[0]
    language = q("select * from language_mix order by source, lang")
    pairs = q(NETWORK_SQL)
    people = q("select * from who_met_whom order by n_documents desc, n_sentences desc, name_a, name_b limit 50")
    volume = q("select * from daily_volume order by day desc, lang")
    rejects = q("select * from rejects_per_source order by n_rejects desc, source, reason")
    runs = q("select * from run_history order by started_at desc limit 15")
    kpis = "".join(f'<div class="kpi"><b>{int(v or 0):,}</b>{esc(k)}</div>' for k, v in totals.items())
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        (
            "Entity timelines",
            "timelines",
            date_basis_note(dated["n"], dated["n_published"]) + timeline_svg(timeline, top),
        ),
        ("Language mix", "languages", language_mix_svg(language)),
        ("Co-occurrence network", "network", network_svg(pairs, {p["entity_id"]: p for p in profiles})),
        (
            "Top entities",
            "entities",
            html_table(top, ["name", "label", "n_mentions", "n_documents", "languages", "surfaces", "external_id"]),
        ),
        (
            "Who met whom (people named together)",
            "people",
            html_table(
                people, ["name_a", "name_b", "n_documents", "n_sentences", "languages", "first_day", "last_day"]
            ),
        ),  # fmt: skip
        (
            "Daily volume",
            "volume",
            html_table(volume, ["day", "lang", "n_documents", "n_sentences", "n_mentions", "n_chars"]),
        ),  # fmt: skip
        ("Rejected inputs", "rejects", html_table(rejects, ["source", "reason", "n_rejects", "inputs"])),
        (
            "Recent runs",
            "runs",
            html_table(runs, ["started_at", "status", "duration_s", "n_seen", "n_loaded", "n_skipped", "n_rejected"]),
        ),  # fmt: skip
    ]
    body = "".join(f'<section id="{sid}"><h2>{esc(name)}</h2>{content}</section>' for name, sid, content in sections)
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><p>{esc(Path(db_path).name)} · generated {generated}</p></header>"
        f'<main><div class="kpis">{kpis}</div>{body}</main><script>{SCRIPT}</script></body></html>\n'
    )
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return out


def _md(value: object) -> str:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def build_run_report(db_path: str | os.PathLike, run_id: str) -> str:
    """Markdown for one run's Prefect artifact: languages, new entities, top entities, rejects by reason."""
    q = _Reader(Path(db_path))
    run = q("select * from run_history where run_id = ?", [run_id])
    langs = q(
        """select lang, count(*) as documents, sum(n_sentences) as sentences, sum(n_mentions) as mentions
        from documents where run_id = ? group by lang order by documents desc, lang""",
        [run_id],
    )
    new = q(
        "select name, label, kb_source, n_mentions, n_documents from new_entities_per_run "
        "where run_id = ? order by n_mentions desc, name",
        [run_id],
    )
    # resolved entities (stg_mentions.resolved_id), as the end-of-run summary and the analyst views count them
    top = q(
        """select e.name, e.label, count(*) as mentions, count(distinct m.doc_id) as documents,
        list_sort(list_distinct(list(m.lang))) as languages
        from stg_mentions m join documents d using (doc_id) join entities e on e.entity_id = m.resolved_id
        where d.run_id = ? group by e.name, e.label order by mentions desc, e.name limit 15""",
        [run_id],
    )
    rejects = q(
        "select reason, count(*) as n, list(source_uri || ' — ' || coalesce(detail, '') order by source_uri) as inputs "
        "from rejects where run_id = ? group by reason order by n desc, reason",
        [run_id],
    )
    lines = [f"# newsetl run `{run_id}`", ""]
    if run:
        r = run[0]
        lines += [
            f"**{r['status']}** · started {r['started_at']:%Y-%m-%d %H:%M:%S %Z} · {r['duration_s'] or 0} s · "
            f"{r['n_seen'] or 0} seen, {r['n_loaded'] or 0} loaded, {r['n_skipped'] or 0} skipped, "
            f"{r['n_rejected'] or 0} rejected",
            "",
        ]
    lines += [
        "## Documents per language",
        "",
        "| language | documents | sentences | mentions |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {_md(x['lang'])} | {x['documents']} | {x['sentences']} | {x['mentions']} |" for x in langs]
    if not langs:
        lines.append("| – | 0 | 0 | 0 |")
    lines += ["", f"## New entities ({len(new)})", ""]
    if new:
        lines += ["| entity | label | knowledge base | mentions | documents |", "|---|---|---|---:|---:|"]
        lines += [
            f"| {_md(x['name'])} | {_md(x['label'])} | {_md(x['kb_source'])} | {x['n_mentions']} | {x['n_documents']} |"
            for x in new[:30]
        ]
        if len(new) > 30:
            lines.append(
                f"\n…and {len(new) - 30} more (`select * from new_entities_per_run where run_id = '{run_id}'`)"
            )
    else:
        lines.append("none")
    lines += ["", "## Top entities", ""]
    if top:
        lines += ["| entity | label | mentions | documents | languages |", "|---|---|---:|---:|---|"]
        lines += [
            f"| {_md(x['name'])} | {_md(x['label'])} | {x['mentions']} | {x['documents']} | {_md(x['languages'])} |"
            for x in top
        ]
    else:
        lines.append("none")
    lines += ["", "## Rejects", ""]
    for x in rejects:
        lines.append(f"- **{_md(x['reason'])}** ({x['n']})")
        lines += [f"  - `{_md(i)}`" for i in x["inputs"][:20]]
    if not rejects:
        lines.append("none")
    return "\n".join(lines) + "\n"
