"""Month and day names for date pictures (``\\@ "d. MMMM yyyy"``), per letter language.

A small fixed table rather than the server's OS locales or a locale library: letters must read the same on
every server and re-render byte for byte from stored values (docs/BEHAVIOUR.md §11, stored letters).
Abbreviations follow what Word prints with that language's regional settings.
"""

from __future__ import annotations

from typing import NamedTuple


class CalendarNames(NamedTuple):
    months: tuple[str, ...]
    months_short: tuple[str, ...]
    days: tuple[str, ...]  # Monday first, like datetime.date.weekday()
    days_short: tuple[str, ...]


def _names(months: str, months_short: str, days: str, days_short: str) -> CalendarNames:
    return CalendarNames(*(tuple(s.split()) for s in (months, months_short, days, days_short)))


CALENDAR_NAMES: dict[str, CalendarNames] = {
    "en": _names(
        "January February March April May June July August September October November December",
        "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
        "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
        "Mon Tue Wed Thu Fri Sat Sun",
    ),
    "de": _names(
        "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        "Jan Feb Mär Apr Mai Jun Jul Aug Sep Okt Nov Dez",
        "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
        "Mo Di Mi Do Fr Sa So",
    ),
    "fr": _names(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
        "lundi mardi mercredi jeudi vendredi samedi dimanche",
        "lun. mar. mer. jeu. ven. sam. dim.",
    ),
    "nl": _names(
        "januari februari maart april mei juni juli augustus september oktober november december",
        "jan feb mrt apr mei jun jul aug sep okt nov dec",
        "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
        "ma di wo do vr za zo",
    ),
    "es": _names(
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "ene. feb. mar. abr. may. jun. jul. ago. sep. oct. nov. dic.",
        "lunes martes miércoles jueves viernes sábado domingo",
        "lu. ma. mi. ju. vi. sá. do.",
    ),
    "it": _names(
        "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
        "gen feb mar apr mag giu lug ago set ott nov dic",
        "lunedì martedì mercoledì giovedì venerdì sabato domenica",
        "lun mar mer gio ven sab dom",
    ),
    "da": _names(
        "januar februar marts april maj juni juli august september oktober november december",
        "jan. feb. mar. apr. maj jun. jul. aug. sep. okt. nov. dec.",
        "mandag tirsdag onsdag torsdag fredag lørdag søndag",
        "man. tir. ons. tor. fre. lør. søn.",
    ),
    "sv": _names(
        "januari februari mars april maj juni juli augusti september oktober november december",
        "jan. feb. mars apr. maj juni juli aug. sep. okt. nov. dec.",
        "måndag tisdag onsdag torsdag fredag lördag söndag",
        "mån tis ons tors fre lör sön",
    ),
    "pl": _names(
        "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
        "sty lut mar kwi maj cze lip sie wrz paź lis gru",
        "poniedziałek wtorek środa czwartek piątek sobota niedziela",
        "pon. wt. śr. czw. pt. sob. niedz.",
    ),
    "pt": _names(
        "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
        "jan fev mar abr mai jun jul ago set out nov dez",
        "segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado domingo",
        "seg ter qua qui sex sáb dom",
    ),
}

# Business Central's three-letter Windows language codes, for contacts imported from it.
_WINDOWS_CODES = {
    "enu": "en",
    "eng": "en",
    "deu": "de",
    "des": "de",
    "dea": "de",
    "fra": "fr",
    "frb": "fr",
    "frs": "fr",
    "nld": "nl",
    "nlb": "nl",
    "esp": "es",
    "ita": "it",
    "dan": "da",
    "sve": "sv",
    "plk": "pl",
    "ptg": "pt",
    "ptb": "pt",
}


def calendar_names(language_code: str | None) -> CalendarNames:
    """The names for a language code ("de", "de-AT", "DEU"); English for anything unknown or empty."""
    code = (language_code or "").strip().lower().replace("_", "-").split("-")[0]
    code = _WINDOWS_CODES.get(code, code)
    return CALENDAR_NAMES.get(code, CALENDAR_NAMES["en"])
