"""Main-text extraction benchmark: newsetl ``clean()`` vs trafilatura, side by side, one run.

Usage: .venv/bin/python bench/extraction.py [--data ../shared] [--limit N]

Data sets (eval/extraction of the --data folder, default: shared beside the repository; see its
eval/README.md):
- trafilatura: "with"/"without" snippets per page; snippet found = TP / FP, missed = FN / TN;
  P/R/F1 micro-averaged over all snippets of a language group.
- readability: text of Readability.js's reviewed output (expected.html) as reference.
- newspaper4k: expected full text.
  For these two: token-level P/R/F1 per page (multiset of whitespace tokens; scripts written
  without spaces — CJK, Thai, Burmese... — are split into characters), then averaged over pages.
Languages: manifest.tsv of each set (trafilatura's are guesses; '?' = unknown).
Speed: pages/s of the whole call (parse + extraction + metadata + blocks for newsetl; trafilatura
``extract(html, include_comments=False)`` with its default settings, fallbacks included).
Metadata: accuracy on the pages that have gold values (title: normalised exact match; date: same
calendar day; author: case-insensitive token overlap >= 50%; site: normalised exact match).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared"  # the evaluation data, beside the repository (--data)

import trafilatura  # noqa: E402
from lxml import html as lxml_html  # noqa: E402

from newsetl.doc import Doc  # noqa: E402
from tasks.clean import clean, parse_iso_date  # noqa: E402

NOSPACE = re.compile(
    r"[\u0e00-\u0e7f\u1000-\u109f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e80-\u0eff\u1780-\u17ff]"
)


def norm_ws(s: str) -> str:
    s = re.sub("[\u00ad\u200b\u200c\u200d\u2060\ufeff]", "", s or "")
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", s)).strip()


def tokens(s: str) -> Counter:
    out: list[str] = []
    for tok in norm_ws(s).split(" "):
        if not tok:
            continue
        if NOSPACE.search(tok):
            out.extend(ch for ch in tok if not ch.isspace())
        else:
            out.append(tok)
    return Counter(out)


def prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def token_prf(pred: str, gold: str) -> tuple[float, float, float]:
    a, b = tokens(pred), tokens(gold)
    ov = sum((a & b).values())
    return prf(ov, sum(a.values()) - ov, sum(b.values()) - ov)


def html_to_text(h: str) -> str:
    tree = lxml_html.fromstring(h)
    for el in tree.iter():
        if isinstance(el.tag, str) and el.tag.lower() in {"p", "div", "li", "br", "h1", "h2", "h3", "h4", "tr"}:
            el.tail = "\n" + (el.tail or "")
    return tree.text_content()


def read(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8",):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best else data.decode("utf-8", "replace")


def load_sets(base: Path, limit: int | None):
    """Yield (set, name, lang, html, gold) where gold is ('snippets', with, without) or ('text', txt)."""
    pages = []
    tdir = base / "trafilatura"
    full = json.loads((tdir / "evaldata_full.json").read_text())
    sub = json.loads((tdir / "evaldata_subset.json").read_text())
    langs = {}
    for line in (tdir / "manifest.tsv").read_text().splitlines()[1:]:
        parts = line.split("\t")
        langs[parts[1]] = parts[3].rstrip("?") or "?"
    for url, v in sub.items():
        f = tdir / "html" / v["file"]
        if not f.exists():
            continue
        meta = {k: full.get(url, {}).get(k) for k in ("title", "author", "date")}
        gold = ("snippets", v.get("with", []), v.get("without", []))
        pages.append(("trafilatura", v["file"], langs.get(v["file"], "?"), read(f), gold, meta))
    rdir = base / "readability"
    rl = {}
    for line in (rdir / "manifest.tsv").read_text().splitlines()[1:]:
        parts = line.split("\t")
        rl[parts[0]] = parts[1]
    for d in sorted(p for p in rdir.iterdir() if p.is_dir()):
        m = json.loads((d / "expected-metadata.json").read_text())
        meta = {
            "title": m.get("title"),
            "author": m.get("byline"),
            "date": m.get("publishedTime"),
            "site": m.get("siteName"),
        }
        gold = ("text", html_to_text(read(d / "expected.html")))
        pages.append(("readability", d.name, rl.get(d.name, m.get("lang") or "?"), read(d / "source.html"), gold, meta))
    ndir = base / "newspaper4k"
    nl = {}
    for line in (ndir / "manifest.tsv").read_text().splitlines()[1:]:
        parts = line.split("\t")
        nl[parts[0]] = parts[1]
    for f in sorted((ndir / "html").glob("*.html")):
        txt = ndir / "txt" / (f.stem + ".txt")
        mf = ndir / "metadata" / (f.stem + ".json")
        meta = {}
        if mf.exists():
            m = json.loads(mf.read_text())
            authors = m.get("authors") or []
            meta = {
                "title": m.get("title"),
                "author": ", ".join(authors) if authors else None,
                "date": m.get("publish_date"),
                "site": m.get("meta_site_name") or None,
            }
        pages.append(("newspaper4k", f.stem, nl.get(f.stem, "?"), read(f), ("text", read(txt)), meta))
    if limit:
        pages = pages[:limit]
    return pages


def run_newsetl(h: str):
    d = clean(Doc(source_uri="bench", raw_text=h, media_type="html"))
    return d.text, {"title": d.title, "date": d.published_at, "author": d.author, "site": d.site}


def run_trafilatura(h: str):
    return trafilatura.extract(h, include_comments=False) or "", None


def traf_meta(h: str) -> dict:
    from trafilatura.metadata import extract_metadata
    from trafilatura.utils import load_html

    tree = load_html(h)
    m = extract_metadata(tree) if tree is not None else None
    if m is None:
        return {}
    return {"title": m.title, "date": parse_iso_date(m.date or ""), "author": m.author, "site": m.sitename}


def _nt(s) -> str:
    return re.sub(r"\W+", " ", norm_ws(str(s)).lower()).strip()


def meta_ok(field: str, pred, gold) -> bool:
    if pred is None or pred == "":
        return False
    if field == "title":
        return _nt(pred) == _nt(gold)
    if field == "site":
        return _nt(pred) == _nt(gold) or _nt(gold) in _nt(pred)
    if field == "date":
        g = parse_iso_date(str(gold))
        return g is not None and pred.date() == g.date()
    if field == "author":
        a, b = set(_nt(pred).split()), set(_nt(gold).split())
        return bool(b) and len(a & b) / len(b) >= 0.5
    return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA, help="evaluation data folder (default ../shared)")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--systems", default="newsetl,trafilatura")
    ap.add_argument("--show", action="store_true", help="print per-page F1 deltas")
    args = ap.parse_args()
    pages = load_sets(args.data / "eval" / "extraction", args.limit)
    systems = {"newsetl": run_newsetl, "trafilatura": run_trafilatura}
    names = [s for s in args.systems.split(",") if s in systems]

    # acc[system][(set, lang)] = dict of sums
    acc: dict = {s: defaultdict(lambda: defaultdict(float)) for s in names}
    secs = {s: defaultdict(float) for s in names}
    meta_acc: dict = {s: defaultdict(lambda: [0, 0]) for s in ("newsetl", "trafilatura")}
    per_page: dict = defaultdict(dict)
    for dset, name, lang, h, gold, gmeta in pages:
        for s in names:
            t0 = time.process_time()
            text, meta = systems[s](h)
            secs[s][dset] += time.process_time() - t0
            for key in ((dset, lang), (dset, "ALL")):
                a = acc[s][key]
                a["pages"] += 1
                if gold[0] == "snippets":
                    nt = norm_ws(text)
                    for w in gold[1]:
                        a["tp" if norm_ws(w) in nt else "fn"] += 1
                    for w in gold[2]:
                        if norm_ws(w) in nt:
                            a["fp"] += 1
                else:
                    p, r, f = token_prf(text, gold[1])
                    a["p"] += p
                    a["r"] += r
                    a["f"] += f
            if gold[0] == "snippets":
                nt = norm_ws(text)
                tp = sum(norm_ws(w) in nt for w in gold[1])
                fp = sum(norm_ws(w) in nt for w in gold[2])
                per_page[name][s] = prf(tp, fp, len(gold[1]) - tp)[2]
            else:
                per_page[name][s] = token_prf(text, gold[1])[2]
            if s == "newsetl" and meta:
                for fld, gv in gmeta.items():
                    if gv:
                        meta_acc["newsetl"][(dset, fld)][0] += meta_ok(fld, meta.get(fld), gv)
                        meta_acc["newsetl"][(dset, fld)][1] += 1
        if "trafilatura" in names:
            tm = traf_meta(h)
            for fld, gv in gmeta.items():
                if gv:
                    meta_acc["trafilatura"][(dset, fld)][0] += meta_ok(fld, tm.get(fld), gv)
                    meta_acc["trafilatura"][(dset, fld)][1] += 1

    if args.show and len(names) == 2:
        for name, d in sorted(per_page.items(), key=lambda kv: kv[1][names[0]] - kv[1][names[1]]):
            delta = d[names[0]] - d[names[1]]
            if abs(delta) > 0.02:
                print(f"{delta:+.3f} {name}")

    hdr = f"{'set':12} {'lang':5} {'pages':>5} | " + " | ".join(f"{s:^26}" for s in names)
    print(hdr)
    print(f"{'':12} {'':5} {'':>5} | " + " | ".join(f"{'P':>5} {'R':>5} {'F1':>5} {'pg/s':>7}" for _ in names))
    print("-" * len(hdr))
    keys = sorted(acc[names[0]].keys(), key=lambda k: (k[0], k[1] == "ALL", -acc[names[0]][k]["pages"], k[1]))
    for key in keys:
        row = f"{key[0]:12} {key[1]:5} {int(acc[names[0]][key]['pages']):>5} | "
        cells = []
        for s in names:
            a = acc[s][key]
            if "p" in a or "r" in a or "f" in a:
                n = a["pages"]
                p, r, f = a["p"] / n, a["r"] / n, a["f"] / n
            else:
                p, r, f = prf(a["tp"], a["fp"], a["fn"])
            speed = ""
            if key[1] == "ALL":
                speed = f"{a['pages'] / secs[s][key[0]]:7.1f}"
            cells.append(f"{p:5.3f} {r:5.3f} {f:5.3f} {speed:>7}")
        print(row + " | ".join(cells))
    tot = {s: sum(secs[s].values()) for s in names}
    n = len(pages)
    print("-" * len(hdr))
    print("overall pages/s: " + ", ".join(f"{s} {n / tot[s]:.1f}" for s in names))
    print(
        "mean page F1 over all pages: "
        + ", ".join(f"{s} {sum(d[s] for d in per_page.values()) / len(per_page):.4f}" for s in names)
    )
    if len(names) == 2:
        deltas = [d[names[0]] - d[names[1]] for d in per_page.values()]
        won, lost = sum(x > 0.005 for x in deltas), sum(x < -0.005 for x in deltas)
        print(
            f"pages where {names[0]} is better / worse / within 0.005 of {names[1]}: {won} / {lost} / {len(deltas) - won - lost}"
        )
    print()
    print("metadata accuracy (pages with a gold value): newsetl vs trafilatura.extract_metadata")
    for key in sorted(meta_acc["newsetl"]):
        a = meta_acc["newsetl"][key]
        b = meta_acc["trafilatura"].get(key, [0, 0])
        tb = f"{b[0] / b[1]:.3f}" if b[1] else "  -  "
        print(f"  {key[0]:12} {key[1]:7} n={a[1]:3}  newsetl {a[0] / a[1]:.3f}  trafilatura {tb}")


if __name__ == "__main__":
    main()
