"""Clean stage: raw page/text -> article text, title, metadata and classified blocks.

Pure functions, no I/O. The pipeline calls :func:`clean` only.

Plain text: every non-empty line is a block; blocks are classified from structure (length, sentence
punctuation, date/time lines, list runs, teaser lines ending in an ellipsis, score/timestamp
patterns of reader comments, position relative to the article) with small multilingual cue lists as
a supplement.

HTML: the page is segmented into blocks (leaf block elements, in document order); the main text
comes from trafilatura (fast mode) and is refined by our own block classifier (container
class/id cues, link density, the same text cues as for plain text); metadata from meta tags,
JSON-LD and ``<time>`` elements.
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from datetime import UTC, datetime

import ftfy

from newsetl.doc import Block, Doc

CLEAN_VERSION = "0.2.0"

# --------------------------------------------------------------------------------------------
# normalisation

_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e\u200e\u200f\u202a-\u202e]")
_WS_RE = re.compile(r"\s+")
# UTF-8 read as latin-1/cp1252 leaves a lead byte (Â..ô) followed by a continuation-byte look-alike
_MOJIBAKE_HINT_RE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
    "|\ufffd|[\u0080-\u009f]"
)
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_character_width=False,
    fix_latin_ligatures=False,
    normalization="NFC",
    explain=False,
)


def normalize(text: str) -> str:
    """NFC, mojibake repair, invisible characters removed, whitespace collapsed to single spaces."""
    if not text:
        return ""
    if not text.isascii():
        if _MOJIBAKE_HINT_RE.search(text):
            with contextlib.suppress(Exception):  # never raise on odd input
                text = ftfy.fix_text(text, _FTFY_CONFIG)
        text = _INVISIBLE_RE.sub("", text)
        text = unicodedata.normalize("NFC", text)
    return _WS_RE.sub(" ", text).strip()


# --------------------------------------------------------------------------------------------
# dates

_MONTHS: dict[str, int] = {}


def _add_months(names: str) -> None:
    for i, group in enumerate(names.split(";"), start=1):
        for name in group.split(","):
            name = name.strip().lower()
            if name:
                _MONTHS[name] = i


# en, fr, de, es, it, pt, tr, ru (nominative + genitive), pl, nl, ar (two naming systems)
_add_months(
    "january,jan,janvier,janv,januar,jän,enero,ene,gennaio,janeiro,ocak,январь,января,янв,"
    "styczeń,stycznia,januari,يناير,كانون الثاني,جانفي;"
    "february,feb,février,fevrier,févr,februar,febrero,febbraio,fevereiro,fev,şubat,subat,"
    "февраль,февраля,фев,luty,lutego,februari,فبراير,شباط,فيفري;"
    "march,mar,mars,märz,marz,marzo,março,marco,mart,март,марта,marzec,marca,maart,مارس,آذار;"
    "april,apr,avril,avr,abril,abr,aprile,nisan,апрель,апреля,апр,kwiecień,kwietnia,أبريل,نيسان,"
    "ابريل,أفريل;"
    "may,mai,mayo,maggio,maio,mayıs,mayis,май,мая,maj,maja,mei,مايو,أيار,ماي;"
    "june,jun,juin,juni,junio,giugno,junho,haziran,июнь,июня,czerwiec,czerwca,يونيو,حزيران,جوان;"
    "july,jul,juillet,juil,juli,julio,luglio,julho,temmuz,июль,июля,lipiec,lipca,يوليو,تموز,"
    "جويلية;"
    "august,aug,août,aout,agosto,ago,ağustos,agustos,август,августа,авг,sierpień,sierpnia,"
    "augustus,أغسطس,آب,اوت;"
    "september,sep,sept,septembre,septiembre,settembre,setembro,set,eylül,eylul,сентябрь,"
    "сентября,сен,wrzesień,września,سبتمبر,أيلول;"
    "october,oct,octobre,oktober,okt,octubre,ottobre,outubro,out,ekim,октябрь,октября,"
    "październik,października,أكتوبر,تشرين الأول,اكتوبر;"
    "november,nov,novembre,noviembre,novembro,kasım,kasim,ноябрь,ноября,listopad,listopada,"
    "نوفمبر,تشرين الثاني;"
    "december,dec,décembre,decembre,déc,dezember,dez,diciembre,dic,dicembre,dezembro,aralık,"
    "aralik,декабрь,декабря,дек,grudzień,grudnia,ديسمبر,كانون الأول"
)
_WEEKDAYS = (
    "monday mon tuesday tue wednesday wed thursday thu friday fri saturday sat sunday sun "
    "lundi mardi mercredi jeudi vendredi samedi dimanche montag dienstag mittwoch donnerstag "
    "freitag samstag sonntag lunes martes miércoles jueves viernes sábado domingo pazartesi salı "
    "çarşamba perşembe cuma cumartesi pazar понедельник вторник среда четверг пятница суббота "
    "воскресенье الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد"
).split()
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_TIME_RE = r"(?:[01]?\d|2[0-3])\s?[:.h]\s?[0-5]\d(?:\s?[:.]\s?[0-5]\d)?(?:\s?[ap]\.?m\.?)?"
_DATE_NUM_RE = re.compile(
    r"(?<!\d)(?:(?P<y1>(?:19|20)\d\d)[-/.](?P<m1>[01]?\d)[-/.](?P<d1>[0-3]?\d)"
    r"|(?P<d2>[0-3]?\d)[-/.](?P<m2>[01]?\d)[-/.](?P<y2>(?:19|20)\d\d))(?!\d)"
)
_DATE_TXT_RE = re.compile(
    r"(?<![\w])(?:(?P<d1>[0-3]?\d)(?:\.|er|st|nd|rd|th|º)?\s+(?:de\s+)?(?P<mon1>" + _MONTH_ALT + r")\.?"
    r"(?:\s+de)?,?\s+(?P<y1>(?:19|20)\d\d)"
    r"|(?P<mon2>" + _MONTH_ALT + r")\.?\s+(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y2>(?:19|20)\d\d))"
    r"(?![\w])",
    re.IGNORECASE,
)
_TIME_ONLY_RE = re.compile(r"(?<!\d)" + _TIME_RE + r"(?!\d)", re.IGNORECASE)
_DATE_WORD_RE = re.compile(
    r"(?<![\w])(?:" + _MONTH_ALT + "|" + "|".join(_WEEKDAYS) + r"|at|um|à|a las|saat|в|г|года|"
    r"de|del|le|am|on|utc|gmt|cet|cest|est|edt|pst|msk|trt|updated|published|posted|"
    r"yayınlanma|güncelleme|tarihi|publié|mis à jour|veröffentlicht|aktualisiert|publicado|"
    r"actualizado|опубликовано|обновлено|نشر|في|تحديث)(?![\w])",
    re.IGNORECASE,
)
_RELATIVE_TIME_RE = re.compile(
    r"^\d+\s+(?:minutes?|min|hours?|hrs?|days?|weeks?|months?|years?|dakika|saat|gün|hafta|ay|yıl|"
    r"minutes?|heures?|jours?|semaines?|mois|ans?|minuten|stunden?|tagen?|wochen?|monaten?|"
    r"jahren?|minutos?|horas?|días?|semanas?|meses?|años?|минут\w*|час\w*|дн\w*|недел\w*|"
    r"месяц\w*|год\w*|лет)\s*(?:ago|önce|далее|назад)?$|^(?:il y a|vor|hace|منذ)\s+\d+\s+\w+$",
    re.IGNORECASE,
)


def _mk_date(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime | None:
    try:
        return datetime(y, m, d, hh, mm, tzinfo=UTC)
    except ValueError:
        return None


def find_date(text: str) -> datetime | None:
    """First calendar date in ``text`` (numeric or with a month name), tz-aware (UTC if unknown)."""
    if not text:
        return None
    best: tuple[int, datetime] | None = None
    m = _DATE_TXT_RE.search(text)
    if m:
        g = m.groupdict()
        mon = _MONTHS.get((g["mon1"] or g["mon2"]).lower().rstrip("."))
        day = int(g["d1"] or g["d2"])
        year = int(g["y1"] or g["y2"])
        dt = _mk_date(year, mon, day) if mon else None
        if dt:
            best = (m.end(), dt)
    if best is None:
        m = _DATE_NUM_RE.search(text)
        if m:
            g = m.groupdict()
            if g["y1"]:
                dt = _mk_date(int(g["y1"]), int(g["m1"]), int(g["d1"]))
            else:
                dt = _mk_date(int(g["y2"]), int(g["m2"]), int(g["d2"]))
            if dt:
                best = (m.end(), dt)
    if best is None:
        return None
    end, dt = best
    t = _TIME_ONLY_RE.search(text, end, end + 12)
    if t:
        digits = re.findall(r"\d+", t.group(0))
        if len(digits) >= 2:
            hh, mm = int(digits[0]), int(digits[1])
            if "pm" in t.group(0).lower().replace(".", "") and hh < 12:
                hh += 12
            dt = dt.replace(hour=hh, minute=mm)
    return dt


def parse_iso_date(value: str) -> datetime | None:
    """Parse an ISO-8601-ish date string from metadata; naive values are taken as UTC."""
    if not value or not isinstance(value, str):
        return None
    v = value.strip()
    if not v:
        return None
    v2 = v.replace("Z", "+00:00").replace("z", "+00:00")
    v2 = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", v2)
    v2 = re.sub(r"\.\d+(?=[+-]\d\d:\d\d$|$)", "", v2)
    try:
        dt = datetime.fromisoformat(v2)
    except ValueError:
        dt = None
    if dt is None:
        m = re.match(r"((?:19|20)\d\d)-(\d\d)-(\d\d)", v)
        if m:
            dt = _mk_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        else:
            dt = find_date(v)
            if dt is None:
                try:
                    from email.utils import parsedate_to_datetime

                    dt = parsedate_to_datetime(v)
                except (TypeError, ValueError, IndexError):
                    dt = None
    if dt is None or not (1990 <= dt.year <= 2100):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def is_date_line(text: str) -> bool:
    """A short line that is (almost) only a date and/or time: '24 Kasım 2025 19:30', '13:29'."""
    if len(text) > 60 or not any(c.isdigit() for c in text):
        return False
    if _RELATIVE_TIME_RE.match(text):
        return True
    has_date = bool(_DATE_TXT_RE.search(text) or _DATE_NUM_RE.search(text))
    rest = _DATE_TXT_RE.sub(" ", text)
    rest = _DATE_NUM_RE.sub(" ", rest)
    rest = _TIME_ONLY_RE.sub(" ", rest)
    rest = _DATE_WORD_RE.sub(" ", rest)
    rest = re.sub(r"[\W\d_]+", "", rest)
    if has_date:
        return len(rest) <= 3
    # time only, e.g. '19:30' or '13: 29'
    return len(rest) == 0 and bool(_TIME_ONLY_RE.search(text))


# --------------------------------------------------------------------------------------------
# cue lists (small, multilingual; structure does most of the work)

_AD_RE = re.compile(
    r"^(?:reklam|advertisement|advertising|ad|ads|sponsored(?: content)?|anzeige|werbung|publicité|"
    r"publicite|publicidad|pubblicità|publicidade|реклама|إعلان|اعلان|sponsorlu(?: içerik)?|"
    r"annonce|reklama|advertentie|patrocinado|sponsorisé)\s*[:.]?$",
    re.IGNORECASE,
)
_COOKIE_RE = re.compile(
    r"cookie|çerez|kuki|الكوكيز|ملفات تعريف الارتباط|куки|файлы cookie|gdpr|datenschutzeinstellungen",
    re.IGNORECASE,
)
_RELATED_HEAD_RE = re.compile(
    r"^(?:önceki haberler|sonraki haberler|ilgili haberler|benzer haberler|diğer haberler|"
    r"daha fazla(?: haber)?|bunlar da ilginizi çekebilir|son dakika|gündem|öne çıkanlar|"
    r"تابع أيضا|تابع ايضا|اقرأ أيضا|اقرأ ايضا|أخبار ذات صلة|مواضيع ذات صلة|المزيد|"
    r"related(?: news| articles| stories| posts| content)?|read (?:more|also|next)|more (?:news|stories|from .*)|"
    r"see also|you (?:may|might) (?:also )?like|recommended(?: for you)?|most (?:read|popular)|"
    r"trending|latest news|top stories|"
    r"lire aussi|à lire aussi|a lire aussi|voir aussi|sur le même sujet|dans la même rubrique|"
    r"les plus lus|derniers articles|articles similaires|à voir aussi|"
    r"lesen sie (?:auch|mehr)|mehr zum thema|das könnte sie auch interessieren|weitere artikel|"
    r"meistgelesen|ähnliche artikel|"
    r"lee también|leer más|ver también|noticias relacionadas|te puede interesar|lo más leído|"
    r"más noticias|"
    r"leia também|veja também|leggi anche|"
    r"читайте также|читать также|по теме|похожие новости|другие новости|ещё по теме|"
    r"еще по теме|новости по теме|самое читаемое|популярное)\s*[:/.\-–»>]*$",
    re.IGNORECASE,
)
_COMMENT_HEAD_RE = re.compile(
    r"^(?:\d+\s+)?(?:comments?|commentaires?|yorum(?:lar)?|yorum yap|kommentare?|comentarios?|"
    r"commenti|comentários?|комментари\w*|تعليقات?|التعليقات|leave a (?:comment|reply)|"
    r"laisser un commentaire|kommentar schreiben|deja un comentario|responses?|replies|"
    r"reader comments|discussion)(?:\s*\(\d+\))?\s*[:.]?$",
    re.IGNORECASE,
)
_COMMENT_PROMPT_RE = re.compile(
    r"(?:pour (?:laisser|poster|écrire) (?:des |un )?commentaires?|to (?:leave|post) a comment|"
    r"yorum (?:yapabilmek|yazabilmek|yapmak) için|um (?:zu )?kommentieren|para comentar|"
    r"чтобы (?:оставить|добавить) комментари|لإضافة تعليق|must be logged in to|"
    r"log in to comment|sign in to comment)",
    re.IGNORECASE,
)
_SCORE_RE = re.compile(r"^(?:\d{1,3}[.)]\s*)?[+\-−–]?\d{1,4}$")
_SUBSCRIBE_RE = re.compile(
    r"(?:^|\W)(?:abonnez-vous|abonnez vous|abonnieren sie|jetzt abonnieren|subscribe|sign up for|"
    r"newsletter|abone ol|bültenimize|подпишитесь|подписывайтесь|suscríbete|suscribete|"
    r"suscríbase|iscriviti|assine|اشترك|اشترك في|follow us|suivez-nous|bizi takip edin|"
    r"folgen sie uns|síguenos|подписаться)(?:\W|$)",
    re.IGNORECASE,
)
_NAV_WORDS_RE = re.compile(
    r"^(?:home|anasayfa|ana sayfa|accueil|startseite|inicio|главная|الرئيسية|menu|menü|меню|"
    r"القائمة|search|ara|rechercher|suche|buscar|поиск|بحث|login|log in|sign in|giriş|connexion|"
    r"anmelden|iniciar sesión|войти|تسجيل الدخول|share|paylaş|partager|teilen|compartir|"
    r"поделиться|شارك|print|yazdır|imprimer|drucken|imprimir|печать|طباعة|tweet|facebook|twitter|"
    r"whatsapp|telegram|linkedin|e-?mail|next|previous|sonraki|önceki|suivant|précédent|weiter|"
    r"zurück|siguiente|anterior|далее|назад|التالي|السابق|top|back to top|skip to content)$",
    re.IGNORECASE,
)
_LABEL_VALUE_RE = re.compile(r"^[^\W\d][\w .'’-]{1,25}\s?:\s?\S.{0,40}$")
_BREADCRUMB_RE = re.compile(r"\S\s*[»›>|/]\s*\S.*[»›>|/]|^\S.{0,30}\s[»›>]\s\S.{0,30}$")
_BYLINE_RE = re.compile(
    r"^(?:by|von|par|por|di|door|yazan|yazar|muhabir|haber|editör|автор|текст|بقلم|كتب|"
    r"written by|reported by)\s*:?\s+(?P<name>[^\d,|•·]{3,60}?)\s*(?:[,|•·–-].*)?$",
    re.IGNORECASE,
)

_TERMINAL = tuple(".!?。！？؟۔\"'”»’)…:;")
_ELLIPSIS_END_RE = re.compile(r"(?:…|\.\.\.)\s*[\"'”»]?$")


def _words(text: str) -> int:
    n = len(text.split())
    if n <= 2 and len(text) > 20:
        # scripts without spaces (zh, ja, th): approximate words by characters
        return max(n, len(text) // 3)
    return n


def _is_prose(text: str) -> bool:
    """A sentence-like line: long enough, or a shorter one ending like a sentence."""
    w = _words(text)
    if _ELLIPSIS_END_RE.search(text):
        return False
    if w >= 15:
        return True
    return w >= 6 and text.rstrip().endswith(tuple('.!?。！？؟۔"”»:'))


def _is_teaser(text: str) -> bool:
    return bool(_ELLIPSIS_END_RE.search(text)) and _words(text) >= 4


def _line_cue(text: str) -> str | None:
    """Kind suggested by the line alone (cue lists + simple shapes), or None."""
    n = len(text)
    if n < 40 and _AD_RE.match(text):
        return "ad"
    if n < 400:
        if _COOKIE_RE.search(text):
            return "cookie"
        if _COMMENT_PROMPT_RE.search(text):
            return "comment"
        if n < 300 and _SUBSCRIBE_RE.search(text):
            return "other"
        if n < 120 and (_NAV_WORDS_RE.match(text) or _BREADCRUMB_RE.search(text)):
            return "nav"
    return None


# --------------------------------------------------------------------------------------------
# plain text


def _text_lines(raw: str) -> list[str]:
    out = []
    for line in raw.splitlines():
        t = normalize(line)
        if t:
            out.append(t)
    return out


def classify_lines(lines: list[str]) -> tuple[list[str], int | None]:
    """Kinds for a sequence of normalised lines (one block each) and the index of the title line."""
    n = len(lines)
    kinds: list[str | None] = [None] * n
    dates = [is_date_line(t) for t in lines]
    prose = [_is_prose(t) for t in lines]

    for i, t in enumerate(lines):
        cue = _line_cue(t)
        if cue is None:
            m = _RELATED_PREFIX_RE.match(t)
            if m and t[m.end() :].strip():  # 'Read also: <headline>' (a bare header starts a run below)
                cue = "related"
        if cue:
            kinds[i] = cue

    # ---- reader comments: a comment header/prompt followed by score/timestamp lines, or a run of them
    comment_start = None
    first_prose = next((i for i in range(n) if prose[i] and kinds[i] is None), None)
    for i, t in enumerate(lines):
        if first_prose is not None and i <= first_prose:
            continue
        is_head = bool(_COMMENT_HEAD_RE.match(t)) or kinds[i] == "comment"
        if is_head:
            window = range(i + 1, min(n, i + 8))
            if any(_SCORE_RE.match(lines[j]) or dates[j] for j in window) or i >= n * 0.5:
                comment_start = i
                break
            kinds[i] = "comment"
        elif _SCORE_RE.match(t) and i + 1 < n and dates[i + 1]:
            # '1. 0' followed by a timestamp: a scored comment
            comment_start = i
            break
    if comment_start is not None:
        for i in range(comment_start, n):
            if kinds[i] not in ("ad", "cookie"):
                kinds[i] = "comment"

    # ---- related lists: header + run of headlines/teasers/dates, and dated list runs
    i = 0
    while i < n:
        if (
            kinds[i] is None
            and _RELATED_HEAD_RE.match(lines[i])
            or (kinds[i] is None and _words(lines[i]) <= 5 and lines[i].endswith("/"))
        ):
            kinds[i] = "related"
            j = i + 1
            while j < n and kinds[j] in (None, "ad", "related"):
                if kinds[j] is None:
                    near_date = any(dates[k] for k in range(j, min(n, j + 3)))
                    if prose[j] and not near_date:
                        break
                    kinds[j] = "related"
                j += 1
            i = j
        else:
            i += 1
    date_idx = [i for i in range(n) if dates[i] and kinds[i] is None]
    if first_prose is not None:
        date_idx = [i for i in date_idx if i > first_prose]
    runs: list[list[int]] = []
    for i in date_idx:
        if runs and i - runs[-1][-1] <= 5:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        if len(run) < 2:
            continue
        gap = max(b - a for a, b in zip(run, run[1:], strict=False))
        start = max(0, run[0] - gap + 1)
        for k in range(start, run[-1] + 1):
            if kinds[k] is None:
                kinds[k] = "related"
    for i, t in enumerate(lines):
        if kinds[i] is None and _is_teaser(t):
            kinds[i] = "related"

    # ---- title: first heading-like line before the first prose line
    title_idx = None
    for i, t in enumerate(lines):
        if kinds[i] is not None:
            continue
        if dates[i] or _SCORE_RE.match(t) or _words(t) < 2:
            continue
        if _LABEL_VALUE_RE.match(t) and _words(t) <= 4:
            continue
        w = _words(t)
        ends_sentence = t.endswith(tuple(".。"))
        if prose[i] and (ends_sentence or w > 30):
            break  # the article starts without a title line
        if len(t) <= 250:
            title_idx = i
        break
    if title_idx is not None:
        kinds[title_idx] = "title"

    # ---- body: from the first to the last prose line still unclassified
    prose_idx = [i for i in range(n) if kinds[i] is None and prose[i]]
    if prose_idx:
        start = prose_idx[0]
        if title_idx is not None and title_idx < start:
            # lines right after the title that are neither prose nor cued: other (view counters, ...)
            pass
        end = prose_idx[-1]
        for i in range(start, end + 1):
            if kinds[i] is None:
                t = lines[i]
                if dates[i] or (_SCORE_RE.match(t) and not prose[i]):
                    kinds[i] = "other"
                else:
                    kinds[i] = "body"
    elif title_idx is None:
        # no prose at all: keep whatever is not boilerplate as body (short texts, poems, lists)
        for i in range(n):
            if kinds[i] is None and not dates[i]:
                kinds[i] = "body"

    # ---- leftovers: before the title/body -> nav if short label-like, else other
    first_body = next((i for i in range(n) if kinds[i] in ("body", "title")), n)
    for i in range(n):
        if kinds[i] is None:
            if i < first_body and (_LABEL_VALUE_RE.match(lines[i]) or _words(lines[i]) <= 4):
                kinds[i] = "nav"
            else:
                kinds[i] = "other"
    return [k or "other" for k in kinds], title_idx


def _text_meta(lines: list[str], kinds: list[str]) -> tuple[datetime | None, str | None]:
    """Publication date / author from a dated first line or byline near the top (never from lists)."""
    published = None
    author = None
    first_body = next((i for i, k in enumerate(kinds) if k == "body"), len(lines))
    for i in range(0, min(len(lines), first_body + 2)):
        if kinds[i] in ("related", "comment", "ad", "cookie"):
            continue
        t = lines[i]
        if published is None and len(t) <= 80 and (is_date_line(t) or i < first_body):
            published = find_date(t) if is_date_line(t) or _BYLINE_RE.match(t) else None
        if author is None and len(t) <= 80:
            m = _BYLINE_RE.match(t)
            if m:
                author = m.group("name").strip()
    return published, author


def clean_text(doc: Doc) -> Doc:
    lines = _text_lines(doc.raw_text or "")
    kinds, title_idx = classify_lines(lines)
    # a date/byline line is metadata, not body
    doc.blocks = [Block(i, k, t) for i, (k, t) in enumerate(zip(kinds, lines, strict=False))]
    doc.title = lines[title_idx] if title_idx is not None else None
    doc.text = "\n\n".join(t for t, k in zip(lines, kinds, strict=False) if k == "body")
    doc.published_at, doc.author = _text_meta(lines, kinds)
    doc.site = None
    return doc


# --------------------------------------------------------------------------------------------
# HTML

_SKIP_TAGS = frozenset(
    "script style noscript template svg math iframe object embed canvas select option head "
    "button input textarea link meta source video audio picture map".split()
)
_BLOCK_TAGS = frozenset(
    "p h1 h2 h3 h4 h5 h6 li td th dd dt blockquote pre div section article header footer nav aside "
    "main ul ol dl table tr tbody thead tfoot figure figcaption form address center details summary "
    "fieldset legend body html hr caption".split()
)
_HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())

_CUE_KINDS = (
    ("cookie", re.compile(r"cookie|consent|gdpr|cmp-|privacy-?banner|onetrust|didomi|cookiebot", re.I)),
    (
        "comment",
        re.compile(r"comment|disqus|respond|replies|reply|discussion|kommentar|yorum|reactions", re.I),
    ),
    (
        "ad",
        re.compile(
            r"(?:^|[\s_-])(?:ad|ads|adv|advert\w*|advertisement|sponsor\w*|banner|dfp|gpt|reklam|"
            r"werbung|anzeige|publicidad|pub|outbrain|taboola|promo\w*)(?:$|[\s_-]|\d)|google_ad|adsbygoogle|"
            r"adslot|ad-slot|adunit|ad-unit|ad_container|ad-container",
            re.I,
        ),
    ),
    (
        "related",
        re.compile(
            r"related|recommend|read-?more|read-?also|also-?read|see-?also|more-?(?:news|stories|articles)|popular|trending|most-?read|"
            r"also|teaser|similar|next-?article|prev-?article|tags?-?list|mostviewed|suggest|"
            r"benzer|ilgili|relacionad|plus-lus|a-lire|lire-aussi|weitere|mehr-zum",
            re.I,
        ),
    ),
    (
        "nav",
        re.compile(
            r"(?:^|[\s_-])(?:nav\w*|menu\w*|breadcrumbs?|footer|header|masthead|sidebar|topbar|"
            r"toolbar|share\w*|social\w*|pagination|pager|skip|site-?head\w*|site-?foot\w*|"
            r"widget\w*|banner)(?:$|[\s_-]|\d)",
            re.I,
        ),
    ),
)
_NAV_TAGS = frozenset(("nav", "footer", "header", "aside"))
_CUE_PRIORITY = [k for k, _ in _CUE_KINDS]
_CUE_ALL_RE = re.compile("|".join(f"(?P<{k}>{rx.pattern})" for k, rx in _CUE_KINDS), re.I)


class _HtmlBlock:
    __slots__ = ("text", "el", "link_len", "tag", "kind")

    def __init__(self, text: str, el, link_len: int, tag: str) -> None:
        self.text = text
        self.el = el
        self.link_len = link_len
        self.tag = tag
        self.kind: str | None = None


def _segment(root) -> list[_HtmlBlock]:
    """Leaf text blocks of the page in document order (block elements split, <br> splits lines)."""
    blocks: list[_HtmlBlock] = []
    buf: list[str] = []
    link = [0]
    stack: list = [root]

    def flush() -> None:
        if buf:
            t = "".join(buf)
            t = normalize(t) if not t.isspace() else ""
            if t:
                owner = stack[-1]
                tag = owner.tag if isinstance(owner.tag, str) else ""
                blocks.append(_HtmlBlock(t, owner, link[0], tag))
            buf.clear()
        link[0] = 0

    def walk(el, in_link: bool) -> None:
        tag = el.tag
        if not isinstance(tag, str):
            return
        if tag in _SKIP_TAGS:
            return
        if tag == "br":
            flush()
            return
        is_block = tag in _BLOCK_TAGS
        if is_block:
            flush()
            stack.append(el)
        in_a = in_link or tag == "a"
        if el.text:
            buf.append(el.text)
            if in_a:
                link[0] += len(el.text.strip())
        for child in el:
            walk(child, in_a)
            if child.tail:
                buf.append(child.tail)
                if in_a:
                    link[0] += len(child.tail.strip())
        if is_block:
            flush()
            stack.pop()

    body = root.find(".//body")
    walk(body if body is not None else root, False)
    flush()
    return blocks


_ATTR_CUE_CACHE: dict[str, str | None] = {}  # class/id strings repeat a lot across pages


def _own_cue(node) -> str | None:
    tag = node.tag.lower() if isinstance(node.tag, str) else ""
    if tag in ("body", "html"):
        return None
    attrs = " ".join(v for v in (node.get("class"), node.get("id"), node.get("role"), node.get("itemprop")) if v)
    if attrs:
        cue = _ATTR_CUE_CACHE.get(attrs, 0)
        if cue == 0:
            m = _CUE_ALL_RE.search(attrs)
            cue = _CUE_PRIORITY[min(_CUE_PRIORITY.index(k) for k, v in m.groupdict().items() if v)] if m else None
            if len(_ATTR_CUE_CACHE) > 50000:
                _ATTR_CUE_CACHE.clear()
            _ATTR_CUE_CACHE[attrs] = cue
        if cue:
            return cue
    if tag in _NAV_TAGS:
        return "nav"
    return None


def _ancestor_cue(el, cache: dict) -> str | None:
    """Kind suggested by the class/id/role/tag of the nearest cued element among el and its ancestors.

    The cache is keyed by the element objects themselves, which keeps their lxml proxies alive
    (so identities stay stable while the cache lives)."""
    chain = []
    cur = el
    while cur is not None and cur not in cache:
        chain.append(cur)
        cur = cur.getparent()
    inherited = cache[cur] if cur is not None else None
    for node in reversed(chain):
        inherited = _own_cue(node) or inherited
        cache[node] = inherited
    return inherited


def _parse_html(raw: str):
    from trafilatura.utils import load_html

    return load_html(raw)


_JSONLD_TYPES_ARTICLE = re.compile(r"Article|Posting|Report|NewsArticle|BlogPosting|WebPage", re.I)


def _jsonld_objects(tree) -> list[dict]:
    out: list[dict] = []
    for s in tree.iterfind(".//script[@type='application/ld+json']"):
        txt = s.text or ""
        if not txt.strip():
            continue
        try:
            data = json.loads(txt.strip().rstrip(";"))
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack and len(out) < 50:
            d = stack.pop()
            if isinstance(d, list):
                stack.extend(d)
            elif isinstance(d, dict):
                out.append(d)
                if "@graph" in d:
                    stack.append(d["@graph"])
                for k in ("mainEntity", "mainEntityOfPage"):
                    if isinstance(d.get(k), (dict, list)):
                        stack.append(d[k])
    return out


def _name_of(v) -> str | None:
    if isinstance(v, str):
        return v.strip() or None
    if isinstance(v, dict):
        return _name_of(v.get("name"))
    if isinstance(v, list):
        names = [n for n in (_name_of(x) for x in v) if n]
        return ", ".join(dict.fromkeys(names)) if names else None
    return None


def html_metadata(tree) -> dict:
    """title, published_at, site, author from meta tags, JSON-LD, <time>, <title>/<h1>."""
    meta: dict[str, str] = {}
    for m in tree.iterfind(".//meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        val = m.get("content")
        if key and val and key not in meta:
            meta[key] = normalize(val)
    ld = _jsonld_objects(tree)
    ld_art = [d for d in ld if _JSONLD_TYPES_ARTICLE.search(str(d.get("@type", "")))] or ld

    title = None
    for d in ld_art:
        if isinstance(d.get("headline"), str) and d["headline"].strip():
            title = normalize(d["headline"])
            break
    title = title or meta.get("og:title") or meta.get("twitter:title") or meta.get("dc.title")
    if not title:
        h1 = tree.find(".//h1")
        h1_text = normalize(h1.text_content()) if h1 is not None else ""
        title = h1_text if h1_text and len(h1_text) < 300 else None
    if not title:
        t_el = tree.find(".//title")
        t_text = normalize(t_el.text_content()) if t_el is not None else ""
        if t_text:
            title = re.split(r"\s+[|\-–—:»·]\s+", t_text)[0].strip() or t_text

    published = None
    for key in (
        "article:published_time",
        "og:article:published_time",
        "datepublished",
        "publishdate",
        "pubdate",
        "date",
        "dc.date",
        "dc.date.issued",
        "dcterms.created",
        "sailthru.date",
        "parsely-pub-date",
        "article.published",
        "published_time",
        "publish-date",
        "release_date",
        "og:published_time",
    ):
        if key in meta:
            published = parse_iso_date(meta[key])
            if published:
                break
    if published is None:
        for d in ld_art:
            for k in ("datePublished", "dateCreated", "uploadDate"):
                if isinstance(d.get(k), str):
                    published = parse_iso_date(d[k])
                    if published:
                        break
            if published:
                break
    if published is None:
        for t in tree.iterfind(".//time"):
            v = t.get("datetime") or t.get("content") or ""
            published = parse_iso_date(v) or parse_iso_date(normalize(t.text_content()))
            if published:
                break
    if published is None:
        for key in ("article:modified_time", "og:updated_time", "datemodified", "last-modified"):
            if key in meta:
                published = parse_iso_date(meta[key])
                if published:
                    break

    site = meta.get("og:site_name") or meta.get("application-name") or meta.get("twitter:site")
    if not site:
        for d in ld_art:
            site = _name_of(d.get("publisher"))
            if site:
                break
    if site and site.startswith("@"):
        site = site[1:]

    author = None
    for d in ld_art:
        author = _name_of(d.get("author")) or _name_of(d.get("creator"))
        if author:
            break
    if not author:
        author = meta.get("author") or meta.get("article:author") or meta.get("dc.creator")
        author = author or meta.get("byl") or meta.get("sailthru.author") or meta.get("parsely-author")
        if author and author.startswith("http"):
            author = None
    if not author:
        a = tree.find(".//*[@rel='author']")
        if a is None:
            a = tree.find(".//*[@itemprop='author']")
        if a is not None:
            author = normalize(a.text_content()) or None
            if author and len(author) > 80:
                author = None
    if author:
        author = re.sub(r"^(?:by|von|par|por)\s+", "", author, flags=re.I).strip() or None
    return {"title": title or None, "published_at": published, "site": site or None, "author": author}


def _trafilatura_text(tree) -> str:
    import trafilatura

    txt = trafilatura.extract(
        tree,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        fast=True,
        deduplicate=False,
    )
    return txt or ""


_RELATED_PREFIX_RE = re.compile(
    r"^(?:(?:read|see|watch|listen)(?: (?:more|also|next|too))?|related|more|also read|"
    r"lire aussi|à lire aussi|a lire aussi|lire|voir aussi|à voir aussi|"
    r"lesen sie (?:auch|mehr)|mehr zum thema|auch interessant|siehe auch|"
    r"lea(?: también| más| además)?|lee(?: también| más| además)?|le puede interesar|te puede interesar|puedes ver|ver también|"
    r"mira también|mira|también te puede interesar|más sobre|"
    r"leia (?:também|mais)|veja (?:também|mais)|saiba mais|leggi anche|"
    r"czytaj (?:też|także|również|więcej)|zobacz (?:też|także|również)|dowiedz się więcej|"
    r"читайте также|читать также|смотрите также|"
    r"ayrıca bakınız|ilginizi çekebilir|bunu da okuyun|"
    r"اقرأ أيضا|اقرأ ايضا|اقرأ أيضاً|شاهد أيضا|تابع أيضا)\s*[:»>|]",
    re.IGNORECASE,
)
_LEGAL_RE = re.compile(
    r"^(?:©|\(c\)|copyright\b)|all rights reserved|tous droits réservés|alle rechte vorbehalten|"
    r"todos los derechos reservados|wszelkie prawa zastrzeżone|chronion\w* prawem autorskim|"
    r"^(?:crédits? photos?|photo credits?|image credits?|bildquelle|fotos?:|foto:|photo:|"
    r"image illustrative|illustration\s*:)|tüm hakları saklıdır|все права защищены|"
    r"جميع الحقوق محفوظة|this post contains references to products|we may receive compensation|"
    r"wird geladen|loading\.\.\.",
    re.IGNORECASE,
)
_PROMO_RE = re.compile(
    r"sign up|signup|subscribe|newsletter|abonn|abonie|subskryp|suscr|iscriviti|assine|abone|"
    r"подпис|اشترك|donate|wesprzyj|support us|unterstützen sie|soutenez|apoya|"
    r"download the .{0,40}apps?|get the .{0,40} by email|never miss|pour lire la suite|"
    r"pour accéder|to continue reading|weiterlesen mit|czytaj dalej|"
    r"zapraszamy|do you want to be informed",
    re.IGNORECASE,
)


class _Para:
    __slots__ = ("text", "start", "end", "link", "cue", "kind")

    def __init__(self, text: str) -> None:
        self.text = text
        self.start = -1  # index of the first HTML block it covers
        self.end = -1  # index of the last one
        self.link = 0.0  # link density of the covered blocks
        self.cue: str | None = None  # container cue of its first block
        self.kind = "body"


def _align(paras: list[_Para], blocks: list[_HtmlBlock], cache: dict) -> None:
    """Locate each extracted paragraph among the page blocks (in order)."""
    if not blocks:
        return
    offsets = []
    parts = []
    pos = 0
    for b in blocks:
        offsets.append(pos)
        parts.append(b.text)
        pos += len(b.text) + 1
    concat = "\n".join(parts)
    from bisect import bisect_right

    cursor = 0
    for p in paras:
        t = p.text
        key = t[:60]
        at = concat.find(key, cursor)
        if at < 0:
            at = concat.find(key)
            if at < 0:
                continue
        s = bisect_right(offsets, at) - 1
        e = bisect_right(offsets, at + len(t) - 1) - 1
        if e < s:
            e = s
        # the paragraph may be shorter than what follows in concat: clip to blocks it really spans
        p.start, p.end = s, e
        cursor = at + len(key)
        tot = sum(len(blocks[k].text) for k in range(s, e + 1)) or 1
        p.link = min(1.0, sum(blocks[k].link_len for k in range(s, e + 1)) / tot)
        p.cue = _ancestor_cue(blocks[s].el, cache)


def _classify_paras(paras: list[_Para]) -> None:
    """Negative cues on the extracted paragraphs: what the extractor kept but is not article text."""
    n = len(paras)
    texts = [p.text for p in paras]
    prose = [_is_prose(t) for t in texts]
    dates = [is_date_line(t) for t in texts]
    for i, p in enumerate(paras):
        t = p.text
        cue = _line_cue(t)
        if cue in ("nav",) and prose[i]:
            cue = None
        if cue is None:
            if _RELATED_PREFIX_RE.match(t):
                cue = "related"
            elif len(t) < 250 and _LEGAL_RE.search(t) or len(t) < 200 and _PROMO_RE.search(t):
                cue = "other"
            elif p.link > 0.75 and not (prose[i] and _words(t) >= 25):
                cue = "related" if _words(t) >= 4 else "nav"
            elif _is_teaser(t) and p.link > 0.3:
                cue = "related"
        if cue:
            p.kind = cue
    # related header + following run of short/link items
    i = 0
    while i < n:
        t = texts[i]
        if paras[i].kind == "body" and _RELATED_HEAD_RE.match(t):
            paras[i].kind = "related"
            j = i + 1
            while j < n and (
                paras[j].kind != "body" or not prose[j] or paras[j].link > 0.5 or _is_teaser(texts[j]) or dates[j]
            ):
                if paras[j].kind == "body":
                    paras[j].kind = "related"
                j += 1
            i = j
        else:
            i += 1
    # comment region: a comment header after the article start, followed by timestamps/scores
    first_prose = next((i for i in range(n) if prose[i]), n)
    for i in range(first_prose + 1, n):
        if _COMMENT_HEAD_RE.match(texts[i]) and any(
            dates[j] or _SCORE_RE.match(texts[j]) for j in range(i + 1, min(n, i + 6))
        ):
            for j in range(i, n):
                paras[j].kind = "comment"
            break
    # trailing junk: short non-prose items after the last prose paragraph that sit in link/teaser lists
    body_idx = [i for i in range(n) if paras[i].kind == "body"]
    if body_idx:
        last_prose = max((i for i in body_idx if prose[i]), default=-1)
        for i in body_idx:
            if i > last_prose and (paras[i].link > 0.5 or dates[i]):
                paras[i].kind = "related" if paras[i].link > 0.5 else "other"


def _container_candidate(blocks: list[_HtmlBlock], cache: dict) -> list[int]:
    """Own main-content guess: the container holding the most low-link prose (readability-style)."""
    scores: dict = {}
    els: dict = {}
    for b in blocks:
        if b.link_len > 0.3 * len(b.text) or not _is_prose(b.text):
            continue
        cue = _ancestor_cue(b.el, cache)
        if cue in ("nav", "comment", "cookie", "ad"):
            continue
        parent = b.el.getparent() if b.tag in ("p", "li", "blockquote", "pre", "h2", "h3", "h4") else b.el
        if parent is None:
            continue
        w = len(b.text)
        scores[id(parent)] = scores.get(id(parent), 0) + w
        els[id(parent)] = parent
        gp = parent.getparent()
        if gp is not None:
            scores[id(gp)] = scores.get(id(gp), 0) + w / 2
            els[id(gp)] = gp
    if not scores:
        return []
    best = els[max(scores, key=scores.get)]
    out = []
    for i, b in enumerate(blocks):
        el = b.el
        inside = False
        while el is not None:
            if el is best:
                inside = True
                break
            el = el.getparent()
        if inside:
            out.append(i)
    return out


def _html_clean(doc: Doc) -> Doc:
    raw = doc.raw_text or ""
    tree = _parse_html(raw) if raw.strip() else None
    if tree is None:
        doc.text, doc.title, doc.published_at, doc.site, doc.author, doc.blocks = "", None, None, None, None, []
        return doc
    meta = html_metadata(tree)
    extracted = _trafilatura_text(tree)
    blocks = _segment(tree)
    cache: dict = {}
    paras = [_Para(t) for t in (normalize(x) for x in extracted.split("\n")) if t]
    _align(paras, blocks, cache)

    # recall fallback: the extractor kept little of a page whose main container holds much more prose
    ext_len = sum(len(p.text) for p in paras)
    if ext_len < 2500:
        cand = _container_candidate(blocks, cache)
        cand_len = sum(len(blocks[i].text) for i in cand if _is_prose(blocks[i].text))
        aligned = [p.start for p in paras if p.start >= 0]
        near = not aligned or any(cand and cand[0] - 3 <= a <= cand[-1] + 3 for a in aligned)
        if near and cand_len > 8 * max(ext_len, 200):
            paras = []
            for i in cand:
                p = _Para(blocks[i].text)
                p.start = p.end = i
                b = blocks[i]
                p.link = b.link_len / max(1, len(b.text))
                p.cue = _ancestor_cue(b.el, cache)
                paras.append(p)
    _classify_paras(paras)
    title_key = normalize(meta["title"] or "").lower()
    for p in paras[:3]:
        if title_key and p.kind == "body" and p.text.lower() == title_key:
            p.kind = "title"
            break

    # assemble blocks: extracted paragraphs at their position, other page blocks classified
    title = meta["title"]
    covered = [False] * len(blocks)
    anchored: dict[int, list[_Para]] = {}
    last = -1
    for p in paras:
        if p.start >= 0:
            for k in range(p.start, p.end + 1):
                covered[k] = True
            last = p.start
        anchored.setdefault(last, []).append(p)
    out: list[tuple[str, str]] = [(p.kind, p.text) for p in anchored.get(-1, [])]
    title_done = False
    for i, b in enumerate(blocks):
        if i in anchored:
            out.extend((p.kind, p.text) for p in anchored[i])
        if covered[i]:
            continue
        if not title_done and title and b.tag in _HEADING_TAGS and (b.text == title or b.text in title):
            out.append(("title", b.text))
            title_done = True
            continue
        cue = _ancestor_cue(b.el, cache) or _line_cue(b.text)
        if cue is None and (_RELATED_HEAD_RE.match(b.text) or _RELATED_PREFIX_RE.match(b.text)):
            cue = "related"
        if cue is None and _is_teaser(b.text):
            cue = "related"
        if cue is None and b.link_len > 0.6 * len(b.text):
            cue = "nav"
        out.append((cue or "other", b.text))
    doc.blocks = [Block(i, k, t) for i, (k, t) in enumerate(out)]
    doc.text = "\n\n".join(t for k, t in out if k == "body")
    doc.title = title
    doc.published_at = meta["published_at"]
    doc.site = meta["site"]
    doc.author = meta["author"]
    if doc.published_at is None or doc.author is None:
        _meta_from_blocks(doc, out)
    return doc


_URL_DATE_RE = re.compile(r"/((?:19|20)\d\d)[/-]([01]?\d)[/-]([0-3]?\d)(?:/|[-_.]|$)")


def _meta_from_blocks(doc: Doc, out: list[tuple[str, str]]) -> None:
    """Date/author from a byline or dateline near the start of the article, else a date in the URL."""
    first = next((i for i, (k, _) in enumerate(out) if k == "body"), None)
    if first is not None:
        lo = max(0, first - 8)
        for i in range(lo, min(len(out), first + 3)):
            kind, t = out[i]
            if kind in ("related", "comment", "ad", "cookie") or len(t) > 120:
                continue
            if doc.author is None:
                m = _BYLINE_RE.match(t)
                if m:
                    doc.author = m.group("name").strip() or None
            if doc.published_at is None and (kind != "body" or i == first) and len(t) <= 80:
                dt = find_date(t)
                if dt is not None and 1990 <= dt.year <= 2100:
                    doc.published_at = dt
    if doc.published_at is None and doc.source_uri:
        m = _URL_DATE_RE.search(doc.source_uri)
        if m:
            doc.published_at = _mk_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def clean(doc: Doc) -> Doc:
    """Fill ``text``, ``title``, ``published_at``, ``site``, ``author``, ``blocks``. Never raises."""
    try:
        if (doc.media_type or "text").lower() in ("html", "text/html", "htm", "xhtml"):
            return _html_clean(doc)
        return clean_text(doc)
    except Exception:  # noqa: BLE001 - odd input must not break the pipeline
        try:
            return clean_text(doc)
        except Exception:  # noqa: BLE001
            doc.text = ""
            doc.blocks = []
            return doc
