"""Dates: calendar dates in running text and in metadata, and date/time-only lines (multilingual month names)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

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
