"""Tests of the clean stage on real outputs: hand-made fixtures (tests/resources/clean) and the seeds."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsetl.doc import BLOCK_KINDS, Doc
from tasks.clean import CLEAN_VERSION, clean, find_date, is_date_line, normalize

ROOT = Path(__file__).resolve().parent.parent
RES = ROOT / "tests" / "resources" / "clean"
SEEDS = ROOT / "seeds" / "corpus"


def run(name: str) -> Doc:
    path = RES / name
    media = "html" if path.suffix == ".html" else "text"
    return clean(Doc(source_uri=str(path), raw_text=path.read_text(encoding="utf-8"), media_type=media))


def kinds_of(doc: Doc, needle: str) -> list[str]:
    return [b.kind for b in doc.blocks if needle in b.text]


def check_invariants(doc: Doc) -> None:
    assert all(b.kind in BLOCK_KINDS for b in doc.blocks)
    assert [b.idx for b in doc.blocks] == list(range(len(doc.blocks)))
    assert doc.text == "\n\n".join(b.text for b in doc.blocks if b.kind == "body")
    assert unicodedata.is_normalized("NFC", doc.text)
    assert "\u00ad" not in doc.text and "\u200b" not in doc.text
    if doc.published_at is not None:
        assert doc.published_at.tzinfo is not None
    if doc.title:  # a title is not body, except when it is the only text there is
        assert doc.title not in doc.text.split("\n\n") or doc.text == doc.title


ALL_FIXTURES = sorted(p.name for p in RES.iterdir())


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_fixture_invariants(name):
    doc = run(name)
    check_invariants(doc)
    assert doc.text
    if not name.startswith("ar_"):  # the Arabic fixture starts straight with the article
        assert doc.title


def test_version_constant():
    assert isinstance(CLEAN_VERSION, str) and CLEAN_VERSION


# ---------------------------------------------------------------- plain text


def test_tr_text_ads_nav_related():
    doc = run("tr_haber.txt")
    assert doc.title == "Belediye yeni toplu taşıma hattını hizmete açtı"
    assert kinds_of(doc, "Kategoriler: Ekonomi") == ["nav"]
    assert set(kinds_of(doc, "Reklam")) == {"ad"}
    paras = doc.text.split("\n\n")
    assert len(paras) == 3
    assert paras[0].startswith("Büyükşehir Belediyesi")
    assert paras[-1].endswith("düzenlenecek.")
    # the previous-news list with dates and teasers is related, not text
    assert kinds_of(doc, "Önceki Haberler") == ["related"]
    assert kinds_of(doc, "12 Mart 2024 10:15") == ["related"]
    assert kinds_of(doc, "Tarım Bakanlığı, destek") == ["related"]
    assert "Limanda" not in doc.text
    assert doc.published_at is None  # list dates are not the article's date


def test_ar_text_related_teasers_cookie():
    doc = run("ar_akhbar.txt")
    assert doc.title is None or "مستشفى" not in (doc.title or "")
    assert kinds_of(doc, "اقرأ أيضا/") == ["related"]
    assert kinds_of(doc, "وزير المالية يعلن") == ["related"]
    assert kinds_of(doc, "ارتفاع أسعار الذهب") == ["related"]
    assert kinds_of(doc, "موجة حارة") == ["related"]  # teaser ending with an ellipsis
    assert kinds_of(doc, "الكوكيز") == ["cookie"]
    assert len(doc.text.split("\n\n")) == 4
    assert "وأشار إلى أن العمل جار" in doc.text


def test_fr_text_quotes_and_scored_comments():
    doc = run("fr_commentaires.txt")
    assert doc.title.startswith("Le conseil municipal vote")
    assert kinds_of(doc, "1 254") == ["other"]
    assert "- a déclaré la maire." in doc.text
    assert "Chaque enfant doit pouvoir apprendre" in doc.text
    assert doc.text.endswith("quartiers nord.")
    assert "Abonnez-vous" not in doc.text
    assert kinds_of(doc, "3 commentaires") == ["comment"]
    for needle in ("1. +4", "12 Mars 2024 09: 12", "Enfin une bonne nouvelle", "2. -1", "cantines"):
        assert kinds_of(doc, needle) == ["comment"], needle
    assert "impôts" not in doc.text


def test_ru_text_read_also_and_comments():
    doc = run("ru_novosti.txt")
    assert doc.title == "В Новосибирске открылся новый мост через Обь"
    assert kinds_of(doc, "Реклама") == ["ad"]
    assert kinds_of(doc, "Читайте также:") == ["related"]
    assert kinds_of(doc, "Цены на бензин") == ["related"]
    assert kinds_of(doc, "Комментарии (2)") == ["comment"]
    assert kinds_of(doc, "пробки") == ["comment"]
    assert len(doc.text.split("\n\n")) == 3


def test_es_text_breadcrumb_dateline_related():
    doc = run("es_noticia.txt")
    assert kinds_of(doc, "Inicio > Sociedad") == ["nav"]
    assert doc.title == "La biblioteca municipal amplía su horario durante los exámenes"
    assert doc.published_at == datetime(2024, 3, 5, tzinfo=UTC)
    assert kinds_of(doc, "Lee también:") == ["related"]
    assert kinds_of(doc, "Publicidad") == ["ad"]
    assert kinds_of(doc, "Noticias relacionadas") == ["related"]
    assert kinds_of(doc, "cookies") == ["cookie"]
    assert len(doc.text.split("\n\n")) == 2


# ---------------------------------------------------------------- HTML


def test_en_html_article_blocks_and_metadata():
    doc = run("en_article.html")
    assert doc.title == "City council approves new cycling lanes"
    assert doc.author == "Jane Miller"
    assert doc.site == "The Riverside Gazette"
    assert doc.published_at == datetime.fromisoformat("2024-03-12T09:30:00+01:00")
    assert doc.text.startswith("The city council voted on Tuesday evening")
    assert doc.text.endswith("transport department.")
    assert "Businesses remain divided" in doc.text
    for junk in ("cookies", "Advertisement", "Bus fares", "About time", "taxpayers", "All rights reserved"):
        assert junk not in doc.text, junk
    assert kinds_of(doc, "We use cookies") == ["cookie"]
    assert kinds_of(doc, "Bus fares to rise") == ["related"]
    assert kinds_of(doc, "taxpayers") == ["comment"]
    assert kinds_of(doc, "Advertisement") == ["ad"]
    assert set(kinds_of(doc, "Home")) == {"nav"}
    assert kinds_of(doc, "City council approves new cycling lanes") == ["title"]


def test_ru_html_article():
    doc = run("ru_statya.html")
    assert doc.title == "В Казани открылся музей современного искусства"
    assert doc.author == "Анна Смирнова"
    assert doc.site == "Городские новости"
    assert doc.published_at == datetime.fromisoformat("2024-02-20T14:00:00+03:00")
    assert len(doc.text.split("\n\n")) == 4
    assert kinds_of(doc, "В Татарстане построят") == ["related"]
    assert "Подпишитесь" not in doc.text
    assert set(kinds_of(doc, "Главная")) == {"nav"}


# ---------------------------------------------------------------- seeds


def seed(prefix: str) -> Doc:
    path = next(SEEDS.glob(prefix + "_*.txt"))
    return clean(Doc(source_uri=str(path), raw_text=path.read_text(encoding="utf-8")))


@pytest.mark.skipif(not SEEDS.exists(), reason="seeds not present")
class TestSeeds:
    def test_000(self):
        doc = seed("000")
        check_invariants(doc)
        assert doc.title == "Akar, Rusya Savunma Bakanı Şoygu ile görüştü"
        paras = doc.text.split("\n\n")
        assert len(paras) == 4
        assert paras[0].startswith("Milli Savunma Bakanı Hulusi Akar")
        assert paras[-1].endswith("desteklediği belirtildi.”")
        assert kinds_of(doc, "Kategoriler: Gündem") == ["nav"]
        assert set(kinds_of(doc, "Reklam")) == {"ad"}
        start = next(b.idx for b in doc.blocks if b.text == "Önceki Haberler")
        assert {b.kind for b in doc.blocks[start:-1]} == {"related"}
        assert doc.blocks[-1].kind == "ad"
        assert doc.published_at is None

    def test_001(self):
        doc = seed("001")
        check_invariants(doc)
        assert doc.blocks[0].kind == "title"
        assert all(b.kind == "body" for b in doc.blocks[1:])

    def test_002(self):
        doc = seed("002")
        check_invariants(doc)
        i = next(b.idx for b in doc.blocks if b.text.startswith("تابع أيضا"))
        assert [b.kind for b in doc.blocks[i : i + 3]] == ["related"] * 3
        assert doc.blocks[i + 3].kind == "body"
        assert doc.blocks[-1].kind == "cookie"
        assert all(b.kind == "related" for b in doc.blocks if b.text.endswith("…"))
        assert "…" not in doc.text

    def test_003(self):
        doc = seed("003")
        check_invariants(doc)
        assert doc.title.startswith("Şoygu KDHC’de")
        assert len(doc.text.split("\n\n")) == 5
        assert "Önceki Haberler" not in doc.text
        assert "Ocak 2026" not in doc.text

    def test_004(self):
        doc = seed("004")
        check_invariants(doc)
        assert doc.title.startswith("Le ministère turc de la Défense")
        assert kinds_of(doc, "6")[0] == "other"
        assert doc.text.endswith("qui gardent la frontière arméno-iranienne.")
        assert doc.text.count("- dit Akar.") == 2
        assert "Nos chaînes" not in doc.text and "Abonnez-vous" not in doc.text
        assert kinds_of(doc, "6 commentaires") == ["comment"]
        assert kinds_of(doc, "Cher lecteur") == ["comment"]
        assert all(b.kind == "comment" for b in doc.blocks if "Octobre 2020" in b.text)
        for score in ("1. 0", "2. -2", "4. +1", "1. -1"):
            assert kinds_of(doc, score) == ["comment"], score


# ---------------------------------------------------------------- robustness & helpers


@pytest.mark.parametrize(
    "raw,media",
    [
        ("", "text"),
        ("", "html"),
        ("   \n\n  ", "text"),
        ("<html></html>", "html"),
        ("<html><body><p>", "html"),
        ("<?xml version='1.0' encoding='utf-8'?><html><body><p>Hi</p></body></html>", "html"),
        ("\x00\x01\x02", "text"),
        ("<<<>>>", "html"),
        ("plain words without structure", "html"),
    ],
)
def test_never_raises(raw, media):
    doc = clean(Doc(source_uri="x", raw_text=raw, media_type=media))
    assert isinstance(doc.text, str)
    check_invariants(doc)


def test_empty_body_gives_empty_text():
    assert clean(Doc(source_uri="x", raw_text="", media_type="text")).text == ""
    assert clean(Doc(source_uri="x", raw_text="", media_type="html")).text == ""


def test_normalize():
    assert normalize("e\u0301cole  \t\n x") == "école x"
    assert normalize("Ba\u00adku\u200b") == "Baku"
    assert normalize("SchÃ¶ne GrÃ¼ÃŸe") == "Schöne Grüße"  # mojibake repaired
    assert normalize("“quoted” ’s") == "“quoted” ’s"  # typographic quotes kept


def test_text_mojibake_and_soft_hyphens():
    raw = "Titel der Meldung\n\nDie BundesÂ­regierung hat am Montag ein neues Gesetz beschlossen, das Ã¼ber die kommenden Jahre gelten soll.\n"
    doc = clean(Doc(source_uri="x", raw_text=raw))
    assert "Bundesregierung" in doc.text
    assert "über" in doc.text


@pytest.mark.parametrize(
    "line,expected",
    [
        ("24 Kasım 2025 19:30", True),
        ("13 Octobre 2020 13: 29", True),
        ("12 марта 2024, 14:05", True),
        ("March 12, 2024 at 10:14 am", True),
        ("2024-03-12", True),
        ("Le 12 octobre 2020, le ministre turc a parlé avec son homologue russe", False),
        ("Reklam", False),
    ],
)
def test_is_date_line(line, expected):
    assert is_date_line(line) is expected


def test_find_date():
    assert find_date("Publié le 5 mars 2024 à 10h30") == datetime(2024, 3, 5, 10, 30, tzinfo=UTC)
    assert find_date("12 Şubat 2023") == datetime(2023, 2, 12, tzinfo=UTC)
    assert find_date("no date here") is None


def test_speed_reasonable():
    """Plain-text cleaning must be far faster than the pipeline's 20 docs/s target."""
    import time

    raw = (RES / "fr_commentaires.txt").read_text(encoding="utf-8")
    t0 = time.perf_counter()
    for _ in range(50):
        clean(Doc(source_uri="x", raw_text=raw))
    assert (time.perf_counter() - t0) / 50 < 0.02


# ---------------------------------------------------------------- 0.3: plain-text paragraphs, cues, HTML


def test_hard_wrapped_text_grouped_into_paragraphs():
    doc = run("en_wrapped.txt")
    check_invariants(doc)
    assert doc.title == "Harbour bridge reopens after two years of repairs"
    paras = doc.text.split("\n\n")
    assert len(paras) == 3
    assert paras[0].startswith("The harbour bridge reopened") and paras[0].endswith("regional governor.")
    assert "two years of repairs that cost" in paras[0]  # wrapped lines joined with a space
    assert paras[1].endswith("previous year.")
    assert paras[2].startswith("The mayor said")
    # a run of short lines (a list) stays one block per line
    assert kinds_of(doc, "Read also:") == ["related"]
    assert kinds_of(doc, "Ferry prices to rise") == ["related"]


def test_one_line_paragraphs_with_blank_lines_stay_as_they_are():
    lines = [
        "Council approves the new budget",
        "The city council approved the budget for next year on Tuesday evening after a long debate.",
        "The opposition voted against it, saying that the planned cuts to libraries go too far.",
        "The mayor said the budget protects schools and public transport.",
    ]
    raw = "\n\n".join(lines) + "\n"
    doc = clean(Doc(source_uri="x", raw_text=raw))
    assert [b.text for b in doc.blocks] == lines
    assert doc.text.split("\n\n") == lines[1:]


def test_cookie_prose_is_not_a_banner():
    from tasks.clean import _line_cue

    assert _line_cue("We use cookies to improve your experience. Accept all") == "cookie"
    assert _line_cue("Cookie settings") == "cookie"
    assert _line_cue("Utilizamos cookies propias y de terceros para mejorar nuestros servicios.") == "cookie"
    assert _line_cue("Service workers may not set cookies via synthesized responses.") is None


def test_breadcrumbs_vs_paths_and_table_rows():
    from tasks.clean import _line_cue

    assert _line_cue("Home > News > Sport") == "nav"
    assert _line_cue("Inicio » Sociedad » Cultura") == "nav"
    assert _line_cue("GET /storage/michiel/documents/test HTTP/1.1") is None
    assert _line_cue("see https://example.com/path/to/storage for details") is None
    assert _line_cue("| Groundhog Day | 1993 | A weatherman relives the same day |") is None


def test_extractor_continuation_lines_join_their_paragraph():
    from tasks.clean import _extracted_paras

    out = _extracted_paras('- ^ "In the Loop:\n          Repeat Performance"\nNext paragraph.\n    - nested item\n')
    assert [p.text for p in out] == ['- ^ "In the Loop: Repeat Performance"', "Next paragraph.", "- nested item"]


def test_segment_cues_and_link_density():
    from tasks.clean import _parse_html, _segment

    html = (
        "<html><body><div class='site-nav'><ul><li><a href='/'>Home</a></li></ul></div>"
        "<article><p>Plain text with <a href='/x'>a      link</a> inside.</p>"
        "<aside><p>Aside text</p></aside><p>Tail<br>after break</p></article></body></html>"
    )
    blocks = _segment(_parse_html(html))
    got = {b.text: (b.cue, b.link_len) for b in blocks}
    assert got["Home"] == ("nav", 4)
    assert got["Plain text with a link inside."][0] is None
    # link length is scaled to the normalised text (raw whitespace inside links does not inflate it)
    assert 0 < got["Plain text with a link inside."][1] < len("a      link")
    assert got["Aside text"][0] == "nav"
    assert "Tail" in got and "after break" in got


def test_listing_page_keeps_its_teasers():
    teaser = (
        "<li><article><h2><a href='/a{i}'>Headline number {i} about the city</a></h2>"
        "<p>Summary {i}: the council discussed the new transport plan for the districts, "
        "and residents asked many questions about the costs and the timetable of the works.</p>"
        "<p>By Reporter {i}</p></article></li>"
    )
    items = "".join(teaser.format(i=i) for i in range(12))
    html = (
        "<html><head><title>Section front</title></head><body>"
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/w'>World</a></li></ul></nav>"
        f"<main><section><ol>{items}</ol></section></main>"
        "<footer><p>© 2024 Example News. All rights reserved.</p></footer></body></html>"
    )
    doc = clean(Doc(source_uri="x", raw_text=html, media_type="html"))
    check_invariants(doc)
    assert sum(f"Summary {i}:" in doc.text for i in range(12)) >= 10
    assert "All rights reserved" not in doc.text


# ---------------------------------------------------------------- 0.4: nothing lost (headline-less texts, one-liners)

# Two paragraphs without a headline line, in several languages and scripts: the lead paragraph is text, not a title.
HEADLINELESS = {
    "en": (
        "The city opened a new bus line today. It runs every morning from six. Will it be enough?",
        "Residents welcomed the decision and asked for more lines in the northern districts.",
    ),
    "ar": (
        "افتتحت البلدية خطا جديدا للحافلات اليوم. وقال المسؤولون إن الخدمة ستعمل يوميا. فهل تنجح الخطة؟",
        "ورحب السكان بالقرار وطالبوا بخطوط أخرى في الأحياء الشمالية.",
    ),
    "hi": (
        "नगर निगम ने आज नई बस सेवा शुरू की। यह सेवा हर दिन सुबह छह बजे से चलेगी। लोगों ने फैसले का स्वागत किया।",
        "अधिकारियों ने कहा कि अगले महीने और बसें जोड़ी जाएंगी।",
    ),
    "zh": (
        "市政府今天开通了一条新的公交线路。这条线路每天早上六点开始运行。市民表示欢迎！",
        "官员说，下个月还会增加更多车辆。",
    ),
    "ru": (
        "Городские власти открыли новый автобусный маршрут. Автобусы будут ходить каждый день. Хватит ли их?",
        "Жители поддержали решение и попросили добавить маршруты в северных районах.",
    ),
    "tr": (
        "Belediye bugün yeni bir otobüs hattı açtı. Hat her sabah altıda çalışmaya başlayacak. Yeterli olacak mı?",
        "Mahalle sakinleri karardan memnun olduklarını söyledi.",
    ),
    "hy": (
        "Քաղաքապետարանը այսօր բացեց նոր ավտոբուսային երթուղի։ Ավտոբուսները կաշխատեն ամեն օր։",
        "Բնակիչները ողջունեցին որոշումը և խնդրեցին նոր երթուղիներ հյուսիսային թաղամասերում։",
    ),
}


@pytest.mark.parametrize("lang", sorted(HEADLINELESS))
def test_headline_less_text_keeps_its_lead_paragraph(lang):
    lead, second = HEADLINELESS[lang]
    doc = clean(Doc(source_uri="x", raw_text=f"{lead}\n\n{second}\n"))
    check_invariants(doc)
    assert doc.title is None
    assert doc.text.split("\n\n") == [lead, second]


@pytest.mark.parametrize("lang", sorted(HEADLINELESS))
def test_one_sentence_text_is_a_document(lang):
    lead, second = HEADLINELESS[lang]
    doc = clean(Doc(source_uri="x", raw_text=second + "\n"))
    check_invariants(doc)
    assert doc.text == second
    assert [b.kind for b in doc.blocks] == ["body"]


@pytest.mark.parametrize(
    "line, is_title",
    [
        ("Earthquake shakes coastal towns", True),  # a headline alone: the text, and its title
        ("زلزال يضرب المدن الساحلية", True),
        ("Is the bridge safe?", True),
        ("The bridge reopened on Monday after two years of repairs.", False),  # a sentence ends with a full stop
        ("पुल दो साल की मरम्मत के बाद सोमवार को फिर खुला।", False),
        ("大桥在修缮两年后于周一重新开放。", False),
        ("The bridge reopened. Traffic is back", False),  # a sentence end inside
    ],
)
def test_one_line_text_and_its_title(line, is_title):
    doc = clean(Doc(source_uri="x", raw_text=f"\n  {line}  \n\n"))
    check_invariants(doc)
    assert doc.text == line
    assert doc.title == (line if is_title else None)


def test_title_only_when_it_looks_like_one():
    body = "The council met on Tuesday and approved the budget for next year after a long debate."
    # a short single line followed by text: the title
    doc = clean(Doc(source_uri="x", raw_text=f"Council approves budget\n\n{body}\n"))
    assert doc.title == "Council approves budget" and doc.text == body
    # a lead question of a whole sentence's length is text
    lead = "Will the council really approve the budget for next year after weeks of protests in every district?"
    doc = clean(Doc(source_uri="x", raw_text=f"{lead}\n\n{body}\n"))
    assert doc.title is None and doc.text == f"{lead}\n\n{body}"
    # a headline and a few short lines (no prose): the lines are the text, the headline its title
    doc = clean(Doc(source_uri="x", raw_text="Road closed\n\nMain street\nUntil Friday\n"))
    assert doc.title == "Road closed" and doc.text == "Main street\n\nUntil Friday"


def test_headline_and_boilerplate_only_keeps_the_headline():
    doc = clean(Doc(source_uri="x", raw_text="Reklam\nStorm warning for the coast\nReklam\n"))
    check_invariants(doc)
    assert doc.text == "Storm warning for the coast" and doc.title == "Storm warning for the coast"


def test_lead_paragraph_trailing_off_in_an_ellipsis_is_text():
    lead = (
        "The council met on Tuesday evening. It discussed the budget for next year. "
        "Several members asked for more money for libraries. The debate went on until late..."
    )
    body = "The mayor said the budget protects schools and public transport in every district."
    doc = clean(Doc(source_uri="x", raw_text=f"{lead}\n\n{body}\n"))
    check_invariants(doc)
    assert doc.text == f"{lead}\n\n{body}"
    # a one-sentence teaser in a list is still a teaser
    doc = clean(Doc(source_uri="x", raw_text=f"{body}\n\nRead also:\nPrices of ferries to rise in the summer...\n"))
    assert [b.kind for b in doc.blocks] == ["body", "related", "related"]
