"""Clean stage: raw page/text -> article text, title, metadata and classified blocks.

Pure functions, no I/O. The pipeline calls :func:`clean` only.

Plain text: every non-empty line is a block (in a hard-wrapped text with blank-line paragraph
separators, a wrapped run of lines is one block); blocks are classified from structure (length, sentence
punctuation, date/time lines, list runs, teaser lines ending in an ellipsis, score/timestamp
patterns of reader comments, position relative to the article) with small multilingual cue lists as
a supplement.

HTML: the page is segmented into blocks (leaf block elements, in document order); the main text
comes from trafilatura (fast mode) and is refined by our own block classifier (container
class/id cues, link density, the same text cues as for plain text); when the extractor keeps little of
a page whose main container holds much more prose (listing pages), that container's blocks are used
instead. Metadata from meta tags, JSON-LD and ``<time>`` elements.
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from datetime import UTC, datetime
from functools import cache

import ftfy

from newsetl.doc import Block, Doc

CLEAN_VERSION = "0.3.0"

# --------------------------------------------------------------------------------------------
# normalisation

_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e\u200e\u200f\u202a-\u202e]")
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
        if _INVISIBLE_RE.search(text):
            text = _INVISIBLE_RE.sub("", text)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


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
# a cookie banner talks about consent, settings, policies or the site's use of cookies; prose that merely
# mentions cookies (web specs, recipes) does not
_CONSENT_RE = re.compile(
    r"accept|agree|consent|experience|improve|polic|privacy|settings|preferences|personali[sz]|browsing|"
    r"we use|uses cookies|use cookies|this (?:site|website)|our (?:site|website)|third[- ]party cookies|"
    r"expérience|accepte|politique|paramètr|confidentialit|utilis|navigation|"
    r"akzept|zustimm|einverstanden|erfahrung|datenschutz|einstellung|verwende|nutzen|"
    r"acept|experiencia|política|configura|navegación|mejorar|privacidad|usamos|"
    r"accett|esperienza|informativa|consenso|kabul|deneyim|politika|ayarlar|kullan|"
    r"соглас|опыт|политик|настро|использ|تجربة|سياسة|موافق|تحسين|يستخدم|يستعمل|نستخدم",
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
    r"suscríbase|iscriviti|assine|اشترك|اشترك في|follow us|suivez-nous|bizi takip edin|siguenos|síganos|"
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
# 'Home » News » Sport', 'Inicio > Sociedad > Cultura': separators between short items ('/' and '|' only
# when spaced, so URLs, paths and code lines are no breadcrumbs); markdown table rows are excluded by caller
_BREADCRUMB_RE = re.compile(r"\S\s*[»›]\s*\S.*[»›]|\S\s+[>|/]\s+\S.*\s[>|/]\s+\S|^\S.{0,30}\s[»›>]\s\S.{0,30}$")
_BYLINE_RE = re.compile(
    r"^(?:by|von|par|por|di|door|yazan|yazar|muhabir|haber|editör|автор|текст|بقلم|كتب|"
    r"written by|reported by)\s*:?\s+(?P<name>[^\d,|•·]{3,60}?)\s*(?:[,|•·–-].*)?$",
    re.IGNORECASE,
)

_SENTENCE_END = tuple(".!?。！？؟۔…")
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


# The cue lists are written in lower case; unanchored searches run case-sensitively on the lower-cased
# line (several times faster than re.IGNORECASE scans over every block of a page).
_COOKIE_LC = re.compile(_COOKIE_RE.pattern)
_CONSENT_LC = re.compile(_CONSENT_RE.pattern)
_COMMENT_PROMPT_LC = re.compile(_COMMENT_PROMPT_RE.pattern)
_SUBSCRIBE_LC = re.compile(_SUBSCRIBE_RE.pattern)


def _line_cue(text: str) -> str | None:
    """Kind suggested by the line alone (cue lists + simple shapes), or None."""
    n = len(text)
    if n < 40 and _AD_RE.match(text):
        return "ad"
    if n < 400:
        low = text.lower()
        m = _COOKIE_LC.search(low)
        # a banner is short or leads with its subject; long prose mentioning cookies late is no banner
        if m and (n < 40 or (m.start() < 120 and _CONSENT_LC.search(low))):
            return "cookie"
        if _COMMENT_PROMPT_LC.search(low):
            return "comment"
        if n < 300 and _SUBSCRIBE_LC.search(low):
            return "other"
        if n < 120 and (_NAV_WORDS_RE.match(text) or (text[0] != "|" and _BREADCRUMB_RE.search(text))):
            return "nav"
    return None


# --------------------------------------------------------------------------------------------
# plain text


def _wrap_width(lines: list[str]) -> int | None:
    """Line width of a hard-wrapped text that separates paragraphs by blank lines, else None.

    Hard-wrapped: blank separators exist and (nearly) all lines stay within a fixed width
    (<= 100 characters). One-line-per-paragraph texts have long lines, or no blank lines at all."""
    lens = sorted(len(x.rstrip()) for x in lines if x.strip())
    if len(lens) < 3 or len(lens) == len(lines):  # no blank line at all
        return None
    width = lens[int(0.95 * (len(lens) - 1))]
    if width > 100 or width < 30:
        return None
    return width


def _text_lines(raw: str) -> list[str]:
    """Blocks of a plain text: one per non-empty line; in a hard-wrapped text, a run of lines
    between blank lines whose lines (except the last) fill the wrap width is one paragraph.
    Runs of short lines (lists, headlines, comment scores) stay one block per line."""
    lines = raw.splitlines()
    width = _wrap_width(lines)
    if width is None:
        return [t for t in (normalize(x) for x in lines) if t]
    out: list[str] = []
    run: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            run.append(line)
            continue
        inner = run[:-1]
        if (
            inner
            and all(len(x.rstrip()) >= 0.6 * width for x in inner)
            and sum(x.rstrip().endswith(_SENTENCE_END) for x in inner) <= len(inner) / 2
        ):
            t = normalize(" ".join(run))
            if t:
                out.append(t)
        else:
            out.extend(t for t in (normalize(x) for x in run) if t)
        run = []
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
# searched on lower-cased attribute strings: ~3x faster than one case-insensitive pattern
_CUE_ALL_RE = re.compile("|".join(f"(?P<{k}>{rx.pattern.lower()})" for k, rx in _CUE_KINDS))


class _HtmlBlock:
    __slots__ = ("text", "el", "link_len", "tag", "kind", "cue")

    def __init__(self, text: str, el, link_len: int, tag: str, cue: str | None = None) -> None:
        self.text = text
        self.el = el
        self.link_len = link_len
        self.tag = tag
        self.kind: str | None = None
        self.cue = cue  # kind suggested by the class/id/role/tag of the block or its nearest cued ancestor


_ATTR_CUE_CACHE: dict[str, str | None] = {}  # class/id strings repeat a lot across pages


def _attr_cue(attrs: str) -> str | None:
    cue = _ATTR_CUE_CACHE.get(attrs, 0)
    if cue == 0:
        m = _CUE_ALL_RE.search(attrs.lower())
        cue = _CUE_PRIORITY[min(_CUE_PRIORITY.index(k) for k, v in m.groupdict().items() if v)] if m else None
        if len(_ATTR_CUE_CACHE) > 50000:
            _ATTR_CUE_CACHE.clear()
        _ATTR_CUE_CACHE[attrs] = cue
    return cue


def _own_cue(node) -> str | None:
    tag = node.tag
    if tag == "body" or tag == "html":
        return None
    if node.items():  # one C call; most elements carry no attribute
        get = node.get
        attrs = " ".join(v for v in (get("class"), get("id"), get("role"), get("itemprop")) if v)
        if attrs:
            cue = _attr_cue(attrs)
            if cue:
                return cue
    if tag in _NAV_TAGS:
        return "nav"
    return None


def _segment(root) -> list[_HtmlBlock]:
    """Leaf text blocks of the page in document order (block elements split, <br> splits lines).

    One pass with lxml's iterwalk (no Python recursion). Container cues are inherited down the
    stack of open elements, computed lazily: only for the elements above a block that gets text
    (inline elements inside paragraphs are never looked at)."""
    from lxml import etree

    blocks: list[_HtmlBlock] = []
    buf: list[str] = []
    link_len = 0
    in_link = 0
    els: list = []  # open elements
    cues: list = []  # inherited cue of els[k], valid for k < done
    done = 0
    bstack: list = [-1]  # indexes (into els) of the open block elements; -1: the page root

    def flush() -> None:
        nonlocal link_len, done
        if buf:
            raw = "".join(buf)
            t = normalize(raw) if not raw.isspace() else ""
            if t:
                if link_len:  # link text was measured on the raw text: scale to the normalised length
                    link_len = min(len(t), round(link_len * len(t) / max(1, len(raw.strip()))))
                k = bstack[-1]
                if k < 0:
                    owner, cue = root, None
                else:
                    while done <= k:
                        node = els[done]
                        cues[done] = _own_cue(node) or (cues[done - 1] if done else None)
                        done += 1
                    owner, cue = els[k], cues[k]
                tag = owner.tag if isinstance(owner.tag, str) else ""
                blocks.append(_HtmlBlock(t, owner, link_len, tag, cue))
            buf.clear()
        link_len = 0

    body = root.find(".//body")
    top = body if body is not None else root
    walker = etree.iterwalk(top, events=("start", "end"))
    skip_tags = _SKIP_TAGS
    block_tags = _BLOCK_TAGS
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if event == "start":
            if tag in skip_tags or tag == "br":
                walker.skip_subtree()
                if tag == "br":
                    flush()
                continue
            if tag in block_tags:
                flush()
                bstack.append(len(els))
            els.append(el)
            cues.append(None)
            if tag == "a":
                in_link += 1
            text = el.text
            if text:
                buf.append(text)
                if in_link:
                    link_len += len(text.strip())
        else:
            if tag not in skip_tags and tag != "br":
                if tag == "a":
                    in_link -= 1
                if tag in block_tags:
                    flush()
                    bstack.pop()
                els.pop()
                cues.pop()
                if done > len(els):
                    done = len(els)
            if el is top:
                break
            tail = el.tail
            if tail:
                buf.append(tail)
                if in_link:
                    link_len += len(tail.strip())
    flush()
    return blocks


@cache
def _html_parser_lookup() -> None:
    """Give trafilatura's HTML parser lxml's C-level element class lookup. ``lxml.html``'s default lookup is a
    Python method called for every element object created (a million calls per 300 pages: ~10% of cleaning)
    only to pick form/input/label subclasses that neither trafilatura nor we use; every element stays an
    ``HtmlElement``."""
    from lxml import etree
    from lxml import html as lxml_html
    from trafilatura import utils

    utils.HTML_PARSER.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml_html.HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )


def _parse_html(raw: str):
    from trafilatura.utils import load_html

    _html_parser_lookup()
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


_LEGAL_LC = re.compile(_LEGAL_RE.pattern)  # searched on lower-cased text, see _COOKIE_LC
_PROMO_LC = re.compile(_PROMO_RE.pattern)


class _Para:
    __slots__ = ("text", "start", "end", "link", "cue", "kind")

    def __init__(self, text: str) -> None:
        self.text = text
        self.start = -1  # index of the first HTML block it covers
        self.end = -1  # index of the last one
        self.link = 0.0  # link density of the covered blocks
        self.cue: str | None = None  # container cue of its first block
        self.kind = "body"


def _extracted_paras(extracted: str) -> list[_Para]:
    """Paragraphs of the extractor's output. A line starting with whitespace continues the previous
    one (a source line break inside an element, e.g. in a reference or a link)."""
    paras: list[_Para] = []
    for line in extracted.split("\n"):
        t = normalize(line)
        if not t:
            continue
        if paras and line[:1].isspace() and t[:2] not in ("- ", "| ") and not paras[-1].text.endswith(_SENTENCE_END):
            paras[-1].text += " " + t
        else:
            paras.append(_Para(t))
    return paras


def _align(paras: list[_Para], blocks: list[_HtmlBlock]) -> None:
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
        # list items ('- ...') and table rows ('| a | b |') as rendered by the extractor stay unaligned:
        # the extractor already judged them inside the main content, link density is no cue there
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
        p.cue = blocks[s].cue


def _merge_fragments(paras: list[_Para]) -> list[_Para]:
    """Join consecutive extracted lines that come from one page block (hard line breaks in the source,
    <pre> lines, split references): the block is one paragraph and is classified once."""
    out: list[_Para] = []
    for p in paras:
        q = out[-1] if out else None
        if q is not None and p.start >= 0 and p.start == p.end == q.start == q.end:
            q.text = q.text + " " + p.text
            continue
        out.append(p)
    return out


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
            elif len(t) < 250 and (_LEGAL_LC.search(t.lower()) or len(t) < 200 and _PROMO_LC.search(t.lower())):
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


def _container_candidate(blocks: list[_HtmlBlock]) -> list[int]:
    """Own main-content guess: the deepest element holding most of the page's low-link prose.

    Prose weight is credited to every ancestor, so a listing page whose teasers sit in separate
    sub-containers (section > ol > li > article > p) still resolves to the section holding them all."""
    acc: dict[int, int] = {}
    els: dict[int, object] = {}
    depth: dict[int, int] = {}
    total = 0
    for b in blocks:
        if b.link_len > 0.3 * len(b.text) or not _is_prose(b.text):
            continue
        if b.cue in ("nav", "comment", "cookie", "ad"):
            continue
        w = len(b.text)
        total += w
        chain = []
        el = b.el if b.tag not in ("p", "li", "blockquote", "pre", "h2", "h3", "h4") else b.el.getparent()
        while el is not None:
            chain.append(el)
            el = el.getparent()
        n = len(chain)
        for k, el in enumerate(chain):
            key = id(el)
            acc[key] = acc.get(key, 0) + w
            if key not in els:
                els[key] = el
                depth[key] = n - k
    if not total:
        return []
    # ancestors holding > 60 % of the prose form one chain: take its deepest member
    best_key = max((k for k, v in acc.items() if v > 0.6 * total), key=depth.get, default=None)
    if best_key is None:
        return []
    best = els[best_key]
    out = []
    for i, b in enumerate(blocks):
        el = b.el
        while el is not None and el is not best:
            el = el.getparent()
        if el is not None:
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
    paras = _extracted_paras(extracted)
    _align(paras, blocks)
    paras = _merge_fragments(paras)

    # recall fallback: the extractor kept little of a page whose main container holds much more prose
    ext_len = sum(len(p.text) for p in paras)
    if ext_len < 2500:
        cand = _container_candidate(blocks)
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
                p.cue = b.cue
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
        cue = b.cue or _line_cue(b.text)
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
