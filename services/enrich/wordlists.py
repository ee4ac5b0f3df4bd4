"""Word lists the enrich rules use, per language where it matters, in one place to extend."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than a list literal)."""
    return frozenset(text.split())


# Words that open an entity span without being part of the name ("the United States",
# "Beyond Ukraine" tagged as a person).
LEADING_WORDS = _words(
    "the a an this that these those beyond in on at of from by with to for and but or after "
    "before under over into between across about against during since until unlike like via "
    "near outside inside toward towards"
)
# Articles of other languages start names when capitalised ("La Paz", "Los Angeles", "Die
# Linke"), so they are only dropped in lower case ("la France").
LOWERCASE_LEADING_WORDS = _words("le la les l' der die das den dem des el los las")
HONORIFICS = _words(
    "mr mrs ms miss mx dr prof sir dame lord lady president vice senator sen rep gov governor "
    "chancellor minister secretary general gen col colonel capt captain pope king queen prince "
    "princess sheikh rev judge justice mayor premier m mme herr frau"
)

# Words before a name that make its bearer a person whatever the model said ("Rapper 50 Cent",
# "Organiser Maria Kask"); unlike HONORIFICS, none starts organisation names ("General Motors").
PERSON_TITLES = _words(
    "mr mrs ms miss dr sir dame prof professor rapper singer actor actress organiser organizer "
    "spokesman spokeswoman striker midfielder defender goalkeeper winger coach manager boss "
    "chairman chairwoman chancellor minister senator governor mayor president premier director "
    "presenter comedian author novelist economist analyst"
)
# Words in lower case before a name that make its bearer a person ("R&B star Usher"); too
# common as first words of titles ("Star Wars") to be cut off a span like PERSON_TITLES.
PERSON_DESCRIPTORS = PERSON_TITLES | _words(
    """
    star player athlete runner sprinter rapper singer songwriter musician guitarist drummer
    frontman frontwoman actor actress director producer writer chef artist designer boxer
    golfer cyclist swimmer jockey driver lawyer journalist columnist critic campaigner
    executive founder owner
    """
)
# Honorifics that start a new name inside a span ("Foreign Policy Centre Mr Straw").
INNER_HONORIFICS = _words("mr mrs ms dr")
# Nouns that announce the title of a work ("the album Hopes and Fears", "hit single Candy Shop").
WORK_NOUNS = _words(
    "album albums single singles song songs track tracks film films movie movies book books "
    "novel novels show shows series sitcom programme programmes musical play opera documentary "
    "hit hits drama dramas comedy soap thriller"
)
# Prepositions after which a lone name is a place ("in Jonesboro", "near Cobh").
LOCATIVE_PREPOSITIONS = _words("in near outside inside throughout across")
# Last words that settle a name's type ("Stata Labs", "Sale Sharks"; "Euston Road").
ORGANIZATION_ENDINGS = _words(
    "ltd limited inc plc corp corporation co company group holdings bank party council ministry "
    "department office commission committee association federation union university college "
    "institute agency authority board club labs laboratories technologies systems airlines "
    "airways motors trust foundation fund society league network networks records studios "
    "united rovers wanderers athletic"
)
# Legal forms after a company's name: "Altria" is short for "Altria Group".
LEGAL_FORMS = _words(
    "group inc plc ltd limited corp corporation co company holdings sa ag nv se llc gmbh"
)
EVENT_ENDINGS = _words(
    "championships championship marathon olympics games awards cup festival tournament trophy "
    "prix open election elections summit conference run race rally"
)
PLACE_ENDINGS = _words(
    "street road avenue square park stadium airport station theatre theater museum river valley "
    "island islands mountains county province region bridge cathedral palace"
)
# Nouns in lower case after a name that make it a place ("the Neverland ranch").
PLACE_NOUNS = _words(
    "ranch estate farm resort mansion hotel village town city district suburb island region"
)
# Nationalities before a name ("Kenyan Susan Chepkemei") and alone (a "Briton" is no name).
DEMONYMS = _words(
    """
    american british briton britons english englishman scottish scot scots welsh welshman irish
    irishman french frenchman german italian spanish spaniard portuguese dutch dutchman belgian
    swiss austrian swedish swede norwegian danish dane finnish finn russian ukrainian polish pole
    czech greek turkish chinese japanese korean indian pakistani australian aussie kenyan
    ethiopian nigerian ghanaian moroccan algerian egyptian brazilian argentine argentinian
    mexican canadian jamaican israeli palestinian iranian iraqi syrian saudi afghan
    zimbabwean zambian ugandan tanzanian cameroonian senegalese ivorian chilean colombian
    peruvian venezuelan cuban european african asian
    """
)

WEEKDAYS = _words("monday tuesday wednesday thursday friday saturday sunday")
MONTHS = _words(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june "
    "july august september october november december"
)

# Titles that make a keyword about a person ("President Donald") rather than a topic.
TITLE_WORDS = _words(
    "mr mrs ms dr president vice senator governor chancellor minister prime secretary general "
    "pope king queen prince princess mayor premier chief leader"
)

# Nouns too general to say what a story is about.
GENERIC_NOUNS = _words(
    """
    year years time times people way ways thing things number numbers part parts lot lots day
    days week weeks month months cent percent per end place point points fact case cases
    kind sort area areas world man men woman women group level levels
    """
)

# Inflected forms (the lemmatizer is not loaded, for speed), English, French, German.
SPEECH_VERBS = _words(
    """
    say said says saying tell told tells telling add added adds adding note noted notes noting
    stress stressed stresses stressing caution cautioned cautions cautioning warn warned warns
    warning insist insisted insists insisting declare declared declares declaring remark
    remarked remarks ask asked asks asking reply replied replies replying explain explained
    explains explaining acknowledge acknowledged acknowledges acknowledging argue argued argues
    arguing describe described describes describing write wrote writes writing tweet tweeted
    tweets announce announced announces claim claimed claims admit admitted admits state stated
    continued continues joke joked jokes joking recall recalled recalls recalling promise
    promised promises promising suggest suggested suggests suggesting repeat repeated repeats
    repeating urge urged urges urging vow vowed vows conclude concluded concludes respond
    responded responds comment commented comments quip quipped quips predict predicted predicts
    emphasize emphasized emphasizes emphasizing emphasise emphasised emphasises emphasising
    call called calls calling confirm confirmed confirms dismiss dismissed dismisses brand
    branded brands label labelled labeled according
    dit dire déclaré déclare affirmé affirme ajouté ajoute expliqué explique estimé estime
    souligné souligne indiqué indique assuré assure précisé précise répondu répond raconté
    confié martelé insisté averti prévenu lancé selon
    sagte sagt sagten sagen erklärte erklärt betonte betont meinte meint warnte warnt fügte
    bekräftigte räumte kritisierte zufolge
    """
)

# Who speaks for someone else: "an FA spokesman said" quotes the FA.
SPOKESPERSONS = _words("spokesman spokeswoman spokesperson representative statement porte-parole")
# Nouns that stand for a person already named ("the minister said", "the star added").
ROLE_NOUNS = SPOKESPERSONS | _words(
    """
    minister secretary chancellor president premier chairman chairwoman chair manager boss
    coach director executive chief leader official officer head spokesman star singer rapper
    actor actress player striker captain champion athlete founder governor senator mayor
    judge professor economist analyst author
    """
)

PRONOUNS = frozenset({"he", "she", "him", "her", "il", "elle", "er", "sie"})

# Titles that tell a person's gender ("Ms Kite ... she said"), and the pronouns that need one.
GENDERED_TITLES = {
    **dict.fromkeys(
        ("mr", "sir", "lord", "king", "prince", "duke", "baron", "herr", "m", "monsieur"), "m"
    ),
    **dict.fromkeys(
        (
            "mrs", "ms", "miss", "dame", "lady", "queen", "princess", "duchess", "baroness",
            "frau", "mme", "mlle", "madame",
        ),
        "f",
    ),
}  # fmt: skip
PRONOUN_GENDERS = {"he": "m", "him": "m", "il": "m", "er": "m", "she": "f", "her": "f", "elle": "f"}

# Nouns that stand for an organisation already named ("the ministry said", "the firm added"):
# the last organisation named whose name has the noun; for a generic one, the last named.
GENERIC_ORGANIZATION_NOUNS = _words(
    "company firm group organisation organization body watchdog regulator club side team "
    "band newspaper paper broadcaster network channel website site agency carmaker retailer "
    "airline bank insurer operator consultancy charity campaigners"
)
ORGANIZATION_NOUNS = GENERIC_ORGANIZATION_NOUNS | _words(
    "ministry department office commission council committee party union association "
    "federation authority board institute university college foundation trust service"
)

# Words after a country or town that make it a side, not a place ("England coach", "the
# Ireland team"), and words before ("beat France", "rivals Gloucester").
TEAM_NOUNS = _words(
    """
    coach captain skipper squad team side manager boss debut cap caps international
    internationals selectors fly-half scrum-half prop hooker lock flanker full-back winger
    centre striker midfielder defender goalkeeper keeper u21 under-21 xv tour
    """
)
TEAM_OPPONENT_WORDS = _words("against beat beating beaten rivals v vs versus")
# Nouns in lower case before a name that make it an organisation ("consultancy 4Cast").
ORGANIZATION_DESCRIPTORS = _words(
    """
    firm company consultancy band broker carmaker retailer airline website newspaper
    broadcaster label publisher developer insurer charity supermarket conglomerate regulator
    watchdog giant unit subsidiary maker manufacturer chain group startup
    """
)
# Sports whose governing bodies are named "<Sport> <Country>" ("Athletics Ireland").
SPORTS = _words(
    "athletics rugby football cricket tennis hockey swimming cycling golf boxing basketball "
    "netball rowing sailing gymnastics"
)
# Plural nouns that say what the names listed after them are ("firms such as X, Y and Z").
LISTED_ORGANIZATIONS = _words(
    """
    companies firms groups bands operators providers retailers banks broadcasters channels
    networks websites clubs teams sides charities agencies organisations organizations parties
    newspapers papers labels publishers developers carmakers airlines insurers rivals
    """
)
LISTED_PLACES = _words(
    """
    stations cities towns villages countries nations states regions venues airports stadiums
    grounds islands suburbs districts provinces
    """
)
# Nouns after a name that make it a company ("Yukos shares", "the Yukos unit").
ORGANIZATION_AFTER = _words("share shares shareholders stock subsidiary unit board investors")
