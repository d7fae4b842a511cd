"""Jinja set-up: filters for UK dates and local times, and what every template may call."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup, escape

from selfassess import __version__
from selfassess.settings import Settings
from selfassess.web.static_assets import static_url_for


def configure(engine: JinjaTemplateEngine, settings: Settings) -> None:
    zone = ZoneInfo(settings.timezone)
    env = engine.engine
    env.undefined = StrictUndefined  # a typo in a template fails its test instead of rendering blank
    # Templates change only with a release: outside debug, never look at the files again (each
    # template, include and macro import would otherwise stat its file on every render).
    env.auto_reload = settings.debug
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters["localtime"] = lambda value: _localtime(value, zone)
    env.filters["day"] = _day
    env.filters["short_day"] = _short_day
    env.filters["plural"] = _plural
    # Figures of the accuracy tables: filters, many times cheaper than a macro call per cell.
    env.filters["signed"] = signed
    env.filters["percent_share"] = percent_share
    env.filters["kappa"] = lambda value: "—" if value is None else f"{value:.2f}"
    env.globals["option_list"] = _option_list
    env.globals["app_version"] = __version__
    env.globals["static_url"] = static_url_for(settings.static_dir)
    env.globals["upload_max_mb"] = settings.upload_max_bytes // (1024 * 1024)
    # Macros as globals: available in every template and in every block htmx renders on its own.
    env.globals["ui"] = env.get_template("macros/ui.html").module
    env.globals["forms"] = env.get_template("macros/forms.html").module
    env.globals["scoring"] = env.get_template("macros/scoring.html").module
    env.globals["actions_ui"] = env.get_template("macros/actions.html").module
    env.globals["score_sheet"] = env.get_template("macros/score_sheet.html").module  # uses scoring


def signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2f}"


def percent_share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _localtime(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    return value.astimezone(zone).strftime("%-d %b %Y, %H:%M")


def _day(value: date | datetime | str | None) -> str:
    """ "4 January 2027". A recorded value (a history row's old or new value) may be a date written
    as text: an ISO date reads the same as every other date; any other text is shown as it is."""
    if isinstance(value, str):
        if len(value) != 10:
            return value
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%-d %B %Y") if value else ""


def _short_day(value: date | datetime | None) -> str:
    return value.strftime("%-d %b %Y") if value else ""


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _option_list(choices: Iterable[tuple[object, str]], selected: object) -> Markup:
    """A long list's ``<option>`` elements (a county's hundreds of providers) made in one piece:
    as a template loop, each option cost a dozen template steps, more than the rest of the page.
    The chosen option is marked afterwards, once, rather than compared on every option."""
    chosen = f'<option value="{escape(str(selected))}">'
    return Markup(_options(tuple(choices)).replace(chosen, f"{chosen[:-1]} selected>", 1))


@lru_cache(maxsize=256)
def _options(choices: tuple[tuple[object, str], ...]) -> str:
    """The same list is asked for on every filtered page (a council's providers change seldom):
    finding the one made last time costs far less than escaping it again."""
    return "".join(f'<option value="{escape(str(key))}">{escape(text)}</option>' for key, text in choices)
