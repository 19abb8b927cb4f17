"""Sentence segmentation in several languages and scripts, with exact offsets."""

from __future__ import annotations

import pytest

from newsetl.doc import Doc
from tasks.segment import segment, split_spans


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Milli Savunma Bakanı Hulusi Akar görüştü. Akar, 5 Mart 2020 tarihinde açıklama yaptı. Dr. Kaya da katıldı.",
            [
                "Milli Savunma Bakanı Hulusi Akar görüştü.",
                "Akar, 5 Mart 2020 tarihinde açıklama yaptı.",
                "Dr. Kaya da katıldı.",
            ],
        ),
        (
            "وقالت المصادر إن الوفدين اجتمعا. هل انتهت الحرب؟ لا أحد يعرف.",
            ["وقالت المصادر إن الوفدين اجتمعا.", "هل انتهت الحرب؟", "لا أحد يعرف."],
        ),
        (
            "Le 12 octobre 2020, M. Akar a parlé à Shoigu. Il a exigé le retrait ! « Bakou ne peut pas attendre. » Puis rien.",
            [
                "Le 12 octobre 2020, M. Akar a parlé à Shoigu.",
                "Il a exigé le retrait !",
                "« Bakou ne peut pas attendre. »",
                "Puis rien.",
            ],
        ),
        (
            "Министр обороны Сергей Шойгу провёл переговоры. Т. е. встреча прошла в г. Москве. Итоги подведут позже.",
            [
                "Министр обороны Сергей Шойгу провёл переговоры.",
                "Т. е. встреча прошла в г. Москве.",
                "Итоги подведут позже.",
            ],
        ),
        (
            'U.S. officials met at 10.30 a.m. in Washington... Mr. Blinken said: "We agree." Then they left.',
            ["U.S. officials met at 10.30 a.m. in Washington...", 'Mr. Blinken said: "We agree."', "Then they left."],
        ),
        (
            "First paragraph without a period\nSecond paragraph.",
            ["First paragraph without a period", "Second paragraph."],
        ),
    ],
)
def test_sentences(text, expected):
    assert [text[s:e] for s, e in split_spans(text)] == expected


def test_offsets_are_exact_and_trimmed():
    doc = segment(Doc(source_uri="x", text="  Bir.  İki?\n\n  Üç…  "))
    assert [(s.text, doc.text[s.start : s.end]) for s in doc.sentences] == [
        ("Bir.", "Bir."),
        ("İki?", "İki?"),
        ("Üç…", "Üç…"),
    ]
    assert [s.idx for s in doc.sentences] == [0, 1, 2]


def test_empty_text():
    assert split_spans("") == [] and split_spans(" \n ") == []
