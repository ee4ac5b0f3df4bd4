"""HTML pages: the article's paragraphs and headings via trafilatura, metadata via it and htmldate.

trafilatura finds the main content and normalises it to a small XML vocabulary (`p`, `head`,
`list`/`item`, `quote`, `lb`...), which we walk to keep paragraphs and headings apart. Its
metadata reader covers Open Graph, JSON-LD and common meta tags; we add what it leaves out:
the publication time (not only the day), the canonical link and the page's language.
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import re
import unicodedata
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
import trafilatura
from htmldate.extractors import try_date_expr
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.utils import load_html

from services.ingest.boilerplate import is_furniture, is_promotion
from services.ingest.cleaning import clean_line, join_paragraphs
from services.ingest.dates import parse_date
from services.ingest.extracted import Extracted
from services.ingest.html_bounds import bound_html

# htmldate keeps the time of day when asked for it; trafilatura only asks for the day. Its
# extensive search (HtmlOptions.dates_from_text) reads dates from the text and the URL.
_DATE_PARAMS = {
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
# A moment with its zone, as pages write it in their data and markup ("...T23:30:59-06:00").
_ZONED_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?[+-]\d{2}:?\d{2}(?![\d:])"
)
# (Public: the extraction bench hides them to score the dates a page shows.)
PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "parsely-pub-date",
    "sailthru.date",
    "pubdate",
)
_ARTICLE_TYPES = re.compile(r"Article|BlogPosting|Report|NewsArticle|LiveBlogPosting")
# Several names in one string: "A, B and C", "A und B, dpa".
# "and" in en, de, fr, es, it, nl, no, sv; the Italian "e" is not the "e." of a German
# association's "e. V.".
_NAME_SEPARATORS = re.compile(r"\s*(?:,|;|&|\b(?:and|und|et|y|e(?!\.\s?V\.)|en|og|och|or)\b)\s*")
# The label of a link to an author's page ("View all posts by Jane Doe", "Zum Profil von").
_AUTHOR_PAGE_LABEL = (
    r"(?:view\ all\ posts\ by|all\ posts\ by|posts?\ by|posted\ by|show\ all\ articles\ of"
    r"|(?:all\ )?articles?\ by|more\ from|alle\ (?:beiträge|artikel)\ von|zum\ profil\ von"
    r"|(?:ein\ )?(?:beitrag|artikel)\ von)"
)
# "By", "Von", "Par", "Por", "Di", "Door", "Av", "Af"..., or a label with its colon ("Text:",
# "Autor:"; without one, "Text Messages Show..." would be a byline).
_BYLINE_WORD = (
    rf"(?:(?:{_AUTHOR_PAGE_LABEL}|by|von|par|por|di|door|av|af|written\ by|story\ by|words\ by"
    r"|text\ von|text\ by|geschrieben\ von|verfasst\ von|erstellt\ von"
    r"|écrit\ par|escrito\ por|scritto\ da|geschreven\ door|skrevet\ af|skrevet\ av)\s*:?"
    r"|(?:text|texte|autor|autorin|author|auteur|autore)\s*:)"
)
# (After a colon, the name may follow with no space: "Von:Jane Doe".)
_AFTER_BYLINE_WORD = r"(?:\s+|(?<=:))"
_BYLINE_PREFIX = re.compile(rf"^{_BYLINE_WORD}{_AFTER_BYLINE_WORD}", re.IGNORECASE)
# Month and weekday names, in full and short, in English, German and French.
_MONTHS = (
    r"(?:jan(?:uary|uar|vier)?|feb(?:ruary|ruar)?|févr(?:ier)?|mar(?:ch|s)?|märz|apr(?:il)?"
    r"|avr(?:il)?|may|mai|june?|juin|juni|july?|juil(?:let)?|juli|aug(?:ust)?|août|sept?(?:ember|embre)?"
    r"|oct(?:ober|obre)?|okt(?:ober)?|nov(?:ember|embre)?|dec(?:ember)?|déc(?:embre)?|dez(?:ember)?)"
)
_WEEKDAYS = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch"
    r"|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
)
# Links, e-mail addresses, no letters at all ("1"), a comment form's label ("Name"), a month
# ("Sep" of "Sep 2"), an author page's label left alone, a follow button, a CMS's
# placeholder ("No Author") or account ("admin"), a comment's heading ("Jane Doe says",
# which trafilatura may take for the author) and the degrees after a name ("Jane Roe, PhD").
_NOT_A_NAME = re.compile(
    r"^(?:https?:|www\.)|@|^[\W\d_]*$|^(?:name|nom|nombre|nome|naam|navn|namn"
    rf"|{_MONTHS}|{_WEEKDAYS})\.?$"
    rf"|^{_AUTHOR_PAGE_LABEL}$|^(?:follow|folgen|no\ author|kein\ autor)$"
    r"|^(?:wordpress|site|web)?[\s_-]?(?:admin|administrator|webmaster)$"
    r"|\s(?:says|writes|sagt|schreibt)$"  # not "said": Edward Said
    r"|^(?:ph\.?\s?d|m\.?d|mph|msc|bsc|mba|rdn?|rn|cfa|cpa|jd|esq|dds|dvm|facs"
    r"|lcsw|cscs|ibclc|pa-c)\.?$",
    re.IGNORECASE,
)
# "Martin Luther King, Jr." is one name: the comma before a generational suffix splits none.
_GENERATION_SUFFIX = re.compile(r",\s*(?=(?:Jr|Sr|II|III|IV)\b)")
# Quote marks around a byline ("'Jane Roe, John Doe'") belong to no name.
_QUOTE_MARKS = "'\"\u2018\u2019\u201a\u201c\u201d\u201e\u00ab\u00bb\u2039\u203a"
# A page title is often "Headline | Site" (or with a single angle quote, U+203A) or
# "Headline - Site - 28.04.2023".
_SEPARATOR_MARK = r"[|\-\u2013\u2014\u00b7\u2022\u00bb\u203a\u2502]|::"
# A pipe separates without spaces too ("Headline|Site"); a dash then joins words.
# Chinese, Japanese and Korean titles join the site's name without spaces ("标题-新华网",
# "标题_腾讯网", a full-width bar or colon): no word of theirs is joined by a dash or an
# underscore.
_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff01-\uff60"
_CJK_SEPARATOR = r"[\-_\u2013\u2014|\uff5c\uff1a]+"
_CJK_CHANNEL = re.compile(rf"^[{_CJK}]{{1,4}}$")
# ... and a site's name there has the shape of one when the page states it nowhere else
# ("新华网", "中国新闻网", "朝日新聞", "조선일보": a web site, a newspaper, news, an agency).
_CJK_SITE_NAME = re.compile(
    rf"^[{_CJK}]{{1,8}}(?:网|網|报|報|新闻|新聞|新聞社|ニュース|通信|通讯社|电视台|電視台|신문|일보|뉴스)$"
)
_TITLE_SEPARATOR = re.compile(
    rf"\s+(?:{_SEPARATOR_MARK}|:)\s+|\s*[|\uff5c]\s*"
    rf"|(?<=[{_CJK}])\s*{_CJK_SEPARATOR}\s*|\s*{_CJK_SEPARATOR}\s*(?=[{_CJK}])"
)
# A separator with nothing after it: "Headline -" where the site's name was left empty (a
# colon at the end is the headline's own).
_TRAILING_SEPARATOR = re.compile(rf"\s+(?:{_SEPARATOR_MARK})$")
# The site's name in brackets after the headline: "Headline (Example News)".
_BRACKETED_END = re.compile(r"\s*[(\[]([^()\[\]]+)[)\]]$")
# A section before the headline: "Politics: Headline" as well as "Politics | Headline".
_PREFIX_SEPARATOR = re.compile(rf"\s*:\s+|{_TITLE_SEPARATOR.pattern}")
# A title cut short for a teaser or a social card: "The council agreed the bud…".
_TRUNCATED = re.compile(r"\s*(?:\u2026|\.\.\.)\s*$")
_DATE_LIKE = re.compile(r"^[\d./-]+$")
_FULL_DATE = re.compile(r"^(?:\d{1,2}[./-]\d{1,2}[./-]\d{4}|\d{4}-\d{2}-\d{2})$")
_GENERIC_DOMAIN_LABELS = {"www", "co", "com", "org", "net", "gov", "ac", "news", "edu"}
_SITE_NAME_SIMILARITY = 0.8
# A kicker that ends a clause itself ("Exklusiv:", "Analyse -") takes no colon after it.
_ENDS_CLAUSE = re.compile(r"[:.!?\u2026|\-\u2013\u2014]\s*$")
_QUALIFIED_SITE_MAX_WORDS = 4  # "The Evening Standard", not a clause of the headline
_SHARED_HEADLINE_MIN_WORDS = 4  # "Video" inside a headline shares nothing
# What a credits line credits besides the text: "Text: Jane Doe, Fotos: John Roe", "Edited by".
_CREDITED = (
    r"(?:fotos?|photos?|bilder|illustrations?|grafiken?|graphics?|videos?|edited|editing"
    r"|(?:medically\s+)?reviewed|fact[- ]?checked|translated|translation|übersetzung)"
)
# ... the same words as a credit of its own within a line of names: "Rob Ewaschuk Edited by
# Betsy Beyer", "Medically reviewed by A - Written by B".
_CREDIT = re.compile(
    rf"(?:^|(?<=\s)|(?<=[,;|/\u00b7\u2013\u2014\-]))\s*({_CREDITED}|written|words|story|reporting)"
    r"\s*(?::|\bvon\b|\bby\b)\s*",
    re.IGNORECASE,
)
_TEXT_CREDITS = {"written", "words", "story", "reporting"}
_LIST_MARKS = " ,;|/\u00b7\u2013\u2014-"
# Where a date starts after a byline's names: "Nathan Willis March 25, 2015", "Joe Wee
# Monday, February 12", "Jane Doe 12.03.2021", "Jane Doe Updated 3 hours ago", "Jane Doe
# Stand: 12.03.2021". A month needs a number after it ("Theresa May" is a name), but the
# months no one is named after also end one alone ("Nathan Willis March" of a byline whose
# numbers were dropped).
_UNNAMED_MONTHS = (
    r"(?:january|february|march|september|october|november|december|januar|februar|märz"
    r"|oktober|dezember)"
)
_DATE_AFTER_NAMES = re.compile(
    rf"\s+(?:(?:on|am|le|el|il|den|op)\s+)?(?:{_WEEKDAYS}\b|{_MONTHS}\.?\s*\d|\d"
    r"|(?:updated|published|posted|aktualisiert|veröffentlicht|stand|publié|actualizado)\b"
    rf"|{_UNNAMED_MONTHS}\s*$)",
    re.IGNORECASE,
)
# A byline on a line of its own: a "by" word in the corpus's and neighbouring languages, then
# capitalised names only (so "By the end of the year..." is no byline), without digits, and
# not a credit, a weekday or a month with its day ("By Jane Doe May 3": "May" is the date)...
_CAPITALISED_WORD = (
    rf"(?!(?:{_CREDITED}|{_WEEKDAYS})\b|{_MONTHS}\.?\s*\d)"
    r"(?-i:[A-Z\u00c0-\u00de](?:[^\W\d_]|['\u2019.\-])+)"
)
# ("Par Kab Niang Le 12 mai": "Le" starts the date, not a particle of the name.)
_DATE_START = r"(?:on|am|le|el|il|den|op)\s+\d"
_CAPITALISED_NAME = (
    rf"(?:{_CAPITALISED_WORD}"
    rf"(?:\s+(?!{_DATE_START})(?:{_CAPITALISED_WORD}|van|von|de|der|den|da|di|le|la|du)){{0,4}})"
)
_NAMES = (
    rf"{_CAPITALISED_NAME}(?:\s*(?:,|&|\b(?:and|und|et|y|e|en|og|och)\b)\s*{_CAPITALISED_NAME})*"
)
# ... and whom it may credit for the pictures after the authors ("| Fotos: dpa").
# ... and the date after them ("By Nathan Willis March 25, 2015 8:02 pm"): words of a date
# only, at least one number among them.
_DATE_NUMBER = r"\d++(?:[./:\-]\d++)*+\.?,?"
_DATE_NAME = (
    rf"(?:(?:{_MONTHS}|{_WEEKDAYS})\.?,?|(?:am|pm|uhr|utc|gmt|[ecmp][sd]t|um|at|on|le|el|den|op)\b)"
)
# (Possessive: what a date's words took is never tried as anything else, so a long line
# that is no byline fails in linear time.)
_BYLINE_DATE = (
    rf"(?:\s*[,|\u00b7\u2013\u2014\-]?(?:\s+{_DATE_NAME})*+\s+{_DATE_NUMBER}"
    rf"(?:\s+(?:{_DATE_NUMBER}|{_DATE_NAME}))*+)?"
)
# ... or the date first, as blog themes write it ("Posted on September 21, 2020 by Jane Doe").
_POSTED_ON = (
    r"(?:(?:posted|published|veröffentlicht|publié|publicado|pubblicato)"
    rf"(?:\s+(?:{_DATE_NAME}|{_DATE_NUMBER}))++\s+)?"
)
_BYLINE = re.compile(
    rf"^{_POSTED_ON}{_BYLINE_WORD}{_AFTER_BYLINE_WORD}({_NAMES}){_BYLINE_DATE}"
    rf"(?:\s*[,;|/\u00b7\u2013\-]?\s*{_CREDITED}\s*(?::|von|by|de|di)\s+\S.*)?\s*$",
    re.IGNORECASE,
)
_BYLINE_MAX_CHARS = 100
# Where a byline's text can start: a text node that begins with a "by" word (or the date of
# "Posted on ... by"), so the page's elements are not read whole one by one; not the label
# of a link to an author's page or a section ("More from The Sun").
_BYLINE_START = re.compile(
    rf"^\s*(?!{_AUTHOR_PAGE_LABEL}\b){_POSTED_ON}{_BYLINE_WORD}(?:\s|$|(?<=:))", re.IGNORECASE
)
# A text node's element and those above it that may hold the rest of the byline's text.
_BYLINE_START_LEVELS = 3
# The text below the headline, where an article's byline sits, up to this many characters.
# (The first text nodes only: an XPath answer is built whole before it is read.)
_BELOW_HEADLINE_NODES = 400
_BELOW_HEADLINE = etree.XPath(
    "(//body//h1)[1]/following::text()[not(parent::script or parent::style or parent::noscript)]"
    f"[position() <= {_BELOW_HEADLINE_NODES}]"
)
_BELOW_HEADLINE_CHARS = 2000
# A text that may be a date line ("3.2.22" to "Veröffentlicht am Mittwoch, 19. November 2021,
# 14:05 Uhr"); the earliest day a page's shown date may be (htmldate's own bound).
_DATE_TEXT_MIN_CHARS = 6
_DATE_TEXT_MAX_CHARS = 80
_EARLIEST_DAY = datetime(1995, 1, 1)
_ORGANISATION_AFTER_NAME = re.compile(r"\s+(?:The|for|For|für)\s+(?=\w)")
# "... in Valencia", "... in New York": the place of a byline's dateline, one to three
# capitalised words at its end.
_REPORTED_IN = re.compile(
    r"\s+in\s+[A-Z\u00c0-\u00de][\w'\u2019.\-]*(?:\s+[A-Z\u00c0-\u00de][\w'\u2019.\-]*){0,2}$"
)
# (The class in other languages too: "auteurs", "autor", "autore". <address>: HTML's element
# for the contact details of an article's author.)
_BYLINE_ELEMENTS = etree.XPath(
    "//body//*[contains(@class, 'author') or contains(@class, 'byline')"
    " or contains(@class, 'auteur') or contains(@class, 'autor') or self::address"
    " or @itemprop='author' or @rel='author']"
)
# A byline inside a link, an article card within the article or a box of related articles
# is a teaser's.
_TEASER_BYLINE = etree.XPath(
    "boolean(ancestor::a or ancestor::article[ancestor::article]"
    " or ancestor::*[contains(@class, 'related')])"
)
_SUBHEADINGS = etree.XPath("//body//*[self::h2 or self::h3]")
_MICRODATA_AUTHORS = etree.XPath(
    "//body//*[contains(concat(' ', normalize-space(@itemprop), ' '), ' author ')]"
)
# The formatted name of an author's hCard, not of a comment's author.
_VCARD_AUTHOR_NAMES = etree.XPath(
    "//body//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')]"
    "[ancestor-or-self::*[contains(@class, 'vcard')][contains(@class, 'author')]]"
    "[not(ancestor-or-self::*[contains(@class, 'comment')])]"
)
_ITEM_OF = etree.XPath("ancestor::*[@itemscope][1]")  # the item a property belongs to
_ITEM_NAME = etree.XPath(".//*[@itemprop='name'][1]")
# An author label in an element of its own, the names beside it: "Autorin/Autor", "Author:".
_LABEL_ELEMENTS = etree.XPath("//body//*[self::strong or self::b or self::dt or self::th]")
_AUTHOR_LABEL = re.compile(
    r"^(?:autor(?:in|en|innen)?|authors?|auteure?s?|autori?e?|autora?s?|text|texte)"
    r"(?:\s*/\s*\w+)?\s*:?$",
    re.IGNORECASE,
)
_LABEL_MAX_NODES = 3
# A link to the author's own page: "/autoren/dominik-bath/", "/author/jane-doe-1.4736637",
# "/journalist/123/Jon-King": a directory of people, then the name the link shows as its slug.
_AUTHOR_DIRECTORY = re.compile(
    r"^(?:[\w-]*-)?(?:authors?|autor(?:en|in|innen)?|auteurs?|autores?|autori|redacteur|redaktion|team"
    r"|journalists?|reporters?|writers?|columnists?|contributors?|staff|people|profiles?"
    r"|personen|mitarbeiter|medewerkers?|by)$"
)
# Not in menus, lists, the page's header or footer (an article's own <header> holds its byline).
_AUTHOR_LINKS = etree.XPath(
    "//body//a[@href][not(ancestor::nav or ancestor::footer or ancestor::li or ancestor::aside"
    " or ancestor::header[not(ancestor::article or ancestor::main)])]"
)
_AUTHOR_NAME_MAX_WORDS = 5
_ROLE_MAX_WORDS = 3
# News agencies, which a byline names beside people ("Jane Doe and AP").
_AGENCIES = {"ap", "afp", "dpa", "reuters", "epd", "kna", "apa", "sda", "anp", "ansa", "efe"}
_AGENCIES |= {"aap", "pa", "upi", "tass", "xinhua", "kyodo", "belga", "ntb", "tt"}
# Links of one byline sit together: those within this many levels above the first one.
_BYLINE_BLOCK_LEVELS = 4
_BYLINE_BLOCK_MAX_CHARS = 400
_BYLINE_LOWER_WORDS = 5
# Elements whose text no reader sees: code, and what shows only without scripts.
_UNSHOWN_TAGS = ("script", "style", "noscript")
# Every text node a reader sees, at once (`_shown_text` reads them one by one, to stop early).
_SHOWN_TEXTS = etree.XPath(
    f".//*[not({' or '.join(f'self::{tag}' for tag in _UNSHOWN_TAGS)})]/text()"
)
_LINK_MARK = "\x00"  # where an author link starts in a block's text (never in page text)
_INLINE_TAGS = {"a", "span", "strong", "b", "em", "i", "small", "time", "font", "abbr", "cite"}
# A job title after a byline's name, in the languages of the corpus and its neighbours; also
# inside compounds ("Wirtschaftsredakteur", "Politikkorrespondentin", "FOCUS-Online-Experte",
# "Rechtsanwalt").
_ROLE_NOUN = re.compile(
    r"""[\w-]*(?:redakteur|redakteurin|korrespondent|korrespondentin|reporter|reporterin
        |experte|expertin|anwalt|anwältin
        |journalist|journalistin|editor|correspondent|writer|producer|columnist|kolumnist
        |kolumnistin|contributor|photographer|fotograf|fotografin|redaktionsleiter
        |redaktionsleiterin|rédacteur|rédactrice|correspondant|correspondante|journaliste
        |periodista|redactor|redactora|corresponsal|giornalista|corrispondente|redattore
        |redacteur|verslaggever|journalisti)[,.:]?$""",
    re.IGNORECASE | re.VERBOSE,
)
# ... and the words that only qualify one ("Senior Reporter", "Staff Writer", "News Editor"):
# alone they are no job title ("Sky News", "Jane Staff").
_ROLE_MODIFIER = re.compile(
    r"""(?:senior|chief|deputy|leitender|leitende|stellvertretender|stellvertretende|freier
        |freie|freelance|staff|news)[,.:]?$""",
    re.IGNORECASE | re.VERBOSE,
)
_AUTHOR_META = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "cxenseparse:author",
    "byl",
)
_SCHOLARLY_AUTHOR_META = {"citation_author", "dc.creator", "dcterms.creator"}
# Page data in JSON that analytics and app frameworks write (a `<script type="application/json">`
# such as Next.js's __NEXT_DATA__, a meta tag whose content is JSON, and a script assigning
# JSON: "dataLayer.push({...})", "window.__STATE__ = {...}", "var utag_data = {...}"); its
# author under a well-known key only, never guessed from script text.
_SCRIPT_ASSIGNMENT = re.compile(
    r"(?:\bdataLayer\s*(?:\.push\s*\(|=)|\bwindow\.[\w$.]{1,60}\s*=|\bvar\s+[\w$]{1,60}\s*=)"
    r"\s*(?=[\[{])"
)
_SCRIPT_AUTHOR_KEYS = {
    "author",
    "authors",
    "authorname",
    "authornames",
    "articleauthor",
    "articleauthors",
    "contentauthor",
    "pageauthor",
    "byline",
}
_SCRIPT_DATA_MAX_CHARS = 500_000  # per script or meta content: longer is an app bundle
_SCRIPT_DATA_BUDGET = 2_000_000  # characters decoded per page (fundus-dev: 470,000 at most)
# Values tried per page (fundus-dev: 82 at most); a failed try costs a scan of the script
# up to where it failed (the decoder counts the lines before it).
_SCRIPT_DATA_TRIES = 200
_SCRIPT_DATA_DEPTH = 6  # "props.pageProps.page.gtm.contentAuthor"; deeper is other items' data
_SCRIPT_DATA_ITEMS = 20  # of a list: the first ones (the page's own data comes first)
_PARENTHESISED = re.compile(r"\s*\([^()]*\)")  # "Jane Doe (jdo)": her initials
_JSON_DECODER = json.JSONDecoder()
_LENIENT_JSON = json.JSONDecoder(strict=False)  # raw line breaks and tabs inside strings
_JSON_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")
_JSON_GAP = re.compile(r"[\s;,]*")  # between values written one after the other
_JSON_LD_VALUES = 20  # ... at most this many of them (a hostile "{} {} {}..." is not read on)
_NAME_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "le", "la", "du", "del", "bin"}
_TRANSLITERATED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_LINK_LIST_SHARE = 0.5
_WORD = re.compile(r"\w+")
_ARTICLE_BODY_COVERS = 0.5
_ARTICLE_BODY_SHARE = 0.5
_ARTICLE_BODY_RECALL = 2
_LEAD_MIN_WORDS = 5
# More words than a news paragraph ever has (the longest of fundus-dev's reference: 327):
# the page's paragraph breaks were lost and the article came out as one block.
_RUN_ON_WORDS = 500
# ... but not on pages with more text than a long read: a hostile page (one endless line,
# thousands of tables) would have its extraction time doubled for nothing.
_RUN_ON_MAX_WORDS = 10_000
# Less text than a short article: the fast path may have missed most of it.
_SHORT_TEXT_CHARS = 1_000
_TAG = re.compile(r"<[a-zA-Z/!][^>]*+>")
_BLOCK_END = re.compile(r"</(?:p|div|h\d|li|blockquote)\s*>|<br\s*/?>", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n\s*\n|\r?\n")  # articleBody's paragraphs, when it has any
_REPEAT_MIN_WORDS = 3
# "Quellen:", "Sources :", "Fuentes:": the label of the list of sources closing a text.
_SOURCE_LABEL = re.compile(
    r"^(?:quellen|sources|fuentes|fonti|bronnen|kilder|källor)\s*:?\s*$", re.IGNORECASE
)
_SOURCE_LIST_MAX = 3  # paragraphs from the end
_CAPTION_MIN_WORDS = 4  # "Foto", "Bild 1" as alt text say nothing about a paragraph
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(?=$|[-_])")
_FRAGMENT = re.compile(r"<(?:html|body)[\s>]", re.IGNORECASE)
# libxml2 reads nothing after `</html>`; browsers read on. Some templates close the document
# before its <body> ("</head></html><body>..."), so the end tag goes and the text stays.
_DOCUMENT_END = re.compile(r"</html\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class HtmlOptions:
    """The extraction choices that a rule or setting decides; `tests/bench/extraction_quality.py
    --variants all` scores each flipped, pooled and chosen by leave-one-publisher-out. On
    fundus-dev (89 publishers) each default below is the one picked with each publisher held
    out (`fast` and, since `shared_headline`, `headline_first` 89 times of 89); +N/-M: the
    publishers the default does better/worse on than its flip."""

    # trafilatura without its fallback extractors: body F1 +2/-2 but 0.973 against 0.969
    # (the fallbacks lose most of one article), and faster.
    fast: bool = True
    # When the fast path returns a block longer than any paragraph (text runs between empty
    # inline elements: the paragraph breaks lost, markup shown as text), trafilatura again
    # with its fallback extractors, on those pages only: body F1 +1/-0 (what `fast=False`
    # gains there, without its cost and its misses elsewhere).
    fallbacks_for_run_on_text: bool = True
    # ... and when it keeps less than a short article's text (_SHORT_TEXT_CHARS), often most of
    # the article missed: body F1 +0/-0 on fundus-dev (its articles are longer; at 2,000
    # characters -1, one short article given the page's teasers); on unseen sites (tests/bench/
    # extraction_unseen.py) +20/-8 pages, snippet F1 0.898 -> 0.904, where `fast=False` on
    # every page gets 0.906 for 11% more CPU on all of them.
    fallbacks_for_short_text: bool = True
    # Tables are the article's text: a data table row by row, cells apart ("1947 | Repeat
    # Performance"), and a layout table (an old site's article inside a cell) paragraph by
    # paragraph; without them trafilatura drops every table, and the article with a layout one.
    tables: bool = True
    # trafilatura's precision mode off: body F1 +16/-5, titles, dates and authors +1/-0 each.
    favor_precision: bool = False
    # Our share-bar / teaser / sign-up / credits / time-stamp line filter (boilerplate.py),
    # also line by line inside a paragraph: body F1 +36/-1.
    drop_furniture: bool = True
    # A list whose every item is mostly a link ("Naturkatastrophe: <a>Santorini-Vulkan...</a>")
    # lists other articles, removed before trafilatura: body F1 +4/-2.
    drop_link_lists: bool = True
    # JSON-LD headline, og:title, <h1> before trafilatura's title (og:title before the JSON-LD
    # headline, then a lone <h1>, then <title>): titles +16/-14 (close: the reference takes
    # the JSON-LD headline on some sites, og:title on others).
    headline_first: bool = True
    # "Headline | Site" -> "Headline": titles +4/-0 alone; +0/-0 next to strip_page_suffixes,
    # kept for pages with a single title.
    strip_site_names: bool = True
    # The title most of the page's sources agree on, instead of the first: titles +6/-12.
    title_consensus: bool = False
    # "Headline | Sport" -> "Headline" when another of the page's titles (og:title, <h1>,
    # <title>) is the headline alone: titles +0/-0 (+1/-0 before shared_headline took its page).
    strip_page_suffixes: bool = True
    # The title the page shows: the candidate (JSON-LD headline, og:title, twitter:title,
    # trafilatura's) that agrees with the visible <h1>, when the first one does not: titles +6/-18
    # (the reference takes, publisher by publisher, the JSON-LD headline or og:title, and
    # the <h1> is as often the other one).
    headline_shown: bool = False
    # When one of the JSON-LD headline and og:title contains the other, the shorter: the
    # headline both state, without a kicker or a trailing clause that only one adds
    # ("Neue Leipziger Schule: Judy Lybke, ..." and "Judy Lybke, ..."): titles +4/-2,
    # picked with each publisher left out (89 of 89) and each country (6 of 6).
    shared_headline: bool = True
    # A title cut short ("The council agreed the bud…") replaced by the page's longer title
    # it was cut from: titles +0/-0 (no cut title on fundus-dev), kept for teaser markup.
    untruncate_titles: bool = True
    # "Politics: Headline" -> "Headline" when the page's own section (articleSection,
    # article:section, its breadcrumb) is "Politics": titles +0/-0 on fundus-dev.
    strip_section_prefixes: bool = True
    # With no JSON-LD headline, og:title or <h1>, the <title> tag (site name stripped) before
    # trafilatura's guess, which takes a box's heading ('<h2 class="boxheadline">Wetter'):
    # titles +0/-0 (with the title meta hidden, the bench's --hide-title-meta: what a site
    # with only <title> and <h1> gets, +1/-0).
    title_tag_before_guesses: bool = True
    # ... and "Headline | Site | Sport" -> "Headline" when Sport is the page's section (a
    # site part that follows it goes too): titles +0/-0 (hidden +2/-0).
    strip_section_suffixes: bool = True
    # The site's name with a word before or after it ("| CBC News" on a site named CBC,
    # "- Mirror Online", "| The Standard") is a site part too: titles +0/-0 (hidden +0/-0:
    # no such page on fundus-dev; kept for the sites whose brand adds "News" or "Online").
    site_name_qualifiers: bool = True
    # An <h1> made of a kicker element and a headline element ("<span>Ausschuss zur
    # Ahrtal-Flut</span><span>Zwei Rücktritte</span>") reads "Kicker: Headline", not the two
    # run together: titles +0/-0 (hidden +2/-0).
    h1_kicker_separator: bool = True
    # Of several <h1>s, the one whose words the <title> or og:title repeat, not the first
    # (a menu's "Menu" or the site's name often comes before the headline's): titles +0/-0
    # on fundus-dev (title meta hidden too), +11/-0 on unseen sites.
    h1_by_title_tag: bool = True
    # With no author in the page's JSON-LD, its microdata's (itemprop="author", the same
    # vocabulary written into the markup), before byline links and patterns, which take a
    # teaser's or a related article's byline: authors +4/-0 on unseen sites, +0/-0 on
    # fundus-dev (linked authors hidden too). The article's own item only: not a comment's.
    microdata_authors: bool = True
    # ... else its hCard: the "fn" (formatted name) of the post's author card ('<span
    # class="author vcard"><a class="url fn n">marc</a></span>', WordPress and its themes'
    # markup), not a comment's, as written (a blog's nickname too): authors +4/-0 on unseen
    # sites, +0/-0 on fundus-dev (linked authors hidden too).
    vcard_authors: bool = True
    # A lone <h1> that shares no word with the page's <title> and og:title names a section
    # ("Allergies Health Center") when a heading below it repeats the <title>: that heading
    # is the headline: titles +2/-0 on unseen sites, +0/-0 on fundus-dev (title meta
    # hidden too).
    headline_below_section_h1: bool = True
    # A line that is only a byline ("Von Nina Magoley", "By A and B") is not article text;
    # its names become the authors when the page names none: body F1 +3/-0.
    move_bylines: bool = True
    # ... the first such line only names the authors: the later ones sign teasers and
    # embedded items ("Interview ... von Jane Roe" below the article): authors +0/-0 (hidden
    # +1/-0).
    first_byline_only: bool = True
    # When the page names no author but the publisher itself (or none), the first byline
    # element of its markup ('<span class="author">Von Seb Dumitru</span>') names the
    # authors: +2/-0 (hidden +5/-0).
    bylines_in_markup: bool = True
    # ... without the place it was written in ("Von Anna Schmidt, Frankfurt"; an agency
    # stays): authors +1/-1 both ways (the reference itself keeps "Lille" on one page and
    # drops "Frankfurt" on another; a place is no author).
    drop_byline_places: bool = True
    # ... also when it names news agencies only, without a "by" word ('<div
    # class="author">dpa</div>'): authors +0/-0 (hidden +1/-0).
    agency_bylines_in_markup: bool = True
    # ... and it does so before the author meta tags and trafilatura's reading, which take a
    # translator, the publisher's group ("Condé Nast") or a comment form's "Name" label:
    # authors +0/-0 (hidden +1/-0).
    markup_bylines_first: bool = True
    # ... but not a teaser's byline: one inside a link, an article card within the article
    # or a box of related articles: authors +0/-0 (hidden +1/-0).
    skip_teaser_bylines: bool = True
    # ... and trafilatura's author reading is no one when only teasers' bylines name them
    # ("von Jane Roe" on a related article's card): authors +0/-0 (hidden +0/-0: a wrong
    # name becomes none).
    no_teaser_authors: bool = True
    # ... and when no byline element reads as one, the first short element below the headline
    # that reads as a byline whole, whatever its class ('<em>Von Leonora Holling</em>', '<a>Par
    # Matthieu Hy</a>'), naming people or agencies, not a teaser's: authors +8/-0 on unseen
    # sites; on fundus-dev +0/-1, the page whose reference counts its dateline's place
    # ("Nairobi") among the authors, which drop_byline_places rejects by design.
    bylines_anywhere: bool = True
    # When the page's JSON-LD names no person but the publisher (or nobody), the byline's
    # links to its authors' own pages ("/autoren/jane-doe/") name them, before trafilatura's
    # meta and byline reading: authors +1/-0 (+10/-0 with JSON-LD authors hidden, the bench's
    # --hide-linked-authors: what a site without them gets).
    author_links: bool = True
    # ... only the lines of that block with an author link: the date in an element of its
    # own beside the names ("<a>Jane Doe</a> and AP<p><time>June 30</time></p>") is no
    # name, and no longer hides the agency: authors +0/-0 (hidden +1/-0).
    byline_block_lines: bool = True
    # ... else the names after an author label of their own ("<strong>Autorin/Autor</strong>
    # Jane Doe", "<dt>Author</dt><dd>Jane Doe</dd>"), before trafilatura's reading too:
    # authors +1/-0 (hidden +1/-0).
    labelled_bylines: bool = True
    # With no author in the page's data, meta tags or bylines, a blog's author link whose
    # text is its author page's slug ("/author/freeman1984/" showing "freeman1984",
    # WordPress's hCard), before trafilatura's reading (which drops the digits): the handle
    # or first name the site signs with. Authors +9/-0 on unseen sites, +0/-0 on fundus-dev
    # (linked authors hidden too).
    author_page_handles: bool = True
    # With no author in JSON-LD or byline links, citation_author / dc.creator meta tags
    # ("Brazil, Rachel": last name first, one tag per author) before trafilatura's reading
    # (which takes them for two names): authors +0/-0 (hidden +1/-0).
    scholarly_authors: bool = True
    # The author meta tags as the page writes them ("ndr.de", "JÖRG ZSCHOCHE") before
    # trafilatura's reading of them, which changes the case and spelling ("Ndr De"):
    # authors +0/-0 (hidden +3/-0; cXenseParse:author, an analytics vendor's tag, too).
    meta_author_as_written: bool = True
    # When nothing else names an author, the page's data scripts do (analytics data layers,
    # app state, JSON meta contents: "dataLayer.push({"author": "Jane Doe"})"), under a
    # well-known key only and when the value reads as people or agencies: authors +0/-0
    # (hidden +2/-0; alone it names 41 of fundus-dev's pages right and 3 otherwise).
    script_data_authors: bool = True
    # ... and before the author meta tags and trafilatura's reading (which take a
    # translator or a teaser's byline): authors +0/-0 (hidden +1/-0).
    script_data_authors_first: bool = True
    # Authors read off the page rather than its JSON-LD (meta tags, byline markup) without
    # the site's own name and dates when someone else is named ("Dirk Knop" of "Heise
    # Online; Dirk Knop"): authors +1/-0 (hidden +1/-0).
    people_over_site_names: bool = True
    # The publisher's own copy of the text (JSON-LD articleBody) as a second opinion: when it
    # covers most of what trafilatura kept, a paragraph it lacks is not the article's: body F1
    # +6/-0.
    agree_with_article_body: bool = True
    # trafilatura's text, unless the articleBody is more than twice as long (it missed the
    # article, kept a teaser): body F1 +1/-0.
    article_body_fallback: bool = True
    # The date a page's <title> or og:title carries as a part of its own ("Headline | Site |
    # 28.04.2023") when no structured date exists, before htmldate's guess from the text
    # (which takes the first date it sees, often a teaser's): dates +1/-0.
    dates_from_title: bool = True
    # A publication moment stated in UTC ("2023-11-09T05:30:59Z") is given in the zone the page
    # writes the same moment in elsewhere ("2023-11-08T23:30:59-06:00"), so its day is the one
    # its readers see: dates +4/-0 on unseen sites, +0/-0 on fundus-dev.
    page_zone: bool = True
    # With no date in the page's data, the first date shown below the headline, where pages
    # print when they were published, before htmldate's search of the whole page (which takes
    # the first date it meets, often a teaser's or a sidebar's): dates +16/-1 on unseen sites;
    # on fundus-dev (every page states its date) +0/-0, and with the date meta hidden +13/-1
    # publishers.
    date_below_headline: bool = True
    # A page with no date in its markup: htmldate's search of its text and URL ("Veröffentlicht
    # am 29.10.2021", ".../2019/01/01/..."), but not a 1 January it finds, most often a bare
    # year (a copyright line): dates +0/-0 on fundus-dev (every page has a structured date),
    # +32/-0 pages on unseen sites (tests/bench/extraction_unseen.py).
    dates_from_text: bool = True
    # Closing paragraphs that start with an author's name ("Jane Doe is a senior researcher
    # at...") are notes about the author: body F1 +4/-0 with the closing lead-ins below.
    drop_author_notes: bool = True
    # ... also when a job title comes before the name ("Korrespondentin Jane Doe berichtet
    # seit 2019 aus..."): body F1 +0/-0.
    author_notes_after_role: bool = True
    # A closing paragraph that ends with a colon ("Aktuelle Meldungen finden Sie in unserem
    # Liveblog:") introduces a box or link that is not there: dropped with the notes: body
    # F1 +2/-0 (naming the author anywhere in a closing note's first words: +1/-1, left off).
    drop_closing_lead_ins: bool = True
    # The standfirst: the page's description, when the page shows it as text and
    # trafilatura left it out (it often sits above the article's container): body F1 +33/-4.
    lead_from_description: bool = True
    # A paragraph repeated inside a longer one (a pull quote, a teaser of the standfirst):
    # body F1 +5/-1.
    drop_repeated: bool = True
    # Consent notes of embeds, subscription, app and shop offers, machine-translation notes
    # (boilerplate.is_promotion), by paragraph and by line: body F1 +10/-0.
    drop_promotions: bool = True
    # A list of sources closing the text, from its own label ("Quellen:", "Sources:") on:
    # body F1 +1/-0.
    drop_source_lists: bool = True
    # A paragraph that is an image's alt text or title is its caption, not article text:
    # body F1 +2/-0.
    drop_image_captions: bool = True


DEFAULT_OPTIONS = HtmlOptions()
_BLANK_RUNS = re.compile(r"\n{3,}")
_BLOCK_TAGS = frozenset({"p", "head", "list", "table", "quote", "div", "section", "code"})


def _text_of(element: etree._Element) -> str:
    """An element's text, <lb/> and each paragraph inside it ("<item><p>...", as blogs write
    their lists) on lines of their own; without the headings inside it, and an item without
    the list inside it (`_blocks` walks every item of a list, nested ones too)."""
    left_out = ("head", "list") if element.tag == "item" else ("head",)
    parts: list[str] = []

    def add(node: etree._Element) -> None:
        if node.tag == "lb":
            parts.append("\n")
        elif node is element or node.tag not in left_out:
            line = node is not element and node.tag == "p"
            parts.append("\n" if line else "")
            parts.append(node.text or "")
            for child in node:
                add(child)
            parts.append("\n" if line else "")
        if node is not element:
            parts.append(node.tail or "")

    add(element)
    return _lines("".join(parts))


def _lines(text: str) -> str:
    """`text` line by line clean, two paragraphs in a row one blank line apart."""
    lines = "\n".join(clean_line(line) for line in text.split("\n")).strip()
    return _BLANK_RUNS.sub("\n\n", lines)


def _drop_link_lists(tree: HtmlElement) -> None:
    """Remove every list whose items are mostly link text: menus and other articles' headlines
    ("Naturkatastrophe: <a>Santorini-Vulkan...</a>"), never the article's own text."""
    for element in list(tree.iter("ul", "ol")):
        items = [li for li in element if li.tag == "li" and li.text_content().strip()]
        if len(items) >= 2 and all(_link_share(li) >= _LINK_LIST_SHARE for li in items):
            element.drop_tree()


def _link_share(element: HtmlElement) -> float:
    total = len(element.text_content().strip())
    linked = sum(len(a.text_content().strip()) for a in element.iter("a"))
    return linked / total if total else 0.0


def _blocks(elements: Iterable[etree._Element]) -> list[tuple[str, str]]:
    """("p" or "head", text) for each block of trafilatura's output (an element's children),
    in document order."""
    blocks: list[tuple[str, str]] = []
    for element in elements:
        tag = element.tag
        if tag == "head":
            blocks.append(("head", clean_line("".join(element.itertext()))))
        elif tag == "list":
            items = (_text_of(item) for item in element.iter("item"))
            blocks.append(("p", "\n".join(i for i in items if i)))
        elif tag in ("quote", "div", "section"):
            blocks.extend(_container_blocks(element))
        elif tag == "table":
            blocks.extend(_table_blocks(element))
        elif tag != "graphic":
            blocks.append(("p", _text_of(element)))
    return [(kind, text) for kind, text in blocks if text]


def _table_blocks(table: etree._Element) -> list[tuple[str, str]]:
    """A data table as one block, a row a line with its cells apart ("1947 | Repeat
    Performance"); a layout table, whose cells hold paragraphs, block by block."""
    rows = table.findall("row")
    cells = [cell for row in rows for cell in row.findall("cell")]  # a table inside: _blocks
    if any(child.tag in _BLOCK_TAGS for cell in cells for child in cell):
        return [block for cell in cells for block in _container_blocks(cell)]
    lines = (" | ".join(filter(None, map(_cell_line, row.findall("cell")))) for row in rows)
    return [("p", "\n".join(line for line in lines if line))]


def _cell_line(cell: etree._Element) -> str:
    return " ".join(_text_of(cell).split())


def _container_blocks(container: etree._Element) -> list[tuple[str, str]]:
    """The article, a quote, a division or a layout table's cell: one paragraph when it holds
    text alone ("a <hi>word</hi> or two"), else block by block, the text between its blocks
    a paragraph of its own ("<head>1. Harris</head>Harris is known for...<p>First</p>")."""
    if not any(child.tag in _BLOCK_TAGS for child in container):
        return [("p", _text_of(container))]
    blocks: list[tuple[str, str]] = []
    run = [container.text or ""]
    for child in container:
        if child.tag in _BLOCK_TAGS:
            blocks.append(("p", _lines("".join(run))))
            blocks.extend(_blocks([child]))
            run = []
        else:
            run.append("\n" if child.tag == "lb" else _text_of(child))
        run.append(child.tail or "")
    blocks.append(("p", _lines("".join(run))))
    return [(kind, text) for kind, text in blocks if text]


def _article_parts(
    body: etree._Element, drop_furniture: bool = True
) -> tuple[list[str], list[str]]:
    """(paragraphs, headings) without furniture.

    Headings before the first paragraph are the headline, kicker or standfirst repeated
    (already the title), and the trailing paragraphs after the article's last one are
    checked with the looser "after the article" furniture rule.
    """
    blocks = _container_blocks(body)
    first = next((i for i, (kind, _) in enumerate(blocks) if kind == "p"), len(blocks))
    blocks = blocks[first:]
    if not drop_furniture:
        return [t for k, t in blocks if k == "p"], [t for k, t in blocks if k == "head"]
    end = len(blocks)
    while end and is_furniture(blocks[end - 1][1], after_article=True):
        end -= 1
    paragraphs = [
        kept
        for kind, t in blocks[:end]
        if kind == "p" and not is_furniture(t) and (kept := _without_furniture_lines(t))
    ]
    headings = [
        t for kind, t in blocks[:end] if kind == "head" and not is_furniture(t, after_article=True)
    ]
    return paragraphs, headings


def _without_furniture_lines(paragraph: str) -> str:
    """A paragraph of several lines (<br>, list items) without the lines that are furniture
    ("Veröffentlicht am 13. Mai 2026", "3 Minuten Lesezeit")."""
    lines = paragraph.split("\n")
    if len(lines) == 1:
        return paragraph
    return "\n".join(line for line in lines if not is_furniture(line))


def _without_promotions(paragraphs: list[str]) -> list[str]:
    """Without the paragraphs, and lines of a paragraph, in which the page speaks for itself
    (boilerplate.is_promotion)."""
    kept = []
    for paragraph in paragraphs:
        lines = [line for line in paragraph.split("\n") if not is_promotion(line)]
        if lines and not is_promotion(paragraph):
            kept.append("\n".join(lines))
    return kept


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _agreeing_with(paragraphs: list[str], article_body: str) -> list[str]:
    """The paragraphs most of whose words the page's articleBody has, if it has most of the
    words of all of them (else it is a teaser or cut by a paywall, and says nothing)."""
    reference = Counter(_words(article_body))
    ours = Counter(w for p in paragraphs for w in _words(p))
    if sum((ours & reference).values()) < _ARTICLE_BODY_COVERS * sum(ours.values()):
        return paragraphs
    kept = []
    for paragraph in paragraphs:
        words = _words(paragraph)
        if sum(w in reference for w in words) >= _ARTICLE_BODY_SHARE * len(words):
            kept.append(paragraph)
    return kept


def _plain(article_body: str) -> str:
    """articleBody as text, paragraphs apart: some sites put HTML in it."""
    if not _TAG.search(article_body):
        return article_body
    return html.unescape(_TAG.sub(" ", _BLOCK_END.sub("\n\n", article_body)))


def _or_article_body(paragraphs: list[str], article_body: str) -> list[str]:
    """The articleBody's paragraphs (without furniture) when it has more than twice as many
    words as `paragraphs`: trafilatura then missed most of the article."""
    if len(_words(article_body)) <= _ARTICLE_BODY_RECALL * sum(len(_words(p)) for p in paragraphs):
        return paragraphs
    parts = (clean_line(p) for p in _BLANK_LINES.split(article_body))
    return [p for p in parts if p and not is_furniture(p)]


def _with_lead(paragraphs: list[str], description: str, tree: HtmlElement) -> list[str]:
    """`description` first when the page shows it as text and `paragraphs` lack it."""
    words = " ".join(_words(description))
    if words.count(" ") + 1 < _LEAD_MIN_WORDS or words in " ".join(_words(" ".join(paragraphs))):
        return paragraphs
    body = tree.find(".//body")
    if body is None:
        return paragraphs
    shown = words in " ".join(_words(" ".join(_SHOWN_TEXTS(body))))
    return [description, *paragraphs] if shown else paragraphs


def _without_author_notes(
    paragraphs: list[str], authors: list[str], options: HtmlOptions = DEFAULT_OPTIONS
) -> list[str]:
    """Without the closing paragraphs that start with an author's name (notes about them),
    or that end with a colon: the lead-in of a box or a link that extraction left out."""
    names = [_squash(a) for a in authors if " " in a.strip()]

    def start(paragraph: str) -> str:
        words = paragraph[:120].split()
        if options.author_notes_after_role:  # "Korrespondent Jane Doe ist bei ..."
            roles = _role_words(words[:_ROLE_MAX_WORDS])
            words = words[roles.index(False) if False in roles else len(roles) :]
        return _squash(" ".join(words))[:80]

    end = len(paragraphs)
    while end > 1 and (
        any(start(paragraphs[end - 1]).startswith(n) for n in names if n)
        or (options.drop_closing_lead_ins and paragraphs[end - 1].rstrip().endswith(":"))
    ):
        end -= 1
    return paragraphs[:end]


def _without_source_list(paragraphs: list[str]) -> list[str]:
    """Without a closing list of sources and what follows it: a label of its own near the
    end ("Quellen:", "Sources:") and the list it introduces."""
    for at in range(len(paragraphs) - 1, max(len(paragraphs) - 1 - _SOURCE_LIST_MAX, 0), -1):
        if _SOURCE_LABEL.match(paragraphs[at]):
            return paragraphs[:at]
    return paragraphs


def _without_captions(paragraphs: list[str], tree: HtmlElement) -> list[str]:
    """Without the paragraphs that are an image's alt text or title (its credit after " | "
    aside): captions shown under a picture, in any language."""
    captions = set()
    for image in tree.iter("img"):
        for text in (image.get("alt"), image.get("title")):
            words = " ".join(_words(str(text or "").split(" | ")[0]))
            if words.count(" ") + 1 >= _CAPTION_MIN_WORDS:
                captions.add(words)
    return [p for p in paragraphs if " ".join(_words(p)) not in captions]


def _without_repeats(paragraphs: list[str]) -> list[str]:
    """Without the paragraphs of a few words or more that a longer paragraph contains."""
    squashed = [" ".join(_words(p)) for p in paragraphs]
    return [
        paragraph
        for paragraph, words in zip(paragraphs, squashed, strict=True)
        if words.count(" ") + 1 < _REPEAT_MIN_WORDS
        or not any(len(other) > len(words) and words in other for other in squashed)
    ]


def _without_bylines(paragraphs: list[str], first_only: bool = True) -> tuple[list[str], list[str]]:
    """(paragraphs without their byline lines, the names those lines gave: the first one's
    when `first_only`, since the later ones sign teasers and embedded items)."""
    kept: list[str] = []
    names: list[str] = []
    for paragraph in paragraphs:
        lines = []
        for line in paragraph.split("\n"):
            match = _BYLINE.match(line) if len(line) <= _BYLINE_MAX_CHARS else None
            if match and not (first_only and names):
                names.extend(split_names(match.group(1)))
            elif not match:
                lines.append(line)
        if lines:
            kept.append("\n".join(lines))
    return kept, names


def _meta(tree: HtmlElement, names: tuple[str, ...]) -> str | None:
    for meta in tree.iterfind(".//meta[@content]"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in names and (content := str(meta.get("content", "")).strip()):
            return content
    return None


def _json_ld_objects(tree: HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, nested graphs flattened, in document order."""
    objects: list[dict[str, Any]] = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        queue = deque(_json_values(script.text or ""))
        while queue:
            value = queue.popleft()
            if isinstance(value, list):
                queue.extendleft(reversed(value))
            elif isinstance(value, dict):
                objects.append(value)
                queue.extend(v for k, v in value.items() if k in ("@graph", "mainEntity"))
    return objects


def _json_values(text: str) -> list[Any]:
    """The JSON value of a script, or the values a lenient reading recovers: wrapped in
    CDATA or comment markers, raw line breaks inside strings, several values one after
    the other. What stays broken is left out (common, and harmless on one page)."""
    try:
        return [orjson.loads(text)]
    except orjson.JSONDecodeError:
        pass
    text = _JSON_WRAPPER.sub("", text)
    values: list[Any] = []
    position = _skip_space(text, 0)
    while position < len(text) and len(values) < _JSON_LD_VALUES:
        try:
            value, position = _LENIENT_JSON.raw_decode(text, position)
        except ValueError:
            break
        values.append(value)
        position = _skip_space(text, position)
    return values


def _skip_space(text: str, position: int) -> int:
    match = _JSON_GAP.match(text, position)
    return match.end() if match else position


@dataclass
class _LinkedData:
    """The page's main article object in JSON-LD, and every object by @id to resolve links."""

    article: dict[str, Any] = field(default_factory=dict)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    breadcrumbs: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def read(cls, tree: HtmlElement) -> _LinkedData:
        found = cls()
        for obj in _json_ld_objects(tree):
            if isinstance(obj.get("@id"), str) and len(obj) > 1:
                found.by_id.setdefault(obj["@id"], obj)
            kind = obj.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            is_article = any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds)
            if is_article and not found.article:
                found.article = obj
            elif "BreadcrumbList" in kinds:
                found.breadcrumbs.append(obj)
        return found

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"@id"}:
            return self.by_id.get(value["@id"], value)
        return value

    def text(self, key: str) -> str | None:
        value = self.resolve(self.article.get(key))
        if isinstance(value, dict):
            value = value.get("name")
        return html.unescape(value) if isinstance(value, str) and value.strip() else None

    def authors(self) -> list[str]:
        """Named people; organisations only when no person is named (a desk, an agency)."""
        value = self.article.get("author")
        people: list[str] = []
        organisations: list[str] = []
        entries = value if isinstance(value, list) else [value]
        # Flattened: some pages nest a list of authors inside the list.
        entries = [e for x in entries for e in (x if isinstance(x, list) else [x])]
        for entry in map(self.resolve, entries):
            if isinstance(entry, str):
                people.extend(split_names(entry))
            elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
                kind = str(entry.get("@type") or "Person")
                names = split_names(html.unescape(entry["name"]))
                (people if kind == "Person" else organisations).extend(names)
        return people or organisations


def _only_the_site(authors: list[str], site_names: set[str]) -> bool:
    """Whether `authors` names nobody but the publisher itself ("STERN.de", "n-tv
    NACHRICHTEN"), or nobody at all: an agency ("dpa") or a person is a byline of its own."""
    return all(_is_site_part(a, site_names) for a in authors)


def _people_over_site_names(names: list[str], site_names: set[str]) -> list[str]:
    """Without the site's own name ("Heise Online", "MDR THÜRINGEN", "TIMESOFINDIA COM") and
    dates ("Sep 2") when a byline read off the page also names someone else."""
    others = [
        n
        for n in names
        if not _is_site_part(n, site_names)
        and not _starts_with_site(n, site_names)
        and not any(ch.isdigit() for ch in n)
    ]
    return others or names


def _without_site_address(names: list[str], site_names: set[str]) -> list[str]:
    """After the site's own name, its address: "hessenschau.de, Frankfurt, Germany" names
    no one in Frankfurt (a person or an agency after it still counts)."""
    if not names or not _is_site_part(names[0], site_names):
        return names
    return [names[0], *(n for n in names[1:] if _name_shaped(n) or n.lower() in _AGENCIES)]


def _starts_with_site(name: str, site_names: set[str]) -> bool:
    squashed = _squash(name)
    return any(len(site) >= 3 and squashed.startswith(site) for site in site_names)


def _byline_in_markup(
    tree: HtmlElement,
    skip_teasers: bool = True,
    without_places: bool = True,
    agencies_alone: bool = True,
) -> list[str]:
    """The names of the page's first byline element (class "author"/"byline", itemprop or
    rel "author") that reads as a byline: "Von Seb Dumitru", "By Jane Doe and John Roe", or
    (`agencies_alone`) news agencies without a "by" word ("dpa", "AFP, Reuters"); not a
    teaser's (inside a link or an article card within the article). Not only above the
    text: many sites sign their articles at the end."""
    for element in _BYLINE_ELEMENTS(tree):
        if skip_teasers and _TEASER_BYLINE(element):
            continue
        text = clean_line(element.text_content())
        if len(text) > _BYLINE_MAX_CHARS:
            continue
        if match := _BYLINE.match(text):
            names = split_names(match.group(1))
            return _without_places(names) if without_places else names
        names = split_names(text) if agencies_alone else []
        if names and all(n.lower() in _AGENCIES for n in names):
            return names
    return []


def _byline_anywhere(tree: HtmlElement, without_places: bool = True) -> list[str]:
    """The names of people (or agencies) in the first short element below the headline,
    whatever its class, whose text reads as a byline whole ("Von Leonora Holling", "Par
    Matthieu Hy"); not a teaser's."""
    for text in _texts_below_headline(tree):
        if not _BYLINE_START.match(text):
            continue
        element = text.getparent()
        if text.is_tail:
            element = element.getparent()
        for _ in range(_BYLINE_START_LEVELS):
            if element is None or _TEASER_BYLINE(element):
                break
            line = _text_up_to(element, _BYLINE_MAX_CHARS)
            if line is None:
                break
            if match := _BYLINE.match(line):
                names = split_names(match.group(1))
                names = _without_places(names) if without_places else names
                people = all(_name_shaped(n) or n.lower() in _AGENCIES for n in names)
                return names if names and people else []
            element = element.getparent()
    return []


def _texts_below_headline(tree: HtmlElement) -> Iterator[Any]:
    """The shown text nodes below the page's first <h1> (lxml's strings, which know their
    element), up to _BELOW_HEADLINE_CHARS of text: where a byline and a date line sit."""
    read = 0
    for text in _BELOW_HEADLINE(tree):
        read += len(text.strip())
        if read > _BELOW_HEADLINE_CHARS:
            return
        yield text


def _not_only_teasers(names: list[str], tree: HtmlElement) -> list[str]:
    """`names`, unless each of them is only named by teasers' bylines (inside a link, an
    article card within the article, a box of related articles): then no one."""
    teasers: set[str] = set()
    for element in _BYLINE_ELEMENTS(tree):
        text = clean_line(element.text_content())
        if len(text) > _BYLINE_MAX_CHARS or not (match := _BYLINE.match(text)):
            continue
        if not _TEASER_BYLINE(element):
            return names  # the page's own byline is there too
        teasers.update(_squash(n) for n in split_names(match.group(1)))
    return [] if all(_squash(n) in teasers for n in names) else names


def _without_places(names: list[str]) -> list[str]:
    """Without the one-word parts of a byline beside a person that are no news agency: the
    place it was written in ("Von Anna Schmidt, Frankfurt")."""
    if not any(map(_name_shaped, names)):
        return names
    return [n for n in names if " " in n or n.lower() in _AGENCIES]


def _labelled_byline(tree: HtmlElement) -> list[str]:
    """The names after an author label of their own ("<strong>Autorin/Autor</strong> Roman
    Gonch", "<dt>Author</dt><dd>Jane Doe</dd>"), when they read as names only."""
    for label in _LABEL_ELEMENTS(tree):
        # A label is a few nodes at most: never the text of a deep (hostile) nesting.
        if len(list(itertools.islice(label.iter(), _LABEL_MAX_NODES + 1))) > _LABEL_MAX_NODES:
            continue
        if not _AUTHOR_LABEL.match(clean_line(label.text_content())):
            continue
        if label.tag in ("dt", "th"):
            value = label.getnext()
            text = clean_line(value.text_content()) if value is not None else ""
        else:
            parent = label.getparent()
            whole = clean_line(parent.text_content()) if parent is not None else ""
            text = whole.removeprefix(clean_line(label.text_content())).strip()
        names = split_names(text) if len(text) <= _BYLINE_MAX_CHARS else []
        if names and all(map(_name_shaped, names)):
            return names
    return []


def _author_page_slugs(link: HtmlElement) -> list[str]:
    """The letters of the slugs after a directory of people in the link's path: one or two,
    since "/journalist/123/Jon-King" puts an id between the directory and the name."""
    segments = [s for s in urlsplit(str(link.get("href"))).path.split("/") if s]
    return [
        _letters(unquote(slug))
        for at, directory in enumerate(segments)
        if _AUTHOR_DIRECTORY.match(directory.lower())
        for slug in segments[at + 1 : at + 3]
    ]


def _author_link_name(link: HtmlElement) -> str | None:
    """The name a link shows when it leads to that person's page in a directory of people
    (the slug starts with the name: "/team/martin-murphycorrectiv-org/" too)."""
    slugs = _author_page_slugs(link)
    if not slugs:
        return None  # most links: the href alone rules them out, the text is never read
    name = clean_line(link.text_content())
    if not _name_shaped(name):
        return None
    # The slug of "Dr. Max Kolter" is "max-kolter"; of "Jörg Müller", "joerg-mueller".
    bare = " ".join(w for w in name.split() if not w.endswith("."))
    wanted = {_squash(n) for n in (name, bare, bare.lower().translate(_TRANSLITERATED))}
    return name if any(slug.startswith(w) for slug in slugs for w in wanted if w) else None


def _author_page_handle(tree: HtmlElement) -> list[str]:
    """The name the page's first author link shows (rel="author", or inside an element of
    class "author": WordPress's hCard; outside menus, lists and teasers) when it is the slug
    of that author's page: a blog's "freeman1984" or "Daniel", which no byline pattern takes
    for a name."""
    for link in _AUTHOR_LINKS(tree):
        parent = link.getparent()
        marked = "author" in str(link.get("rel") or "").split() or (
            parent is not None and "author" in str(parent.get("class") or "")
        )
        if not marked or _TEASER_BYLINE(link):
            continue
        name = clean_line(link.text_content())
        if _letters(name) in _author_page_slugs(link) and not _NOT_A_NAME.search(name):
            return [name]
    return []


def _microdata_authors(tree: HtmlElement) -> list[str]:
    """The authors the page's microdata names: the elements of itemprop "author" of the
    first article item that has any (a Person's itemprop "name" inside, else the element's
    own text), not a teaser's, when they read as people or agencies. A comment is an item
    of its own, of another type."""
    names: list[str] = []
    owner = None
    for element in _MICRODATA_AUTHORS(tree):
        if _TEASER_BYLINE(element) or "organization" in str(element.get("itemtype")).lower():
            continue  # an organisation: the publisher, as a rule
        item = next(iter(_ITEM_OF(element)), None)
        if item is None or not _ARTICLE_TYPES.search(str(item.get("itemtype") or "")):
            continue  # a comment's author, a review's
        if owner is not None and item is not owner:
            break
        named = next(iter(_ITEM_NAME(element)), element)
        value = named.get("content") or _text_up_to(named, _BYLINE_MAX_CHARS) or ""
        found = split_names(value)  # "By Jane Doe" too
        if found and all(_name_shaped(n) or n.lower() in _AGENCIES for n in found):
            owner = item
            names.extend(found)
    return names


def _vcard_authors(tree: HtmlElement) -> list[str]:
    """The names of the first author's hCard that is not a teaser's ("fn" inside "author
    vcard"): people, agencies or a blog's nickname, as the page writes them."""
    for element in _VCARD_AUTHOR_NAMES(tree):
        if _TEASER_BYLINE(element):
            continue
        if names := split_names(_text_up_to(element, _BYLINE_MAX_CHARS) or ""):
            return names
    return []


def _scholarly_authors(tree: HtmlElement) -> list[str]:
    """The authors of citation_author / dc.creator meta tags, which write "Last, First":
    one tag per author, "Brazil, Rachel" -> "Rachel Brazil"."""
    names: list[str] = []
    for meta in tree.iterfind(".//meta[@content]"):
        if (meta.get("name") or meta.get("property") or "").lower() in _SCHOLARLY_AUTHOR_META:
            last, comma, first = clean_line(str(meta.get("content"))).partition(",")
            name = f"{first.strip()} {last.strip()}" if comma and "," not in first else ""
            if _name_shaped(name):
                names.append(name)
    return names


def _script_data(tree: HtmlElement) -> Iterator[Any]:
    """The JSON values of the page's data scripts and JSON meta contents, in document order;
    scripts longer than _SCRIPT_DATA_MAX_CHARS skipped, at most _SCRIPT_DATA_TRIES values
    tried and _SCRIPT_DATA_BUDGET characters decoded (a hostile page's thousands of
    assignments are not each read through)."""
    budget = _SCRIPT_DATA_BUDGET
    tries = _SCRIPT_DATA_TRIES
    for element in tree.iter("script", "meta"):
        is_meta = element.tag == "meta"
        text = str(element.get("content") or "") if is_meta else element.text or ""
        if len(text) > _SCRIPT_DATA_MAX_CHARS:
            continue
        if is_meta:
            text = text.strip()
            starts: Iterable[int] = [0] if text.startswith("{") else []
        else:
            kind = str(element.get("type") or "").lower()
            if "ld+json" in kind:
                continue
            if "json" in kind:
                text = text.strip()
                starts = [0]
            else:
                starts = (m.end() for m in _SCRIPT_ASSIGNMENT.finditer(text))
        for start in starts:
            if budget <= 0 or tries <= 0:
                return
            tries -= 1
            try:
                value, end = _JSON_DECODER.raw_decode(text, start)
            except json.JSONDecodeError as error:  # JavaScript, not JSON: never read as text
                budget -= error.pos - start
                continue
            except RecursionError:  # nested deeper than the parser goes: no page data
                budget -= len(text) - start
                continue
            budget -= end - start
            yield value


def _script_data_authors(tree: HtmlElement) -> list[str]:
    """The authors the page's data scripts name under a well-known key ("author", "authors",
    "authorName", "contentAuthor", "byline"...): the shallowest such key of the first script
    that has one whose value reads as people or news agencies only."""
    for data in _script_data(tree):
        queue: deque[tuple[Any, int]] = deque([(data, 0)])
        while queue:
            value, depth = queue.popleft()
            if depth > _SCRIPT_DATA_DEPTH:
                break
            items: Iterable[tuple[Any, Any]] = ()
            if isinstance(value, dict):
                items = value.items()
            elif isinstance(value, list):
                items = enumerate(value[:_SCRIPT_DATA_ITEMS])
            for key, child in items:
                if isinstance(key, str) and key.lower().replace("_", "") in _SCRIPT_AUTHOR_KEYS:
                    names = _names_in_data(child)
                    if names and all(_name_shaped(n) or n.lower() in _AGENCIES for n in names):
                        return names
                if isinstance(child, dict | list):
                    queue.append((child, depth + 1))
    return []


def _names_in_data(value: Any) -> list[str]:
    """The names an author value of page data gives: "A|B", "A, B", ["A", "B"], {"name": "A"},
    [{"name": "A"}]; "Jane Doe (jdo)" without the initials."""
    entries = value[:_SCRIPT_DATA_ITEMS] if isinstance(value, list) else [value]
    names: list[str] = []
    for entry in entries:
        if isinstance(entry, dict):
            entry = entry.get("name")
        if not isinstance(entry, str) or len(entry) > _BYLINE_MAX_CHARS:
            return []
        for part in _PARENTHESISED.sub("", html.unescape(entry)).split("|"):
            names.extend(split_names(part))
    return names


def _name_shaped(text: str) -> bool:
    """Two to five words, each capitalised or a particle ("van", "de"), no digits."""
    words = text.split()
    return (
        2 <= len(words) <= _AUTHOR_NAME_MAX_WORDS
        and not any(ch.isdigit() for ch in text)
        and all(w[0].isupper() or w in _NAME_PARTICLES for w in words)
        and not any(_role_words(words))
    )


def _role_words(words: list[str]) -> list[bool]:
    """Which words are a job title: its nouns, and the words qualifying one next to it
    ("Senior" in "Senior Reporter"; "News" alone is not one)."""
    nouns = [bool(_ROLE_NOUN.match(w)) for w in words]
    roles = list(nouns)
    either = [noun or bool(_ROLE_MODIFIER.match(w)) for noun, w in zip(nouns, words, strict=True)]
    for start, end in _runs(either):
        if any(nouns[start:end]):
            roles[start:end] = [True] * (end - start)
    return roles


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """(start, end) of each run of consecutive true flags."""
    runs: list[tuple[int, int]] = []
    for at, flag in enumerate(flags):
        if flag and runs and runs[-1][1] == at:
            runs[-1] = (runs[-1][0], at + 1)
        elif flag:
            runs.append((at, at + 1))
    return runs


def _letters(slug: str) -> str:
    """A URL slug's letters: "yasmine-hassan-1.4736637" -> "yasminehassan"."""
    return "".join(ch for ch in _squash(slug) if ch.isalpha())


def _author_links(tree: HtmlElement, by_lines: bool = True) -> list[str]:
    """The page's byline, found by its links to its authors' own pages (outside menus and
    lists): the names of the block around the first such link when that block is nothing but
    a list of names with the linked ones among them ("A, B und C", some without a link),
    else the linked names in it. `by_lines`: only the block's lines with an author link count
    (the date in an element of its own beside the names is no name)."""
    links = [
        (a, n) for a in _AUTHOR_LINKS(tree) if (n := _author_link_name(a)) and not _in_prose(a)
    ]
    if not links:
        return []
    block, listed = links[0][0], None
    for _ in range(_BYLINE_BLOCK_LEVELS):
        parent = block.getparent()
        if parent is None or len(parent.text_content()) > _BYLINE_BLOCK_MAX_CHARS:
            break
        block = parent
        inside = set(block.iter("a"))
        linked = {n for a, n in links if a in inside}
        lines = _lines_with(block, inside) if by_lines else [block.text_content()]
        named = [name for line in lines for name in split_names(clean_line(line))]
        people = all(_name_shaped(n) or n.lower() in _AGENCIES for n in named)
        if people and linked <= set(named):
            listed = named
    inside = set(block.iter("a"))
    return listed or [name for link, name in links if link in inside]


def _lines_with(element: HtmlElement, links: set[HtmlElement]) -> list[str]:
    """The lines of the element's text that hold one of `links`: a line break around each
    element that is not inline text (a <p>, <div>, <li>) and around a <time>, never part of
    a name."""
    parts: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        tag = node.tag if isinstance(node.tag, str) else "span"  # a comment breaks no line
        breaks = node is not element and (tag not in _INLINE_TAGS or tag == "time")
        if event == "start":
            parts.append("\n" if breaks else "")
            parts.append(_LINK_MARK if node in links else "")
            parts.append(node.text or "" if isinstance(node.tag, str) else "")
        else:
            parts.append("\n" if breaks else "")
            parts.append(node.tail or "" if node is not element else "")
    lines = "".join(parts).split("\n")
    return [line.replace(_LINK_MARK, "") for line in lines if _LINK_MARK in line]


def _in_prose(link: HtmlElement) -> bool:
    """Whether a link sits in a sentence of the text ("Chancellor <a>Olaf Scholz</a> said on
    Monday that..."), which a byline never is: its block has more lower-case words besides
    the link than a byline's "von ... und ..., mit Material von dpa"."""
    block = link.getparent()
    while block is not None and block.tag in _INLINE_TAGS:
        block = block.getparent()
    if block is None:
        return False
    text = _text_up_to(block, _BYLINE_BLOCK_MAX_CHARS)
    if text is None:
        return True  # longer than any byline
    others: list[str] = _WORD.findall(text.replace(clean_line(link.text_content()), " ", 1))
    return sum(w[0].islower() for w in others if not w.isdigit()) > _BYLINE_LOWER_WORDS


def _text_up_to(element: HtmlElement, limit: int) -> str | None:
    """The element's text if it has at most `limit` characters, else None: read no further
    (a hostile page's thousands of links in one block are not read once each)."""
    parts: list[str] = []
    size = 0
    for part in _shown_text(element):
        size += max(len(part.strip()), 1)  # indentation is no text, but counts as a step
        if size > limit:
            return None
        parts.append(part)
    return clean_line("".join(parts))


def _shown_text(element: HtmlElement) -> Iterator[str]:
    """The element's text as a reader sees it: not the code of a script or style inside it
    (a byline's e-mail obfuscator), nor comments."""
    for node in element.iter():
        if isinstance(node.tag, str) and node.tag not in _UNSHOWN_TAGS and node.text:
            yield node.text
        if node is not element and node.tail:
            yield node.tail


def split_names(value: str) -> list[str]:
    """Split "Felix Schroeder und Joerg Soldwisch, dpa" into names; drop URLs, e-mails and
    job titles ("Jane Doe, Senior Reporter", "Redakteur Max Muster")."""
    value = _without_date(_text_credits(_GENERATION_SUFFIX.sub(" ", value)))
    names = (
        _BYLINE_PREFIX.sub("", clean_line(n).strip(_QUOTE_MARKS).strip())
        for n in _NAME_SEPARATORS.split(value)
    )
    return [
        bare
        for n in names
        if n and not _NOT_A_NAME.search(n)
        if (bare := _without_role(_without_organisation(_without_dateline_place(n))))
    ]


def _text_credits(value: str) -> str:
    """Of a line of credits, the names it gives the text: "Rob Ewaschuk Edited by Betsy
    Beyer" -> "Rob Ewaschuk"; "Medically reviewed by A - Written by B" -> "B"."""
    credits = list(_CREDIT.finditer(value))
    if not credits:
        return value
    kept = [value[: credits[0].start()]]
    for credit, following in zip(credits, [*credits[1:], None], strict=True):
        if credit.group(1).lower() in _TEXT_CREDITS:
            kept.append(value[credit.end() : following.start() if following else None])
    return ", ".join(bare for part in kept if (bare := part.strip(_LIST_MARKS)))


def _without_date(value: str) -> str:
    """A byline without the date run into it: "Nathan Willis March 25, 2015", "Joe Wee
    Monday, February 12" -> the names."""
    date = _DATE_AFTER_NAMES.search(value)
    return value[: date.start()].rstrip(_LIST_MARKS) if date else value


def _without_dateline_place(name: str) -> str:
    """A name without the place it was reported from: "Associated Press in Valencia",
    "Shaun Walker in Kyiv" -> the agency or the person, when that is what is left."""
    cut = _REPORTED_IN.search(name)
    if cut is None:
        return name
    bare = name[: cut.start()]
    return bare if _name_shaped(bare) or bare.lower() in _AGENCIES else name


def _without_organisation(name: str) -> str:
    """A name without the organisation run into it or written for: "Vasilisa Stepanenko The
    Associated Press" (a byline's spans read as one line), "Jane Doe For Example.com"."""
    cut = _ORGANISATION_AFTER_NAME.search(name)
    return name[: cut.start()] if cut and _name_shaped(name[: cut.start()]) else name


def _without_role(name: str) -> str:
    """A name without the job title before or after it: "Redakteur Max Muster", "Holger
    Mann Leitender Wirtschaftsredakteur" -> the name, when what is left is shaped like one
    ("Guardian staff reporter" stays; a title alone, "Senior Reporter", becomes "")."""
    words = name.split()
    roles = _role_words(words)
    if all(roles):
        return ""
    first = roles.index(False)
    last = roles.index(True, first) if True in roles[first:] else len(words)
    bare = " ".join(words[first:last])
    return bare if bare != name and _name_shaped(bare) else name


def _dedupe_names(names: list[str]) -> list[str]:
    """Keep the first spelling of each name ("Sophie Foster" and the slug "Sophie-Foster")."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(_squash(name), name)
    return list(seen.values())


def _squash(text: str) -> str:
    """Lower-case letters and digits only, accents dropped: for comparing names."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def _site_names(url: str | None, *names: str | None) -> set[str]:
    squashed = {_squash(n) for n in names if n}
    host = urlsplit(url or "").hostname or ""
    labels = [label for label in host.split(".")[:-1] if label not in _GENERIC_DOMAIN_LABELS]
    squashed.update(_squash(label) for label in labels)
    squashed.add(_squash("".join(labels)))
    squashed.add(_squash(host.removeprefix("www.")))  # "| MDR.DE", "- Globalnews.ca"
    return {n for n in squashed if len(n) >= 2}


def _is_site_part(part: str, site_names: set[str]) -> bool:
    squashed = _squash(part)
    if _DATE_LIKE.match(part.strip()):
        return True
    return bool(squashed) and any(
        SequenceMatcher(None, squashed, name).ratio() >= _SITE_NAME_SIMILARITY
        for name in site_names
    )


def _is_qualified_site_part(part: str, site_names: set[str]) -> bool:
    """The site's name with one word before or after it: "CBC News" on a site named CBC."""
    words = part.split()
    if not 2 <= len(words) <= _QUALIFIED_SITE_MAX_WORDS:
        return False
    return any(
        _is_site_part(rest, site_names) and not _DATE_LIKE.match(rest)
        for rest in (" ".join(words[1:]), " ".join(words[:-1]))
    )


def strip_site_name(
    title: str,
    site_names: set[str],
    *,
    qualified: bool = False,
    sections: frozenset[str] = frozenset(),
) -> str:
    """Reduce "Headline | Site", "Headline (Site)" and "Site - Headline" to "Headline" (a
    date part too); `qualified`: "Headline | Site News" too; "Headline | Site | Politics"
    when Politics is one of the (squashed) `sections`."""

    def is_site(part: str) -> bool:
        return _is_site_part(part, site_names) or (
            qualified and _is_qualified_site_part(part, site_names)
        )

    title = _TRAILING_SEPARATOR.sub("", title)
    bracketed = _BRACKETED_END.search(title)
    in_brackets = bracketed.group(1) if bracketed else ""
    # Only a name: "Part (3)" and "Review (2021)" keep their numbers.
    if (
        bracketed
        and bracketed.start() > 0
        and not _DATE_LIKE.match(in_brackets)
        and is_site(in_brackets)
    ):
        title = title[: bracketed.start()]
    after_site = False
    while True:
        parts = list(_TITLE_SEPARATOR.finditer(title))
        if not parts:
            return title
        last = title[parts[-1].end() :]
        # Between the headline and the site's name, a channel's: "标题_科技_腾讯网".
        channel = after_site and _CJK_CHANNEL.match(last) is not None
        site_shaped = _CJK_SITE_NAME.match(last) is not None
        if is_site(last) or _squash(last) in sections or channel or site_shaped:
            title = title[: parts[-1].start()]
            after_site = True
        elif is_site(title[: parts[0].start()]):
            title = title[parts[0].end() :]
        else:
            return title


def _without_page_suffix(title: str, others: list[str]) -> str:
    """The title without what it adds after a separator to another of the page's own titles
    ("Headline | Sport" when og:title is "Headline"): the page's section or site."""
    for other in sorted(others, key=len, reverse=True):
        rest = title[len(other) :]
        if other and title.startswith(other) and _TITLE_SEPARATOR.match(" " + rest.lstrip()):
            return other
    return title


def _shared_headline(title: str, headline: str, og_title: str) -> str:
    """The one of the JSON-LD headline and og:title that the other contains, when `title` is
    one of them: the headline both state, without the kicker ("Neue Leipziger Schule: ...")
    or the trailing clause ("... in battling win over Tottenham") only one adds."""
    longer, shorter = sorted((headline, og_title), key=len, reverse=True)
    if _squash(title) not in (_squash(headline), _squash(og_title)):
        return title
    if len(shorter.split()) < _SHARED_HEADLINE_MIN_WORDS or _squash(shorter) == _squash(longer):
        return title
    return shorter if _squash(shorter) in _squash(longer) else title


def _untruncated(title: str, others: list[str], title_tag: str | None) -> str:
    """The longest of `others` that `title` is a cut of ("Headline that goes on…"). A title
    without an ellipsis may be cut where an unescaped quote mark ended a meta tag's
    attribute ('Senator calls rival' of 'Senator calls rival "unfit"'): then the first of
    `others` and the <title> tag that goes on from it with a quote mark."""
    if not _TRUNCATED.search(title):
        cut_at_quote = (
            o
            for o in [*others, title_tag or ""]
            if title and o.startswith(title) and o[len(title) :].lstrip()[:1] in "\"'"
        )
        return next(cut_at_quote, title)
    stem = _squash(_TRUNCATED.sub("", title))
    longer = [o for o in others if len(_squash(o)) > len(stem) and _squash(o).startswith(stem)]
    return max(longer, key=len) if stem and longer else title


def _sections(tree: HtmlElement, linked: _LinkedData) -> frozenset[str]:
    """The page's own section names, squashed: JSON-LD articleSection, article:section and
    the JSON-LD breadcrumb's items."""
    values: list[Any] = [linked.article.get("articleSection"), _meta(tree, ("article:section",))]
    for crumb in linked.breadcrumbs:
        items = crumb.get("itemListElement")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                values.append(item.get("name") or linked.resolve(item.get("item")))
    names: set[str] = set()
    for value in values:
        for name in value if isinstance(value, list) else [value]:
            if isinstance(name, dict):
                name = name.get("name")
            if isinstance(name, str) and (squashed := _squash(name)):
                names.add(squashed)
    return frozenset(names)


def _without_section_prefix(title: str, sections: frozenset[str]) -> str:
    """The title without "Politics: " before the headline when the page's section is Politics."""
    separator = _PREFIX_SEPARATOR.search(title)
    if not separator or not title[separator.end() :].strip():
        return title
    in_section = _squash(title[: separator.start()]) in sections
    return title[separator.end() :] if in_section else title


def _consensus_title(sources: list[str | None], site_names: set[str], options: HtmlOptions) -> str:
    """The title most sources agree on (site names stripped); ties go to the earlier one."""
    titles = [clean_line(t) for t in sources if t and t.strip()]
    if options.strip_site_names:
        qualified = options.site_name_qualifiers
        titles = [strip_site_name(t, site_names, qualified=qualified) for t in titles]
    keys = [_squash(t) for t in titles]
    best = max(range(len(titles)), key=lambda i: (keys.count(keys[i]), -i), default=None)
    return titles[best] if best is not None else ""


def _title(
    tree: HtmlElement,
    linked: _LinkedData,
    trafilatura_title: str | None,
    site_names: set[str],
    options: HtmlOptions,
) -> str:
    """The article's headline without the site's name or the section's. `trafilatura_title`
    is trafilatura's pick: a meta title (og:title...), else the JSON-LD headline, a lone
    <h1>, the <title> tag."""

    @functools.cache  # the same few titles, asked for by several rules
    def bare(title: str) -> str:
        return strip_site_name(
            clean_line(title), site_names, qualified=qualified, sections=suffixes
        )

    qualified = options.site_name_qualifiers
    sections = _sections(tree, linked)
    suffixes = sections if options.strip_section_suffixes else frozenset()
    title_tag, og_title = _title_tag(tree), _meta(tree, ("og:title",))
    stated = (title_tag, og_title) if options.h1_by_title_tag else None
    h1 = _first_h1(tree, options.h1_kicker_separator, stated)
    if options.headline_below_section_h1 and h1:
        h1 = _headline_below(tree, h1, [bare(t) for t in (title_tag, og_title) if t])
    # The headline as the publisher states it for machines first (trafilatura's own pick
    # puts og:title before it: HtmlOptions.headline_first).
    candidates = (linked.text("headline"), og_title, h1)
    sources = [*candidates, trafilatura_title]
    guess = trafilatura_title
    if options.title_tag_before_guesses and not any(t and t.strip() for t in candidates):
        guess = title_tag or guess
    if options.title_consensus:
        return _consensus_title(sources, site_names, options)
    title_source = next(
        (t for t in candidates if options.headline_first and t and t.strip()),
        guess or "",
    )
    title = clean_line(title_source)
    if options.strip_site_names:
        title = strip_site_name(title, site_names, qualified=qualified, sections=suffixes)
    others = [bare(t) for t in sources if t]
    others = [t for t in others if t and t != title]
    if options.strip_page_suffixes:
        title = _without_page_suffix(title, others)
    if options.shared_headline and candidates[0] and candidates[1]:
        title = _shared_headline(title, bare(candidates[0]), bare(candidates[1]))
    if options.headline_shown and h1:
        shown = _squash(bare(h1))
        if _squash(title) != shown:
            twitter = _meta(tree, ("twitter:title",))
            agreeing = (bare(t) for t in [*sources, twitter] if t)
            title = next((t for t in agreeing if _squash(t) == shown), title)
    if options.untruncate_titles:
        title = _untruncated(title, others, bare(title_tag) if title_tag else None)
    if options.strip_section_prefixes:
        title = _without_section_prefix(title, sections)
    return title


def _title_tag(tree: HtmlElement) -> str | None:
    tag = tree.find(".//title")
    return tag.text_content() if tag is not None else None


def _first_h1(
    tree: HtmlElement, kicker_separator: bool, stated: tuple[str | None, ...] | None
) -> str | None:
    """The first <h1> with text (an empty one holds a logo); given the page's `stated`
    titles (<title>, og:title), of several the one most of whose words they repeat. With
    `kicker_separator`, "Kicker: Headline" when it is made of a kicker element and a
    headline element with nothing between them."""
    headings = [h for h in tree.iter("h1") if h.text_content().strip()]
    if not headings:
        return None
    heading = headings[0]
    if stated is not None and len(headings) > 1:
        heading = _headline_h1(headings, stated)
    parts = _h1_parts(heading) if kicker_separator else []
    if len(parts) == 2:
        return f"{parts[0]} {parts[1]}" if _ENDS_CLAUSE.search(parts[0]) else ": ".join(parts)
    return " ".join(heading.text_content().split())


def _headline_below(tree: HtmlElement, h1: str, stated: list[str]) -> str:
    """`h1`, unless it shares no word with the page's `stated` titles (<title>, og:title,
    without the site's name) and an <h2> or <h3> reads as one of them: then that heading."""

    def words(text: str) -> set[str]:  # not "and", "the": they say nothing of the topic
        return {w for w in _title_words(text) if len(w) > 3}

    stated_words = words(" ".join(stated))
    if not stated_words or stated_words & words(h1):
        return h1
    # A headline, not a section's name: "Aktuelles" of "Aktuelles - Site" is no better.
    wanted = {_squash(t) for t in stated if len(t.split()) >= _SHARED_HEADLINE_MIN_WORDS}
    for heading in _SUBHEADINGS(tree):
        text = clean_line(heading.text_content())
        if _squash(text) in wanted:
            return text
    return h1


def _headline_h1(headings: list[HtmlElement], stated: tuple[str | None, ...]) -> HtmlElement:
    """Of several <h1>s (a menu's, the site's, the headline), the one that shares the most
    words with the page's `stated` titles, at least half of its own; else the first."""
    stated_words = _title_words(" ".join(t for t in stated if t))
    best, best_shared = headings[0], 0
    for heading in headings:
        words = _title_words(heading.text_content())
        shared = len(words & stated_words)
        if shared > best_shared and 2 * shared >= len(words):
            best, best_shared = heading, shared
    return best


def _title_words(text: str) -> set[str]:
    """A title's words, case aside and soft hyphens gone (clean_line drops them)."""
    return set(_WORD.findall(clean_line(text).casefold()))


def _h1_parts(heading: HtmlElement) -> list[str]:
    """The texts of the heading's two child elements when they hold all of its text
    (through wrappers of a single element); else none."""
    element = heading
    while True:
        children = list(itertools.islice((c for c in element if isinstance(c.tag, str)), 3))
        if len(children) > 2:
            return []
        loose = [element.text, *(c.tail for c in children)]
        if any(text and text.strip() for text in loose):
            return []
        if len(children) != 1:
            break
        element = children[0]
    texts = [" ".join(c.text_content().split()) for c in children]
    return texts if len(texts) == 2 and all(texts) else []


def _date_in_title(tree: HtmlElement) -> str | None:
    """A part of og:title or <title> that is only a full date ("Headline | DW | 28.04.2023")."""
    for title in (_meta(tree, ("og:title",)), _title_tag(tree)):
        parts = _TITLE_SEPARATOR.split(clean_line(title or ""))[1:]
        if date := next((p for p in parts if _FULL_DATE.match(p)), None):
            return date
    return None


def _published_at(
    tree: HtmlElement,
    page: str,
    linked: _LinkedData,
    fallback: str | None,
    options: HtmlOptions,
) -> datetime | None:
    """The first parseable of: JSON-LD, meta tags, microdata, a date part of the title, the
    date shown below the headline (HtmlOptions.date_below_headline), htmldate's finding (from
    the text too: HtmlOptions.dates_from_text). A stated moment in UTC takes the page's own
    zone when the page writes it so too (HtmlOptions.page_zone)."""
    microdata = next(
        (
            el.get("datetime") or el.get("content")
            for el in tree.iterfind(".//*[@itemprop='datePublished']")
            if el.get("datetime") or el.get("content")
        ),
        None,
    )
    stated = (
        linked.article.get("datePublished"),
        _meta(tree, PUBLISHED_META),
        microdata,
        _date_in_title(tree) if options.dates_from_title else None,
    )
    for value in stated:
        if isinstance(value, str) and (parsed := parse_date(value)) is not None:
            return _as_the_page_dates_it(parsed, page, stated) if options.page_zone else parsed
    if options.date_below_headline and (shown := _date_below_headline(tree)) is not None:
        return shown
    found = parse_date(fallback) if fallback else None
    if found is not None and options.dates_from_text and _first_of_year(found):
        return None  # a year alone, read as its first day
    return found


def _date_below_headline(tree: HtmlElement) -> datetime | None:
    """The first date written below the headline, where pages show when they were published
    ("05.02.2020 - Redaktion: ...", "19. November 2021"): a short text that htmldate reads
    as a whole date, in any of its languages and formats."""
    for text in _texts_below_headline(tree):
        line = text.strip()
        if _DATE_TEXT_MIN_CHARS <= len(line) <= _DATE_TEXT_MAX_CHARS and (
            day := try_date_expr(line, "%Y-%m-%d", False, _EARLIEST_DAY, datetime.now())
        ):
            return parse_date(day)
    return None


def _as_the_page_dates_it(moment: datetime, page: str, stated: Iterable[object]) -> datetime:
    """A moment stated in UTC, in the zone the page writes the same moment in elsewhere: a
    story of 23:30 in Minnesota is dated the 8th by its readers, the 9th in UTC."""
    if moment.utcoffset() != timedelta(0):
        return moment
    stated_moments = (parse_date(v) for v in stated if isinstance(v, str))
    for local in itertools.chain(stated_moments, _moments_written_around(page, moment)):
        if local is not None and local.utcoffset() and local == moment:
            return local
    return moment


def _moments_written_around(page: str, moment: datetime) -> Iterator[datetime | None]:
    """The zoned moments the page writes on the moment's day or the days beside it: found by
    their day's text ("2023-11-08T"), not by reading the whole page with a pattern."""
    for days in (-1, 0, 1):
        day = f"{(moment + timedelta(days=days)).date().isoformat()}T"
        at = page.find(day)
        while at != -1:
            written = _ZONED_MOMENT.match(page, at)
            if written is not None and not page[at - 1 : at].isdigit():
                yield _iso_moment(written.group(0))
            at = page.find(day, at + 1)


def _iso_moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:  # an offset of a day or more
        return None


def _first_of_year(moment: datetime) -> bool:
    return (moment.month, moment.day, moment.hour, moment.minute) == (1, 1, 0, 0)


def _language(tree: HtmlElement, linked: _LinkedData) -> str | None:
    for value in (
        linked.article.get("inLanguage"),
        tree.get("lang"),
        _meta(tree, ("og:locale", "content-language", "language", "dc.language")),
    ):
        if isinstance(value, str) and (match := _LANGUAGE.match(value.strip())):
            return match.group(0).lower()
    return None


def _canonical_url(tree: HtmlElement, fallback: str | None) -> str | None:
    for link in tree.iterfind(".//link[@rel][@href]"):
        if "canonical" in link.get("rel", "").lower().split():
            href = str(link.get("href", "")).strip()
            if href.startswith(("http://", "https://")):
                return href
    return fallback


def _run_on(paragraphs: list[str]) -> bool:
    """Whether a paragraph is longer than any paragraph is, on a page of article length."""
    lengths = [len(_words(p)) for p in paragraphs]
    return max(lengths, default=0) > _RUN_ON_WORDS and sum(lengths) <= _RUN_ON_MAX_WORDS


def _short(paragraphs: list[str]) -> bool:
    return sum(len(p) for p in paragraphs) < _SHORT_TEXT_CHARS


def _trafilatura(
    tree: HtmlElement, url: str | None, options: HtmlOptions, *, fast: bool, with_metadata: bool
) -> Any:
    """trafilatura's Document for the page (it works on a copy of `tree`), or None."""
    return trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        favor_precision=options.favor_precision,
        with_metadata=with_metadata,
        include_comments=False,
        include_tables=options.tables,
        date_extraction_params={**_DATE_PARAMS, "extensive_search": options.dates_from_text},
    )


def extract_html(
    content: str, *, url: str | None = None, options: HtmlOptions = DEFAULT_OPTIONS
) -> Extracted:
    content = bound_html(content)  # before any parser: extraction time linear in the size
    content = _DOCUMENT_END.sub("", content)
    if not _FRAGMENT.search(content[:5000]):
        content = f"<html><body><article>{content}</article></body></html>"  # a bare fragment
    tree = load_html(content)
    if tree is None:
        return Extracted(title=None, body="")
    linked = _LinkedData.read(tree)
    if options.drop_link_lists:
        _drop_link_lists(tree)
    document = _trafilatura(tree, url, options, fast=options.fast, with_metadata=True)
    if document is None or isinstance(document, dict):
        return Extracted(title=None, body="")
    site_name = clean_line(linked.text("publisher") or document.sitename or "") or None
    canonical_url = _canonical_url(tree, document.url or url)
    site_names = _site_names(
        canonical_url or url,
        site_name,
        _meta(tree, ("og:site_name",)),
        _meta(tree, ("application-name",)),
    )
    title = _title(tree, linked, document.title, site_names, options)
    paragraphs, headings = (
        _article_parts(document.body, options.drop_furniture)
        if document.body is not None
        else ([], [])
    )
    if options.fast and (
        (options.fallbacks_for_run_on_text and _run_on(paragraphs))
        or (options.fallbacks_for_short_text and _short(paragraphs))
    ):
        again = _trafilatura(tree, url, options, fast=False, with_metadata=False)
        if isinstance(again, Document) and again.body is not None:
            paragraphs, headings = _article_parts(again.body, options.drop_furniture)
    stated = linked.authors()
    if options.microdata_authors and not stated:
        stated = _microdata_authors(tree)
    if options.vcard_authors and not stated:
        stated = _vcard_authors(tree)
    authors = stated
    if options.author_links and _only_the_site(authors, site_names):
        authors = _author_links(tree, options.byline_block_lines) or authors
    if options.labelled_bylines and _only_the_site(authors, site_names):
        authors = _labelled_byline(tree) or authors
    if options.scholarly_authors and not authors:
        authors = _scholarly_authors(tree)

    def byline_in_markup() -> list[str]:
        in_elements = _byline_in_markup(
            tree,
            options.skip_teaser_bylines,
            options.drop_byline_places,
            options.agency_bylines_in_markup,
        )
        if in_elements or not options.bylines_anywhere:
            return in_elements
        return _byline_anywhere(tree, options.drop_byline_places)

    in_markup = options.bylines_in_markup
    if in_markup and options.markup_bylines_first and _only_the_site(authors, site_names):
        authors = byline_in_markup() or authors
        in_markup = False  # read once
    in_scripts = options.script_data_authors
    if in_scripts and options.script_data_authors_first and not authors:
        authors = _script_data_authors(tree)
        in_scripts = False  # read once
    if options.meta_author_as_written and not authors:
        authors = split_names(_meta(tree, _AUTHOR_META) or "")
    if options.author_page_handles and not authors:
        authors = _author_page_handle(tree)  # before trafilatura's: it drops digits
    if not authors:
        authors = split_names(document.author or "")
        if options.no_teaser_authors and authors:
            authors = _not_only_teasers(authors, tree)
    if in_markup and _only_the_site(authors, site_names):
        authors = byline_in_markup() or authors
    if options.move_bylines:
        paragraphs, byline_names = _without_bylines(paragraphs, options.first_byline_only)
        authors = authors or byline_names
    if in_scripts and not authors:
        authors = _script_data_authors(tree)
    if options.people_over_site_names and authors != stated:
        authors = _people_over_site_names(_without_site_address(authors, site_names), site_names)
    article_body = _plain(linked.text("articleBody") or "")
    if options.article_body_fallback and article_body:
        paragraphs = _or_article_body(paragraphs, article_body)
    if options.drop_promotions:
        paragraphs = _without_promotions(paragraphs)
    if options.agree_with_article_body and article_body:
        paragraphs = _agreeing_with(paragraphs, article_body)
    if options.drop_repeated:
        paragraphs = _without_repeats(paragraphs)
    if options.drop_image_captions:
        paragraphs = _without_captions(paragraphs, tree)
    if options.drop_source_lists:
        paragraphs = _without_source_list(paragraphs)
    if options.drop_author_notes:
        paragraphs = _without_author_notes(paragraphs, authors, options)
    description = clean_line(document.description or "") or None
    if options.lead_from_description and description:
        paragraphs = _with_lead(paragraphs, description, tree)
    return Extracted(
        title=title or None,
        body=join_paragraphs(paragraphs),
        headings=headings,
        authors=_dedupe_names(authors),
        published_at=_published_at(tree, content, linked, document.date, options),
        site_name=site_name,
        canonical_url=canonical_url,
        description=description,
        image=document.image,
        tags=list(dict.fromkeys(clean_line(t) for t in (document.tags or []) if t.strip())),
        language=_language(tree, linked),
    )
