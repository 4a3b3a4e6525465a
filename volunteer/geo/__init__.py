"""Geography: the city's data, point-to-ward location, the offline gazetteer and the
geocoder, and the running app's cached view of them (`geography.load()`).

Routing (which ward and team a request goes to) is the rule in volunteer/routing.py;
this package answers its questions about places."""
from .city import city_bbox, load_city, merged_areas, ward_geometries
from .gazetteer import OfflineGazetteer, strip_diacritics
from .geocoder import make_geocoder
from .locator import WardLocator, rough_location

__all__ = [
    "city_bbox",
    "load_city",
    "merged_areas",
    "ward_geometries",
    "OfflineGazetteer",
    "strip_diacritics",
    "make_geocoder",
    "WardLocator",
    "rough_location",
]
