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


@pytest.mark.parametrize(
    "text, expected",
    [
        (  # Devanagari danda
            "नगर निगम ने आज नई बस सेवा शुरू की। यह सेवा हर दिन चलेगी। लोग खुश हैं।",
            ["नगर निगम ने आज नई बस सेवा शुरू की।", "यह सेवा हर दिन चलेगी।", "लोग खुश हैं।"],
        ),
        (  # Arabic question mark, Urdu full stop
            "هل تنجح الخطة؟ يقول المسؤولون نعم. شہر میں نئی بس چلی۔ لوگ خوش ہیں۔",
            ["هل تنجح الخطة؟", "يقول المسؤولون نعم.", "شہر میں نئی بس چلی۔", "لوگ خوش ہیں۔"],
        ),
        (  # CJK: no space after the full-width marks, closing corner bracket stays with its sentence
            "市政府开通了新线路。市民表示欢迎！「何时延长？」官员没有回答。",
            ["市政府开通了新线路。", "市民表示欢迎！", "「何时延长？」", "官员没有回答。"],
        ),
        (  # Armenian full stop
            "Քաղաքապետարանը բացեց նոր երթուղի։ Բնակիչները գոհ են։",
            ["Քաղաքապետարանը բացեց նոր երթուղի։", "Բնակիչները գոհ են։"],
        ),
        (  # Ethiopic full stop
            "ከተማው አዲስ የአውቶቡስ መስመር ከፈተ። ነዋሪዎቹ ደስተኞች ናቸው።",
            ["ከተማው አዲስ የአውቶቡስ መስመር ከፈተ።", "ነዋሪዎቹ ደስተኞች ናቸው።"],
        ),
        (  # Burmese full stop
            "မြို့တော်သည် ဘတ်စ်ကားလိုင်းအသစ် ဖွင့်လှစ်ခဲ့သည်။ ပြည်သူများ ဝမ်းသာကြသည်။",
            ["မြို့တော်သည် ဘတ်စ်ကားလိုင်းအသစ် ဖွင့်လှစ်ခဲ့သည်။", "ပြည်သူများ ဝမ်းသာကြသည်။"],
        ),
        (  # Georgian is caseless in running text (its letters are lower-case letters to Unicode)
            "ქალაქმა ახალი ხაზი გახსნა. მოსახლეობა კმაყოფილია.",
            ["ქალაქმა ახალი ხაზი გახსნა.", "მოსახლეობა კმაყოფილია."],
        ),
        (  # a Devanagari word before a period is no initial (vowel signs are part of the word)
            "यह सबसे बड़ा कवि होय. EXCLUSIVE खबर आई.",
            ["यह सबसे बड़ा कवि होय.", "EXCLUSIVE खबर आई."],
        ),
    ],
)
def test_every_scripts_sentence_ends(text, expected):
    assert [text[s:e] for s, e in split_spans(text)] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Yahoo!News reported it. The site is example.com today.",
            ["Yahoo!News reported it.", "The site is example.com today."],
        ),
        ('"Ne oldu?" diye sordu. Cevap gelmedi.', ['"Ne oldu?" diye sordu.', "Cevap gelmedi."]),
        ("1. Madde yürürlüğe girer. 2. Madde kaldırılır.", ["1. Madde yürürlüğe girer.", "2. Madde kaldırılır."]),
        ("The committee met. -- 1981. -- Minutes follow.", ["The committee met.", "-- 1981. -- Minutes follow."]),
        ("Listed for sale, with the box. (1742/22)", ["Listed for sale, with the box. (1742/22)"]),
    ],
)
def test_abbreviation_quote_and_number_rules(text, expected):
    assert [text[s:e] for s, e in split_spans(text)] == expected


def test_offsets_are_code_points_after_astral_characters():
    text = "Fans cheered 🎉🎉 all night. 𠜎 is a rare character! The end."
    spans = split_spans(text)
    assert [text[s:e] for s, e in spans] == ["Fans cheered 🎉🎉 all night.", "𠜎 is a rare character!", "The end."]
    doc = segment(Doc(source_uri="x", text=text))
    assert all(doc.text[s.start : s.end] == s.text for s in doc.sentences)
