"""Site furniture around and inside articles: share bars, comment prompts, teasers, sign-ups.

Written as patterns of what such lines say and how long they are, not as a list of
particular sites' strings, so that a site never seen before is cleaned as well. Two tiers:

- calls to action ("sign up for our newsletter", "follow us on", "READ MORE: ...") are
  furniture even in a full sentence: no article paragraph talks like that;
- single words of page chrome ("Share", "Reply", "Comments", "Related") are furniture only
  in a short line without sentence punctuation, since "He declined to comment." is news.
"""

from __future__ import annotations

import re

from shared.textlayout import LIST_MARKER, ends_sentence

# Calls to action, legal lines and notes to the reader (English and German mostly).
_CALL_TO_ACTION = re.compile(
    r"""(?:
        ^sign\ up\b|\bsign(?:ing)?\ up\ (?:for|to)\ (?:our|the)\ (?:[\w-]+\ )?
            (?:newsletters?|emails?|alerts|updates)\b
        |^subscribe\b|\bsubscribe\ to\ (?:our|the)\b|\bour\ newsletters?\b|^newsletter\b
        |\bfollow\ us\b|\bfollow\ [\w.]+\ on\ (?:twitter|x|facebook|instagram|google\ news)\b
        |\blike\ us\ on\b|\bget\ in\ touch\ with\ (?:us|our)\b|\bemail\ us\b
        |\bdownload\ (?:our|the)\ app\b|\bclick\ here\b
        |\bleave\ a\ (?:reply|comment)\b|\b(?:post|add|write)\ a\ comment\b
        |\bjoin\ (?:the|our)\ (?:conversation|discussion|commenting)\b
        |\bcomment\ policy\b|\bcommenting\ forum\b
        |\ball\ rights\ reserved\b|\bcopyright\ (?:\d{4}|©)|©
        |\bprivacy\ settings\b|\bcookie\ settings\b
        |\bexit\ mobile\ version\b|\bskip\ to\ (?:main\ )?content\b|\bback\ to\ top\b
        |\bunseren?\ newsletter\b|\bjetzt\ (?:testen|abonnieren)\b
        |\bzum\ newsletter\ anmelden\b|\bnewsletter\ (?:abonnieren|bestellen)\b
        |\bwe\ (?:want|would\ love|'d\ love)\ to\ hear\ (?:what\ you\ think|from\ you)\b
        |\b(?:verraten|schreiben)\ sie\ (?:uns\ )?(?:gerne\ )?in\ den\ kommentaren\b
        |\bprivatsphäre-einstellungen\b|\bexterner?\ inhalt\b
        |\b(?:may|might|can)\ earn\ (?:us\ )?(?:an?\ )?(?:small\ )?(?:affiliate\ )?commission\b
        |\berhalten\ wir\ (?:eine\ )?(?:kleine\ )?provision\b|\baffiliate[-\ ]links?\b
        |^would\ you\ like\ to\ comment\b|\bbefore\ commenting\b|\benter\ your\ display\ name\b
        |^join\b.{0,30}\bconversations\b
        |^(?:this\ (?:article|story|piece|post)\ (?:was\ )?)?(?:first|originally)
            \ (?:appeared|published)\b
        |^dieser\ (?:artikel|beitrag|text)\ (?:ist|erschien)\ zuerst\b
        |\b(?:lest|lesen\ sie)\ den\ originalartikel\b|\bread\ the\ original\ (?:article|story)\b
        |\bkontaktieren\ sie\ uns\b|^contact\ us\b|\bstory\ to\ tell\?
        |\bhinweise?\ (?:zum|zu\ diesem)\ (?:thema|themengebiet)\?
        |\bmore\ to\ follow\W*$|^this\ is\ a\ breaking\ news\b|\blatest\ updates\ below\b
        |\bfor\ more\ (?:stories|news|articles)\ like\ this\b
        |^mehr\ (?:zur|zum|zu)\b.{0,60}\blesen\ sie\b|\blesen\ sie\ (?:in\ unserem|im)\ liveblog\b
        |\bempfohlener\ redaktioneller\ inhalt\b|\bdamit\ einverstanden,\ dass\ mir\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# What the page says around embedded content and to sell itself, worded per language: a
# consent note for an embed, a subscription, app or shop offer, a note that the text was
# machine-translated. Longer than a call to action (a consent note runs to 50 words). Each
# phrase addresses the reader or labels the page itself: a news sentence about e-paper
# displays, free trials or third-party content ("Platforms must check third-party
# content") is no promotion.
_PROMOTION = re.compile(
    r"""(?:
        \bein\ klick\ für\ den\ datenschutz\b|^link\ zum\ [\w-]+-inhalt$|^embed$
        |\bto\ (?:view|see|display)\ this\ content\b
        |\bmanage\ (?:your\ )?(?:cookie|consent|privacy)\ (?:settings|preferences|choices)\b
        |\bplease\ (?:enable|accept|allow)\ (?:all\ )?(?:cookies|third[-\ ]party)\b
        |\bkostenlos\ testen\b|\btesten\ sie\ für\ (?:\w+\ ){0,2}wochen\b
        |\b(?:start|try|begin)\ (?:your|a)\ (?:[\w-]+\ )?free\ trial\b
        |\bsubscribe\ now\b|\balready\ a\ subscriber\b|\bbereits\ abonnent\b
        |\bzum\ e-paper\b|\bread\ (?:[\w']+\ ){0,5}e-paper\b
        |\bnews\ in\ einer\ app\b|\bspecial\ offers\b.{0,40}\b(?:from\ us|our\ partners)\b
        |\bread\ our\ privacy\ (?:notice|policy)\b
        |\bhier\ geht['\u2019]?s\ zur\ anmeldung\b|\bjetzt\ vorbestellen\b
        |^(?:hinweis:\s*)?maschinelle\ übersetzung|\bautomatisiert\ übersetzt\b
        |\b(?:dies\ ist|es\ handelt\ sich\ um)\ eine\ maschinelle\ übersetzung\b
        |\bthis\ is\ a\ machine\ translation\b
        |\b(?:this|the)\ (?:article|text|story)\ (?:was|has\ been)\ (?:\w+\ )?
            machine[-\ ]translated\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Embedded content named together with what the reader must do to see it.
_EMBED_CONTENT = re.compile(
    r"""\b(?:externe[nrs]?\ inhalte?|inhalte?\ von\ (?:drittanbietern|dritten)
        |third[-\ ]party\ content|external\ content|contenu\ externe|contenido\ externo
        |externe\ inhoud|contenuto\ esterno)\b""",
    re.IGNORECASE | re.VERBOSE,
)
_CONSENT = re.compile(
    r"""\b(?:zustimm\w*|einverstanden|aktivier\w*|klick\w*|consent\w*|enable|accept|click
        |hier\ sehen\ sie|you\ (?:can\ |will\ )?see
        |afficher|accepte[rz]|cargar|aceptar|aceptas|weergeven|accepteer|accettare|accetta)\b""",
    re.IGNORECASE | re.VERBOSE,
)
_PROMOTION_MAX_WORDS = 60
# Lines about the article rather than of it: staff credits, time stamps, reading time, an
# editor's initials, a contact address. Short by nature, so bounded in words.
_DATE = (
    r"(?:\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}"
    r"|\d{1,2}\.?\s+[^\W\d]{3,9}\.?\s+\d{4}|[^\W\d]{3,9}\.?\s+\d{1,2},?\s+\d{4})"
)
_TIME = r"(?:\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:uhr|h|am|pm|a\.m\.|p\.m\.))?|\d{1,2}\.\d{2}\s*uhr)"
_ABOUT_THE_ARTICLE = (
    (  # a time stamp alone: "30. Januar 2024", "Tuesday, 13.05.2026, 06:00 Uhr", "19:49"
        re.compile(
            rf"^(?:[^\W\d]{{2,10}}\.?,?\s+)?(?:{_DATE}|{_TIME})(?:\s*[,|\u2013-]?\s*{_TIME})?$",
            re.IGNORECASE,
        ),
        8,
    ),
    (  # staff credits
        re.compile(
            r"""^[\u2014\u2013-]?\s*(?:redaktion|mitarbeit|übersetzung|schlussredaktion|faktencheck
                |recherche)(?:\ und\ \w+)?\s*:
            |^[\u2014\u2013-]?\s*(?:additional\ reporting|reporting|editing|writing)\ (?:by|from)\b
            |\bcontributed\ to\ this\ (?:report|story|article)\W*$""",
            re.IGNORECASE | re.VERBOSE,
        ),
        25,
    ),
    (  # time stamps: "Stand: 22.04.2024, 06:00 Uhr", "Veröffentlicht am 13. Mai 2026"
        re.compile(
            rf"""^(?:stand|veröffentlicht|aktualisiert|zuletzt\ aktualisiert|published|updated
                |last\ updated|posted|erschienen|sendung|ausgabe\ vom|dieses\ thema\ im\ programm)
            \b\s*(?:am|on|:)?.{{0,40}}?{_DATE}""",
            re.IGNORECASE | re.VERBOSE,
        ),
        16,
    ),
    (  # reading time, media availability
        re.compile(
            r"\b\d+\s*min(?:uten?|utes?)?\.?\s*(?:lesezeit|read|reading)\b|^lesezeit\b"
            r"|\bverfügbar\ bis\ \d|\bavailable\ until\ \d",
            re.IGNORECASE,
        ),
        12,
    ),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), 14),  # "Email: jane@example.com"
    (  # where the facts came from: "With files from The Associated Press"
        re.compile(
            r"""^(?:with\ files\ from\ (?-i:[A-Z])|with\ (?:additional\ )?reporting\ (?:by|from)
            |mit\ (?:informationen|material)\ (?:von|der|des|aus)\b
            |avec\ (?:l['\u2019]afp|des\ informations\ de)|con\ información\ de
            |met\ informatie\ van)""",
            re.IGNORECASE | re.VERBOSE,
        ),
        30,
    ),
    (  # the reader asked to rate the article
        re.compile(
            r"""^(?:wie\ hat\ ihnen\ (?:dieser|der)\ (?:artikel|beitrag|text)\ gefallen
            |was\ this\ (?:article|story|page)\ (?:helpful|useful)
            |did\ you\ (?:like|enjoy)\ this\ (?:article|story)|rate\ this\ (?:article|story)
            |ihre\ meinung\ ist\ uns\ wichtig|durchschnittliche\ bewertung)""",
            re.IGNORECASE | re.VERBOSE,
        ),
        25,
    ),
)
# "READ MORE: Other story", "ALSO READ | ...", "Lesen Sie auch: ...": links to other articles.
_TEASER = re.compile(
    r"""^(?:read\ (?:more|next|also)|also\ read|more|see\ also|related|watch|listen
        |lesen\ sie\ (?:auch|mehr)|mehr\ zum\ thema|auch\ interessant|zum\ artikel|weiterlesen
        |(?:à\ )?lire\ aussi|voir\ aussi|lee\ también|lea\ también|puedes\ ver|mira\ también
        |leggi\ anche|leia\ também|veja\ também|lees\ ook|czytaj\ (?:też|także|również)
        |zobacz\ (?:też|także|również)
    )\s*(?::|\||\u2013|-|>>|\u00bb)""",
    re.IGNORECASE | re.VERBOSE,
)
# The same in any language: a label of three or more upper-case words, a bar, a headline
# ("FUNDA OLUNYE UDABA LAPHA | Kuboshwe abahlanu..."); "LONDON | ..." may be a dateline.
_LABEL_SEPARATOR = " | "
_LABEL_MIN_WORDS = 3
_LABEL_MAX_CHARS = 40
# Captions left in the text: "Pictured right, is reader...", "Im Bild: ...".
_CAPTION = re.compile(r"^(?:pictured|im\ bild|auf\ dem\ bild)\b", re.IGNORECASE)
_CAPTION_MAX_WORDS = 60
# Picture credits and source lines left by image captions: "Image: Jane Doe/Reuters".
_CREDIT = re.compile(
    r"^(?:image|photo|picture|pictures|foto|fotos|bild|credit|quelle|source)s?\s*:\s*\S",
    re.IGNORECASE,
)
_CREDIT_MAX_WORDS = 12
# Words of page chrome, furniture only in a short line.
_CHROME_WORD = re.compile(
    r"""\b(?:
        share(?:\ this)?|tweet|pin\ it|e-?mail|print|whatsapp|facebook|twitter|linkedin
        |reddit|telegram|pinterest|comments?|reply|responses?|mobile\ version|desktop\ version
        |menu|navigation|breadcrumbs?|(?:read|see|view|load)\ (?:more|also|next)
        |continue\ reading|related(?:\ \w+)?|you\ (?:may|might)\ also\ like|more\ from
        |recommended|most\ (?:read|popular)|trending|log\ ?in|sign\ in|register
        |advertisement|advertising|sponsored|anzeige|werbung|teilen|kommentare?
        |(?:previous|next|older|newer)\ (?:post|article|story|entry)
        |tags?|tagged|filed\ under|posted\ in|categor(?:y|ies)|loading
        |auch\ interessant|mehr\ zum\ thema|lesen\ sie\ auch|quelle|wird\ geladen
        |weitere\ (?:themen|artikel|beiträge|nachrichten|meldungen)|zum\ weiterlesen
        |das\ könnte\ sie\ auch\ interessieren|ähnliche\ (?:artikel|beiträge)
        |further\ reading|more\ stories|(?:à\ )?lire\ (?:aussi|également)
        |sur\ le\ même\ sujet|lee\ también|te\ puede\ interesar|noticias\ relacionadas
        |empfohlene\ (?:artikel|beiträge)|schon\ gelesen|(?:le|les)\ puede\ interesar
        |lea\ también|mira\ también|ver\ también|puedes\ ver|leggi\ anche
        |potrebbe\ interessarti|leia\ também|veja\ também|saiba\ mais|lees\ ook
        |czytaj\ (?:też|także|również|więcej)|zobacz\ (?:też|także|również)
        |dowiedz\ się\ więcej
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
_SHORT_WORDS = 8
_TINY_WORDS = 3
_CALL_TO_ACTION_MAX_WORDS = 40
# An editor's initials closing an article: "(dmk)", "MDR (dst)", "(dpa/afp)".
_INITIALS = re.compile(r"^(?:[A-Z]{2,5}\s)?\([a-z]{2,3}(?:[/,]\s?[a-z]{2,3})*\)$")
# Furniture is short: a "line" of a few words but thousands of characters is not furniture,
# and must not be searched (pathological input: one 1 MB word).
_FURNITURE_MAX_CHARS = 1000
# "Home » News » World": a navigation trail.
_SEPARATORS = "\u00bb\u203a>|/"  # guillemet, single guillemet, >, |, /
_BREADCRUMB = re.compile(
    rf"^[^{_SEPARATORS}]{{1,40}}(?:\s[{_SEPARATORS}]\s[^{_SEPARATORS}]{{1,40}}){{1,6}}$"
)


def is_furniture(text: str, *, after_article: bool = False) -> bool:
    """Whether a line or paragraph is page furniture rather than article text.

    Inside the article only a line of a few words counts as chrome ("Advertisement", "Share
    this"); after its last paragraph any short line without sentence punctuation can.
    """
    if len(text) > _FURNITURE_MAX_CHARS:
        return False
    words = len(text.split())
    if words <= _CALL_TO_ACTION_MAX_WORDS and (_CALL_TO_ACTION.search(text) or _TEASER.match(text)):
        return True
    if any(words <= most and pattern.search(text) for pattern, most in _ABOUT_THE_ARTICLE):
        return True
    if words <= _CREDIT_MAX_WORDS and _CREDIT.match(text):
        return True
    if words <= _CALL_TO_ACTION_MAX_WORDS and _is_labelled_teaser(text):
        return True
    if words <= _CAPTION_MAX_WORDS and _CAPTION.match(text):
        return True
    if LIST_MARKER.match(text):
        return False  # "- targeted teenagers with advertising campaigns" is content
    if after_article and _INITIALS.match(text):
        return True
    short = words <= _TINY_WORDS or (
        after_article and words <= _SHORT_WORDS and not ends_sentence(text)
    )
    return short and _CHROME_WORD.search(text) is not None


def is_promotion(text: str) -> bool:
    """Whether a paragraph or line is the page speaking for itself: an embed's consent note,
    an offer of a subscription, an app or a product, a machine-translation note."""
    return (
        len(text) <= _FURNITURE_MAX_CHARS
        and len(text.split()) <= _PROMOTION_MAX_WORDS
        and (
            _PROMOTION.search(text) is not None
            or (_EMBED_CONTENT.search(text) is not None and _CONSENT.search(text) is not None)
        )
    )


def _is_labelled_teaser(text: str) -> bool:
    label, separator, _ = text.partition(_LABEL_SEPARATOR)
    return (
        bool(separator)
        and len(label) <= _LABEL_MAX_CHARS
        and label.isupper()
        and len(label.split()) >= _LABEL_MIN_WORDS
    )


def is_navigation(text: str) -> bool:
    """A line that is nothing but navigation: a breadcrumb trail or chrome words only."""
    if _BREADCRUMB.match(text):
        return True
    if len(text.split()) > _SHORT_WORDS:
        return False
    rest = _CALL_TO_ACTION.sub("", _CHROME_WORD.sub("", text))
    return re.search(r"\w", rest) is None
