"""Language identification: real models, real sentences."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from newsetl.doc import UNDETERMINED, Doc, Sentence
from tasks.enrich import langid
from tasks.enrich.langid import SUPPORTED_LANGUAGES, detect_language, detect_language_batch, identify

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds" / "corpus"

# One news-style sentence per news language (written for these tests).
NEWS_SENTENCES = {
    "tr": "Dışişleri Bakanı, iki ülke arasındaki ticaret anlaşmasının önümüzdeki ay imzalanacağını söyledi.",
    "ar": "أعلنت وزارة الخارجية أن الاتفاق التجاري بين البلدين سيوقع في الشهر المقبل.",
    "fr": "Le ministre des Affaires étrangères a déclaré que l'accord commercial serait signé le mois prochain.",
    "en": "The foreign minister said the trade agreement between the two countries would be signed next month.",
    "ru": "Министр иностранных дел заявил, что торговое соглашение будет подписано в следующем месяце.",
    "de": "Der Außenminister sagte, das Handelsabkommen zwischen den beiden Ländern werde nächsten Monat unterzeichnet.",
    "es": "El ministro de Asuntos Exteriores afirmó que el acuerdo comercial se firmará el próximo mes.",
    "it": "Il ministro degli Esteri ha detto che l'accordo commerciale sarà firmato il mese prossimo.",
    "pt": "O ministro dos Negócios Estrangeiros disse que o acordo comercial será assinado no próximo mês.",
    "nl": "De minister van Buitenlandse Zaken zei dat het handelsakkoord volgende maand wordt ondertekend.",
    "pl": "Minister spraw zagranicznych powiedział, że umowa handlowa zostanie podpisana w przyszłym miesiącu.",
    "uk": "Міністр закордонних справ заявив, що торговельну угоду буде підписано наступного місяця.",
    "fa": "وزیر امور خارجه گفت که توافق تجاری میان دو کشور ماه آینده امضا خواهد شد.",
    "az": "Xarici işlər naziri bildirib ki, iki ölkə arasında ticarət sazişi gələn ay imzalanacaq.",
    "el": "Ο υπουργός Εξωτερικών δήλωσε ότι η εμπορική συμφωνία θα υπογραφεί τον επόμενο μήνα.",
    "bg": "Министърът на външните работи заяви, че търговското споразумение ще бъде подписано следващия месец.",
    "ro": "Ministrul de externe a declarat că acordul comercial va fi semnat luna viitoare.",
    "sv": "Utrikesministern sade att handelsavtalet mellan de två länderna kommer att undertecknas nästa månad.",
    "he": "שר החוץ אמר כי הסכם הסחר בין שתי המדינות ייחתם בחודש הבא.",
    "hi": "विदेश मंत्री ने कहा कि दोनों देशों के बीच व्यापार समझौते पर अगले महीने हस्ताक्षर किए जाएंगे।",
}


def make_doc(sentences: list[str], uri: str = "test://doc") -> Doc:
    text = ""
    sents = []
    for i, s in enumerate(sentences):
        if text:
            text += " "
        start = len(text)
        text += s
        sents.append(Sentence(idx=i, start=start, end=len(text), text=s))
    return Doc(source_uri=uri, text=text, sentences=sents)


def test_interface_and_version():
    assert isinstance(langid.LANGID_VERSION, str) and langid.LANGID_VERSION
    lang, score = identify(NEWS_SENTENCES["en"])
    assert isinstance(lang, str) and isinstance(score, float)
    assert 0.0 <= score <= 1.0


def test_language_coverage():
    assert len(SUPPORTED_LANGUAGES) >= 75
    assert {"tr", "ar", "ru", "uk", "bg", "fr", "en"} <= SUPPORTED_LANGUAGES


@pytest.mark.parametrize("lang", sorted(NEWS_SENTENCES))
def test_news_languages(lang):
    got, score = identify(NEWS_SENTENCES[lang])
    assert got == lang, (got, score)
    assert score >= 0.5


@pytest.mark.parametrize(
    "text",
    ["", "   ", "ok", "123 456", "!!! ???", "https://t.co/x1", "12.05.2024 — 14:30"],
)
def test_too_short_or_no_language_is_und(text):
    assert identify(text) == (UNDETERMINED, 0.0) or identify(text)[0] == UNDETERMINED


def test_unsupported_language_is_not_a_confident_guess():
    # Galician is not among the supported languages: "und", or at worst a low-confidence label
    lang, score = identify("O galego é unha lingua indoeuropea que pertence á póla de linguas románicas.")
    assert lang == UNDETERMINED or score < 0.7


def test_scripts_from_the_seeds():
    # Latin with Turkish letters, Arabic, Cyrillic
    assert identify("Şoygu, Kang'la görüşmesi sırasında işbirliği planlarına değindi.")[0] == "tr"
    assert identify("وأضافت أنه تم تباحث قضايا أمنية ودفاعية تهم البلدين")[0] == "ar"
    assert identify("Министр обороны России Сергей Шойгу провёл переговоры с турецким коллегой.")[0] == "ru"


@pytest.mark.parametrize("doc_lang", ["tr", "ar", "ru", "fr"])
def test_prior_never_overrides_a_clear_foreign_sentence(doc_lang):
    for lang, sentence in NEWS_SENTENCES.items():
        got, _ = identify(sentence, prior=doc_lang)
        assert got == lang, (doc_lang, lang, got)


def test_prior_settles_close_calls():
    # Bosnian/Croatian/Serbian Latin are near-identical: the document's language decides.
    sentence = "Predsjednik vlade sastao se danas s predstavnicima sindikata."
    assert identify(sentence, prior="hr")[0] == "hr"
    assert identify(sentence, prior="bs")[0] == "bs"


def test_prior_rescues_a_sentence_that_looks_foreign():
    # fastText and CLD2 both call this English; inside a French article it is French.
    assert identify("Certains experts russes suggèrent", prior="fr")[0] == "fr"


def test_french_quote_in_turkish_article():
    doc = make_doc(
        [
            "Milli Savunma Bakanı Hulusi Akar, Fransız mevkidaşı ile telefonda görüştü.",
            "Görüşmede iki ülke arasındaki savunma işbirliği ve bölgesel gelişmeler ele alındı.",
            "« Nous devons travailler ensemble pour la paix dans la région », a déclaré la ministre.",
            "Bakan Akar, Türkiye'nin bölgedeki barış çabalarını sürdüreceğini vurguladı.",
        ]
    )
    detect_language(doc)
    assert doc.lang == "tr"
    assert 0.5 <= doc.lang_score <= 1.0
    assert [s.lang for s in doc.sentences] == ["tr", "tr", "fr", "tr"]
    assert all(0.0 <= s.lang_score <= 1.0 for s in doc.sentences)


def test_english_paragraph_in_arabic_page():
    doc = make_doc(
        [
            "ذكرت مصادر إعلامية أن وفدين من تركيا وكوسوفو اجتمعا في أنقرة اليوم.",
            "وقالت المصادر إن الاجتماع تناول قضايا أمنية ودفاعية تهم البلدين.",
            "The ministry said in a statement that the talks focused on defence cooperation.",
            "وأضافت أن الجانبين اتفقا على مواصلة التعاون في المجالات العسكرية.",
        ]
    )
    detect_language(doc)
    assert doc.lang == "ar"
    assert [s.lang for s in doc.sentences] == ["ar", "ar", "en", "ar"]


def test_short_sentences_in_a_document_get_und_or_doc_language():
    doc = make_doc(["Reklam", "6", "Le ministre turc de la Défense a rappelé à Shoigu la Syrie et la Libye.", "—"])
    detect_language(doc)
    assert doc.lang == "fr"
    assert doc.sentences[1].lang == UNDETERMINED
    assert doc.sentences[3].lang == UNDETERMINED
    assert doc.sentences[2].lang == "fr"


def test_empty_doc():
    doc = detect_language(Doc(source_uri="test://empty"))
    assert doc.lang == UNDETERMINED and doc.lang_score == 0.0


@pytest.mark.skipif(not SEEDS.is_dir(), reason="no seed corpus")
def test_seed_corpus():
    expected = {"000": "tr", "001": "tr", "002": "ar", "003": "tr", "004": "fr"}
    docs = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        doc = make_doc([line.strip() for line in text.splitlines() if line.strip()], uri=path.name)
        docs.append(doc)
    out = detect_language_batch(docs)
    assert out is not None and len(out) == len(docs)
    for doc in out:
        prefix = doc.source_uri[:3]
        if prefix in expected:
            assert doc.lang == expected[prefix], doc.source_uri
        long = [s for s in doc.sentences if len(s.text) > 60]
        same = sum(s.lang == doc.lang for s in long)
        assert same >= 0.9 * len(long), doc.source_uri


def test_memory_under_budget():
    """Load every detector on many languages in a fresh process: peak RSS stays well under 1.5 GB."""
    code = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from tasks.enrich.langid import identify
from tests.test_langid import NEWS_SENTENCES
import itertools
langs = list(NEWS_SENTENCES)
for a, b in itertools.product(langs, langs):
    identify(NEWS_SENTENCES[a][:40], prior=b)
    identify(NEWS_SENTENCES[a], prior=b)
for t in ["Ovo je rečenica na hrvatskom jeziku.", "Dette er en setning på norsk.", "Ini adalah kalimat."]:
    identify(t)
# VmHWM: peak RSS of this process image (ru_maxrss would include the pytest parent's peak, inherited at fork)
print(int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) // 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    rss_mb = int(out.stdout.strip().splitlines()[-1])
    assert rss_mb < 1000, rss_mb


def test_doc_language_falls_back_to_sentence_vote():
    doc = make_doc([NEWS_SENTENCES["de"], "Die Gespräche sollen am Montag in Berlin fortgesetzt werden.", "OK"])
    doc.text = ""  # no usable full text: the sentences decide
    detect_language(doc)
    assert doc.lang == "de"
    assert [s.lang for s in doc.sentences[:2]] == ["de", "de"]
    assert doc.sentences[2].lang == UNDETERMINED
