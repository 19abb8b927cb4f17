"""Line cues: small multilingual cue lists and the shape tests (prose, teaser, word count) shared by the plain-text
classifier and the HTML block classifier."""

from __future__ import annotations

import re

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
# when spaced, so URLs, paths and code lines are no breadcrumbs); markdown table rows are excluded by caller, and
# so are lines with an opening guillemet (« quoted » words are no trail)
_BREADCRUMB_RE = re.compile(r"\S\s*[»›]\s*\S.*[»›]|\S\s+[>|/]\s+\S.*\s[>|/]\s+\S|^\S.{0,30}\s[»›>]\s\S.{0,30}$")
_BYLINE_RE = re.compile(
    r"^(?:by|von|par|por|di|door|yazan|yazar|muhabir|haber|editör|автор|текст|بقلم|كتب|"
    r"written by|reported by)\s*:?\s+(?P<name>[^\d,|•·]{3,60}?)\s*(?:[,|•·–-].*)?$",
    re.IGNORECASE,
)

# sentence ends of every script: Latin, CJK, Arabic/Urdu, Devanagari/Bengali, Armenian, Ethiopic, Burmese
_SENTENCE_END = tuple(".!?。！？؟۔…।॥։።፧။")
_ELLIPSIS_END_RE = re.compile(r"(?:…|\.\.\.)\s*[\"'”»]?$")


def _words(text: str) -> int:
    n = len(text.split())
    if n <= 2 and len(text) > 20:
        # scripts without spaces (zh, ja, th): approximate words by characters
        return max(n, len(text) // 3)
    if n <= 2 and len(text) >= 8 and 2 * len(_WIDE_RE.findall(text)) >= len(text):
        return max(n, len(text) // 2)  # a short Chinese or Japanese sentence: about two characters a word
    return n


_WIDE_RE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _is_prose(text: str) -> bool:
    """A sentence-like line: long enough, or a shorter one ending like a sentence."""
    w = _words(text)
    if _ELLIPSIS_END_RE.search(text):
        return False
    if w >= 15:
        return True
    return w >= 6 and text.rstrip().endswith(_PROSE_END)


_PROSE_END = tuple('.!?。！？؟۔।॥։።፧။"”»:')


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
        if n < 120 and (
            _NAV_WORDS_RE.match(text)
            or (text[0] != "|" and "«" not in text and "‹" not in text and _BREADCRUMB_RE.search(text))
        ):
            return "nav"
    return None


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
