"""End to end: short, headline-less and oddly encoded texts through the real ingest flow, checked with SQL.

Nothing is lost: a one-line text is a document, a lead paragraph is text (not a title), every script's sentences
are split with exact offsets, and bytes that no encoding explains are rejected with the offset of the first bad one.
"""

from __future__ import annotations

import pytest

FILES = {
    # a one-sentence brief (no headline line)
    "brief_hi.txt": "नगर निगम ने आज नई बस सेवा शुरू की। यह सेवा हर दिन चलेगी। लोग खुश हैं।\n".encode(),
    # a headline alone
    "alert_en.txt": b"Storm warning for the northern coast\n",
    # two paragraphs, the lead one ending in an Arabic question mark
    "lead_ar.txt": (
        "افتتحت البلدية خطا جديدا للحافلات اليوم. وقال المسؤولون إن الخدمة ستعمل يوميا. فهل تنجح الخطة؟\n\n"
        "ورحب السكان بالقرار وطالبوا بخطوط أخرى في الأحياء الشمالية.\n"
    ).encode(),
    # Chinese without spaces, an emoji before a sentence end (offsets in code points)
    "brief_zh.txt": "市政府开通了新线路🚌。市民表示欢迎！官员没有回答。\n".encode(),
    # a mixed paragraph: Turkish with an English quote
    "quote_tr.txt": (
        "Bakan bugün yeni otobüs hattını açtı. Törende konuşan bakan, hattın her gün çalışacağını söyledi. "
        "Mahalle sakinleri karardan memnun olduklarını belirtti. The minister said the line would run every day.\n"
    ).encode(),
    # legacy encodings still decode; a few stray bytes in UTF-8 still load
    "legacy_ru.txt": "Городские власти открыли новый автобусный маршрут. Жители довольны.\n".encode("cp1251"),
    "stray.txt": "Le maire a inauguré la nouvelle ligne de bus ce matin. ".encode() * 3 + b"C'est \x93bien\x94.\n",
    # rejects
    "broken.txt": b"Caf\xc3\x28 \xff\xfe broken " * 8,
    "blank.txt": "\u00a0 \u3000\n\u200b\n".encode(),
}


@pytest.fixture(scope="module")
def ingested(prefect_harness, tmp_path_factory):
    from flows.ingest import run_ingest

    inputs = tmp_path_factory.mktemp("cleaning_inputs")
    for name, data in FILES.items():
        (inputs / name).write_bytes(data)
    data_dir = tmp_path_factory.mktemp("cleaning_data")
    run_ingest([str(inputs)], str(data_dir), batch_size=20, workers=1)
    from warehouse import db

    def sql(query: str, params: list | None = None) -> list[tuple]:
        return db.query(data_dir / "newsetl.duckdb", query, params)[1]

    return sql


def _doc(sql, name: str) -> dict:
    cols = ["doc_id", "lang", "title", "text", "n_sentences"]
    rows = sql(f"select {', '.join(cols)} from documents where source_uri like ?", [f"%/{name}"])
    assert len(rows) == 1, f"{name}: {rows}"
    return dict(zip(cols, rows[0], strict=True))


def _sentences(sql, doc_id: str) -> list[tuple[str, str]]:
    return sql("select text, lang from sentences where doc_id = ? order by sent_idx", [doc_id])


def test_every_text_is_loaded_and_only_bad_bytes_are_rejected(ingested):
    rejects = dict(ingested("select regexp_extract(source_uri, '[^/]+$'), reason from rejects"))
    assert rejects == {"broken.txt": "undecodable", "blank.txt": "empty"}
    detail = ingested("select detail from rejects where source_uri like '%broken.txt'")[0][0]
    assert "at byte 3" in detail
    assert ingested("select count(*) from documents")[0][0] == len(FILES) - 2


def test_one_line_texts_are_documents(ingested):
    brief = _doc(ingested, "brief_hi.txt")
    assert brief["title"] is None and brief["lang"] == "hi"
    assert [t for t, _ in _sentences(ingested, brief["doc_id"])] == [
        "नगर निगम ने आज नई बस सेवा शुरू की।",
        "यह सेवा हर दिन चलेगी।",
        "लोग खुश हैं।",
    ]
    alert = _doc(ingested, "alert_en.txt")
    assert alert["text"] == alert["title"] == "Storm warning for the northern coast"


def test_lead_paragraph_is_text_not_title(ingested):
    lead = _doc(ingested, "lead_ar.txt")
    assert lead["title"] is None and lead["lang"] == "ar"
    assert lead["text"].startswith("افتتحت البلدية") and "فهل تنجح الخطة؟" in lead["text"]
    assert lead["n_sentences"] == 4


def test_cjk_sentences_and_code_point_offsets(ingested):
    zh = _doc(ingested, "brief_zh.txt")
    assert [t for t, _ in _sentences(ingested, zh["doc_id"])] == [
        "市政府开通了新线路🚌。",
        "市民表示欢迎！",
        "官员没有回答。",
    ]
    bad = ingested(
        """select count(*) from sentences s join documents d using (doc_id)
        where substring(d.text, s.start_char + 1, s.end_char - s.start_char) != s.text"""
    )
    assert bad[0][0] == 0


def test_mixed_paragraph_keeps_each_sentences_language(ingested):
    doc = _doc(ingested, "quote_tr.txt")
    assert doc["lang"] == "tr"
    assert [lang for _, lang in _sentences(ingested, doc["doc_id"])] == ["tr", "tr", "tr", "en"]


def test_legacy_and_stray_bytes_still_decode(ingested):
    assert _doc(ingested, "legacy_ru.txt")["text"].startswith("Городские власти")
    assert _doc(ingested, "stray.txt")["text"].endswith("C'est “bien”.")
