"""Extract: listing sources, decoding (UTF-8 and legacy encodings), and clear rejects for bad input."""

from __future__ import annotations

import gzip
import os

import pytest

from tasks.extract import RejectedInput, decode, extract, extract_many, list_sources

TURKISH = "Milli Savunma Bakanı Hulusi Akar, Şoygu ile görüştü. Ağır, çığ, öğün, İdlib."
ARABIC = "وزير الدفاع التركي خلوصي أكار يلتقي نظيره الروسي في أنقرة اليوم."
RUSSIAN = "Министр обороны России Сергей Шойгу провёл переговоры с Хулуси Акаром."
FRENCH = "Le ministre turc de la Défense a rappelé à Shoigu la Syrie et la Libye, événements à Erevan."


@pytest.mark.parametrize(
    "text, codec",
    [
        (TURKISH, "cp1254"),
        (ARABIC, "cp1256"),
        (RUSSIAN, "koi8_r"),
        (RUSSIAN, "cp1251"),
        (FRENCH, "latin-1"),
        (FRENCH, "cp1252"),
        (TURKISH, "utf-8"),
    ],
)
def test_legacy_encodings_are_decoded(text, codec):
    assert decode(text.encode(codec)) == text


def test_bom_and_utf16():
    assert decode("\ufeff".encode() + FRENCH.encode()) == FRENCH
    assert decode(FRENCH.encode("utf-16")) == FRENCH


@pytest.mark.parametrize(
    "data, reason",
    [(b"", "empty"), (b"   \n\t ", "empty"), (b"\x00\x01\x02\x03" * 100, "binary"), (bytes(range(256)) * 8, "binary")],
)
def test_bad_bytes_are_rejected(data, reason):
    with pytest.raises(RejectedInput) as exc:
        decode(data)
    assert exc.value.reason == reason


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", "\u00a0\u3000 \u200b\n".encode(), "\ufeff  \n".encode("utf-16")])
def test_only_whitespace_is_empty(data):
    with pytest.raises(RejectedInput) as exc:
        decode(data)
    assert exc.value.reason == "empty"


@pytest.mark.parametrize("repeat", [1, 3, 40])
def test_bytes_no_encoding_explains_are_undecodable(repeat):
    data = b"Caf\xc3\x28 \xff\xfe broken " * repeat
    with pytest.raises(RejectedInput) as exc:
        decode(data)
    assert exc.value.reason == "undecodable"
    assert "at byte 3" in exc.value.detail  # the first invalid UTF-8 sequence


@pytest.mark.parametrize(
    "text, codec",
    [
        ("国防部长今天在安卡拉会见了俄罗斯国防部长，双方讨论了地区局势。", "gbk"),
        ("국방부 장관은 오늘 앙카라에서 러시아 국방장관과 회담했다. 양측은 지역 정세를 논의했다.", "euc_kr"),
        ("防衛大臣は本日、ロシアの国防相とアンカラで会談した。両氏は地域情勢について意見を交わした。", "shift_jis"),
    ],
)
def test_east_asian_legacy_encodings_are_not_read_as_cyrillic(text, codec):
    assert decode(text.encode(codec)) == text


def test_utf8_with_a_few_stray_bytes_keeps_loading():
    text = (FRENCH + " ") * 4
    data = text.encode() + b"caf\xe9 \x93ok\x94"  # two windows-1252 quotes and an e-acute pasted in
    assert decode(data) == text + "café “ok”"


def test_list_sources_dirs_globs_and_urls(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text(TURKISH)
    (tmp_path / "a" / "two.html").write_text(f"<html><body><p>{FRENCH}</p></body></html>")
    (tmp_path / "a" / "skip.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a")  # a symlink loop is not followed
    uris, rejects = list_sources(
        [
            str(tmp_path / "a"),
            str(tmp_path / "a" / "*.txt"),
            "https://example.org/x",
            "ftp://example.org/y",
            str(tmp_path / "nope"),
        ]
    )
    assert sorted(os.path.basename(u) for u in uris) == ["one.txt", "two.html", "x"]
    assert {r.reason for r in rejects} == {"unsupported_scheme", "not_found"}


def test_extract_media_type_and_gzip(tmp_path):
    html = tmp_path / "page.html.gz"
    html.write_bytes(gzip.compress(f"<html><body><p>{ARABIC}</p></body></html>".encode()))
    doc = extract(str(html))
    assert doc.media_type == "html" and ARABIC in doc.raw_text and len(doc.raw_hash) == 64


def test_gzip_bomb_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr("tasks.extract.MAX_BYTES", 1_000_000)
    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(gzip.compress(b"a" * 5_000_000))
    out = extract_many([str(bomb)])
    assert [r.reason for r in out.rejects] == ["too_large"]


def test_too_large_and_unreadable_are_rejects_not_crashes(tmp_path, monkeypatch):
    monkeypatch.setattr("tasks.extract.MAX_BYTES", 100)
    big = tmp_path / "big.txt"
    big.write_text("x" * 1000)
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    ok = tmp_path / "ok.txt"
    ok.write_text("short")
    out = extract_many([str(big), str(loop), str(ok)])
    assert [r.reason for r in out.rejects] == ["too_large", "not_a_file"]
    assert [d.raw_text for d in out.docs] == ["short"]


def test_known_raw_hash_is_skipped(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text(TURKISH)
    first = extract_many([str(p)])
    second = extract_many([str(p)], {str(p): first.docs[0].raw_hash})
    assert second.docs == [] and second.skipped == [str(p)]
    copy = tmp_path / "b.txt"  # the same bytes at another source: extracted, so that the load records that source
    copy.write_text(TURKISH)
    assert [d.source_uri for d in extract_many([str(copy)], {str(p): first.docs[0].raw_hash}).docs] == [str(copy)]


def test_private_url_is_refused():
    out = extract_many(["http://127.0.0.1:9/x"])
    assert [r.reason for r in out.rejects] == ["forbidden_address"]


def test_split_unchanged_reads_local_files_only(tmp_path):
    from tasks.extract import read_file, split_unchanged

    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("Ankara'da bugün bir toplantı yapıldı.", encoding="utf-8")
    new.write_text("Paris accueille une conférence.", encoding="utf-8")
    gz = tmp_path / "old-again.txt.gz"
    gz.write_bytes(gzip.compress(old.read_bytes()))  # the same bytes at another source: to extract (and record)
    known = {str(old): read_file(str(old)).raw_hash, str(new): "the hash of other bytes"}
    uris = [str(old), str(new), str(gz), str(tmp_path / "missing.txt"), "https://example.org/a"]
    out = split_unchanged(uris, known)
    assert out.unchanged == [str(old)]
    assert out.todo == [str(new), str(gz), str(tmp_path / "missing.txt"), "https://example.org/a"]  # extract decides
    assert out.restamps == []  # files written just now get no stamp: they may change again within their mtime tick
    assert split_unchanged(uris, {}).todo == uris


def test_a_file_keeping_its_stamp_is_skipped_without_a_read(tmp_path, monkeypatch):
    """The quick check before hashing: a file whose size, mtime and ctime are those recorded is not read; a
    changed stamp means a read and a hash, so a rewrite of the same size is reprocessed and a touch is not."""
    import tasks.extract as extract_mod

    monkeypatch.setattr(extract_mod, "SETTLE_NS", 0)
    path = tmp_path / "a.txt"
    path.write_text(TURKISH, encoding="utf-8")
    first = extract(str(path))
    assert first.file_stamp == f"{path.stat().st_size}:{path.stat().st_mtime_ns}:{path.stat().st_ctime_ns}"
    known, stamps = {str(path): first.raw_hash}, {str(path): first.file_stamp}

    def no_reads(uri):
        raise AssertionError(f"{uri} was read")

    with monkeypatch.context() as m:
        m.setattr(extract_mod, "read_file", no_reads)
        assert extract_mod.split_unchanged([str(path)], known, stamps).unchanged == [str(path)]

    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 10**9))  # touched: same bytes, new stamp
    touched = extract_mod.split_unchanged([str(path)], known, stamps)
    assert touched.unchanged == [str(path)]
    assert touched.restamps == [(str(path), first.raw_hash, extract_mod.file_stamp(path.stat()))]

    path.write_text(TURKISH.replace("Akar", "Ak4r"), encoding="utf-8")  # same size, other bytes
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 2 * 10**9))  # (a coarse clock could keep the mtime)
    assert path.stat().st_size == st.st_size
    changed = extract_mod.split_unchanged([str(path)], known, stamps | {str(path): touched.restamps[0][2]})
    assert changed.todo == [str(path)] and changed.unchanged == [] and changed.restamps == []


def test_a_file_changed_a_moment_ago_gets_no_stamp(tmp_path):
    path = tmp_path / "fresh.txt"
    path.write_text(TURKISH, encoding="utf-8")
    assert extract(str(path)).file_stamp is None
    os.utime(path, ns=(0, 0))  # an old mtime does not help: the ctime says the file changed just now
    assert extract(str(path)).file_stamp is None
