"""Geocoding results kept so that a region is looked up once however many members share it."""

from piccolo.columns import BigSerial, Text, Timestamptz, Varchar
from piccolo.table import Table


class GeocodeCache(Table, tablename="geocode_cache"):
    id = BigSerial(primary_key=True)
    # Which geocoder answered (and which data it used): switching geocoders or
    # rebuilding the gazetteer must not serve answers from the old one.
    source = Varchar(length=200)
    query = Varchar(length=400)  # gazetteer.normalise(text): the same key for "Leeds" and " leeds "
    results = Text()  # JSON list of the results, best first; [] when nothing was found
    created_at = Timestamptz()
