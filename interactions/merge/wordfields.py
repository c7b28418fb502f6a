"""Word field codes as Word evaluates them in a mail merge: MERGEFIELD switches and IF fields.

The specification is Microsoft's field-code reference (ECMA-376 Part 1, 17.16: field syntax, the general
``\\*``, numeric ``\\#`` and date-time ``\\@`` switches, MERGEFIELD ``\\b``/``\\f``, IF). Everything is parsed
once, when a template is compiled; a letter only evaluates the compiled programs (docs/BEHAVIOUR.md §11: a
template is compiled once and merged many times). Refusals raise MergeTemplateError naming the field code, so
an upload fails instead of printing wrong text in hundreds of letters. Pure Python: no Django, no XML here (the
.docx engine supplies the instruction text with an opaque formatting key per character and gets back text
pieces with those keys).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .calendar_names import CALENDAR_NAMES, CalendarNames, calendar_names
from .fields import LANGUAGE_KEY, MergeTemplateError, is_date_field, iso_key

__all__ = [
    "FieldProgram",
    "MergeFieldProgram",
    "IfProgram",
    "Nested",
    "compile_instruction",
    "field_keyword",
    "display_code",
]

Fmt = Hashable  # formatting key of a piece of text (the .docx engine uses an index into its run formats)
Piece = tuple[str, Fmt]


class Nested:
    """A field nested in an instruction, compiled before its parent: its display text and program."""

    def __init__(self, code: str, program: FieldProgram):
        self.code = code
        self.program = program


InstrItem = tuple[str, Fmt] | Nested


def display_code(items: list[InstrItem]) -> str:
    """The field code as Word shows it with Alt+F9: ``{ IF { MERGEFIELD x } = "1" "a" "b" }``."""
    text = "".join(item.code if isinstance(item, Nested) else item[0] for item in items)
    return "{ " + " ".join(text.split()) + " }"


def field_keyword(items: list[InstrItem]) -> str:
    """The field type (first word of the instruction), upper-cased; "" when it starts with a nested field."""
    text = []
    for item in items:
        if isinstance(item, Nested):
            break
        text.append(item[0])
    match = re.match(r"\s*([^\s\\\"]*)", "".join(text))
    return match.group(1).upper()


# ----------------------------------------------------------------------------------------------- tokens


class _Token:
    __slots__ = ("quoted", "parts")

    def __init__(self, quoted: bool):
        self.quoted = quoted
        self.parts: list[Piece | Nested] = []

    def add(self, ch: str, fmt: Fmt) -> None:
        if self.parts and not isinstance(self.parts[-1], Nested) and self.parts[-1][1] == fmt:
            self.parts[-1] = (self.parts[-1][0] + ch, fmt)
        else:
            self.parts.append((ch, fmt))

    @property
    def has_fields(self) -> bool:
        return any(isinstance(p, Nested) for p in self.parts)

    def plain(self) -> str:
        """The text of a token without nested fields."""
        return "".join(p.code if isinstance(p, Nested) else p[0] for p in self.parts)


def _tokenize(items: list[InstrItem], fail: Callable[[str], MergeTemplateError]) -> list[_Token]:
    r"""Words and "quoted strings" (``\"`` and ``\\`` escape inside quotes); nested fields join the current token."""
    tokens: list[_Token] = []
    current: _Token | None = None
    in_quote = pending_backslash = False
    for item in items:
        if isinstance(item, Nested):
            if pending_backslash:
                current.add("\\", None)
                pending_backslash = False
            if current is None:
                current = _Token(quoted=False)
            current.parts.append(item)
            continue
        text, fmt = item
        for ch in text:
            if in_quote:
                if pending_backslash:
                    pending_backslash = False
                    if ch not in '"\\':
                        current.add("\\", fmt)
                    current.add(ch, fmt)
                elif ch == "\\":
                    pending_backslash = True
                elif ch == '"':
                    tokens.append(current)
                    current, in_quote = None, False
                else:
                    current.add(ch, fmt)
            elif ch.isspace():
                if current is not None:
                    tokens.append(current)
                    current = None
            elif ch == '"':
                if current is not None:
                    tokens.append(current)
                current, in_quote = _Token(quoted=True), True
            else:
                if current is None:
                    current = _Token(quoted=False)
                current.add(ch, fmt)
    if in_quote:
        raise fail("a quotation mark is not closed")
    if current is not None:
        tokens.append(current)
    return tokens


# ----------------------------------------------------------------------------------------------- programs


class FieldProgram:
    """A compiled field: ``pieces(values)`` is its result as (text, formatting key) pieces."""

    names: frozenset[str] = frozenset()

    def pieces(self, values: Mapping[str, str]) -> list[Piece]:
        raise NotImplementedError

    def text(self, values: Mapping[str, str]) -> str:
        return "".join(t for t, _ in self.pieces(values))


_CASES = {"upper": "upper", "lower": "lower", "caps": "caps", "firstcap": "firstcap"}
_KEEP_FORMAT = {"mergeformat", "charformat"}


def _apply_case(pieces: list[Piece], cases: tuple[str, ...]) -> list[Piece]:
    r"""``\* Upper/Lower/Caps/FirstCap`` over text that may span several formats, in the order written.

    Caps and FirstCap only raise letters, as Word's do: for data in capitals Word users write
    ``\* Lower \* Caps``, and switches apply one after the other.
    """
    for case in cases:
        if case == "upper":
            pieces = [(t.upper(), f) for t, f in pieces]
        elif case == "lower":
            pieces = [(t.lower(), f) for t, f in pieces]
        elif case == "caps":
            pieces = _capitalise(pieces, every_word=True)
        elif case == "firstcap":
            pieces = _capitalise(pieces, every_word=False)
    return pieces


def _capitalise(pieces: list[Piece], *, every_word: bool) -> list[Piece]:
    """The first letter of each word (or of the first word only) in upper case; the others as they are."""
    out: list[Piece] = []
    previous, done = " ", False
    for text, fmt in pieces:
        chars = []
        for ch in text:
            if not done and ch.isalpha() and not (previous.isalnum() or previous in "'’"):
                ch = ch.upper()
                done = not every_word
            chars.append(ch)
            previous = ch
        out.append(("".join(chars), fmt))
    return out


@dataclass(frozen=True, eq=False)
class MergeFieldProgram(FieldProgram):
    r"""``MERGEFIELD name [\b "before"] [\f "after"] [\* case] [\@ "date"] [\# "number"]``."""

    name: str
    fmt: Fmt = None
    cases: tuple[str, ...] = ()
    date: tuple | None = None
    number: NumberPicture | None = None
    before: str = ""
    after: str = ""

    @property
    def names(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset({self.name})

    @property
    def plain(self) -> bool:
        """No switch changes the value: the engine's fast path copies it as it is."""
        return not (self.cases or self.date or self.number or self.before or self.after)

    def value(self, values: Mapping[str, str]) -> str:
        raw = values.get(self.name)
        text = "" if raw is None else str(raw)
        if not text:
            return ""
        if self.date is not None:
            text = _format_date_value(self.name, text, values, self.date)
        elif self.number is not None:
            text = self.number.format_text(text)
        if self.cases:
            text = _apply_case([(text, None)], self.cases)[0][0]
        return self.before + text + self.after

    def pieces(self, values: Mapping[str, str]) -> list[Piece]:
        text = self.value(values)
        return [(text, self.fmt)] if text else []


_OPERATORS = ("=", "<>", "<", ">", "<=", ">=")


@dataclass(frozen=True, eq=False)
class IfProgram(FieldProgram):
    """``IF expression1 operator expression2 "true text" "false text"``; the chosen text keeps its formatting."""

    left: _Token
    op: str
    right: _Token
    true: _Token | None
    false: _Token | None
    cases: tuple[str, ...] = ()
    names: frozenset[str] = frozenset()
    left_text: str | None = None  # the operand's text when it holds no field (most right-hand sides)
    right_text: str | None = None

    def condition(self, values: Mapping[str, str]) -> bool:
        left = self.left_text if self.left_text is not None else _token_text(self.left, values)
        right = self.right_text if self.right_text is not None else _token_text(self.right, values)
        op = self.op
        if op in ("=", "<>") and self.right.quoted and ("*" in right or "?" in right):
            matched = _wildcard(right).fullmatch(left) is not None
            return matched if op == "=" else not matched
        a, b = _number(left), _number(right)
        if a is None or b is None:
            a, b = left, right  # Word compares as text unless both sides are numbers
        if op == "=":
            return a == b
        if op == "<>":
            return a != b
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return a <= b
        return a >= b

    def pieces(self, values: Mapping[str, str]) -> list[Piece]:
        chosen = self.true if self.condition(values) else self.false
        if chosen is None:
            return []
        return _apply_case(_token_pieces(chosen, values), self.cases)


def _token_pieces(token: _Token, values: Mapping[str, str]) -> list[Piece]:
    out: list[Piece] = []
    for part in token.parts:
        if isinstance(part, Nested):
            out.extend(part.program.pieces(values))
        elif part[0]:
            out.append(part)
    return out


def _token_text(token: _Token, values: Mapping[str, str]) -> str:
    return "".join(t for t, _ in _token_pieces(token, values))


@functools.lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.S)


_NUMBER_RE = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*")


def _number(text: str) -> Decimal | None:
    if not _NUMBER_RE.fullmatch(text):
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


# ----------------------------------------------------------------------------------------------- compiling


def compile_instruction(
    items: list[InstrItem],
    *,
    fmt: Fmt,
    resolve_name: Callable[[str], str],
) -> FieldProgram:
    """Compile a MERGEFIELD or IF instruction; MergeTemplateError (naming the field code) if Word would do
    something this engine cannot.

    ``fmt`` is the formatting key of the field's result; ``resolve_name`` maps a raw MERGEFIELD name to the
    canonical field name (unknown names are the caller's to report).
    """
    code = display_code(items)

    def fail(reason: str) -> MergeTemplateError:
        return MergeTemplateError(f"The Word field {code} cannot be merged: {reason}.")

    tokens = _tokenize(items, fail)
    keyword = tokens[0].plain().upper() if tokens and not tokens[0].has_fields and not tokens[0].quoted else ""
    if keyword == "MERGEFIELD":
        return _compile_mergefield(tokens[1:], fmt, resolve_name, fail)
    if keyword == "IF":
        return _compile_if(tokens[1:], fail)
    raise fail("only MERGEFIELD and IF fields are merged")


def _split_switches(tokens: list[_Token], fail) -> tuple[list[_Token], list[tuple[str, _Token | None]]]:
    r"""Arguments before the first switch, then (switch, argument) pairs; ``\*Upper`` may be glued."""
    args: list[_Token] = []
    switches: list[tuple[str, _Token | None]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        text = token.plain() if not token.quoted and not token.has_fields else ""
        if not text.startswith("\\"):
            if switches:
                raise fail(f'"{token.plain()}" follows the switches; put switches last')
            args.append(token)
            i += 1
            continue
        switch, rest = text[:2], text[2:]
        if switch in ("\\*", "\\@", "\\#", "\\b", "\\f"):
            if rest:
                glued = _Token(quoted=False)
                glued.parts.append((rest, None))
                switches.append((switch, glued))
                i += 1
            elif i + 1 < len(tokens):
                switches.append((switch, tokens[i + 1]))
                i += 2
            else:
                raise fail(f"the switch {switch} has no argument")
        else:
            switches.append((text, None))
            i += 1
    return args, switches


def _general_switch(argument: _Token, fail) -> list[str]:
    """The case change a ``\\*`` switch asks for ([] for the formatting ones)."""
    word = argument.plain().strip().lower()
    if word in _CASES:
        return [_CASES[word]]
    if word in _KEEP_FORMAT:
        return []
    raise fail(
        f"the switch \\* {argument.plain()} is not supported (use Upper, Lower, Caps, FirstCap, MERGEFORMAT "
        "or CHARFORMAT)"
    )


def _compile_mergefield(tokens: list[_Token], fmt: Fmt, resolve_name, fail) -> MergeFieldProgram:
    args, switches = _split_switches(tokens, fail)
    if len(args) != 1 or args[0].has_fields:
        raise fail("a MERGEFIELD names exactly one field")
    name = resolve_name(args[0].plain())
    cases, date, number, before, after = [], None, None, "", ""
    for switch, argument in switches:
        if argument is not None and argument.has_fields:
            raise fail(f"the {switch} switch may not contain a field")
        if switch == "\\*":
            cases += _general_switch(argument, fail)
        elif switch == "\\@":
            if not is_date_field(name):
                raise fail(f"the date picture \\@ applies to date fields (such as interaction.date), not {name}")
            date = compile_date_picture(argument.plain())
        elif switch == "\\#":
            number = compile_number_picture(argument.plain(), fail)
        elif switch == "\\b":
            before = argument.plain()
        elif switch == "\\f":
            after = argument.plain()
        else:
            raise fail(f"the switch {switch} is not supported")
    return MergeFieldProgram(
        name=name, fmt=fmt, cases=tuple(cases), date=date, number=number, before=before, after=after
    )


def _compile_if(tokens: list[_Token], fail) -> IfProgram:
    args, switches = _split_switches(tokens, fail)
    cases: list[str] = []
    for switch, argument in switches:
        if switch != "\\*" or argument.has_fields:
            raise fail(f"the switch {switch} is not supported on IF (only \\* switches are)")
        cases += _general_switch(argument, fail)
    if len(args) < 4:
        raise fail('write IF expression1 operator expression2 "true text" "false text"')
    if len(args) > 5:
        raise fail('too many words: put quotation marks around the texts, like "true text" "false text"')
    left, op_token, right = args[0], args[1], args[2]
    op = op_token.plain() if not op_token.quoted and not op_token.has_fields else ""
    if op not in _OPERATORS:
        raise fail(f'"{op_token.plain()}" is not a comparison (use =, <>, <, >, <= or >=, with spaces around it)')
    names: set[str] = set()
    for token in args:
        for part in token.parts:
            if isinstance(part, Nested):
                names |= part.program.names
    return IfProgram(
        left=left,
        op=op,
        right=right,
        true=args[3],
        false=args[4] if len(args) > 4 else None,
        cases=tuple(cases),
        names=frozenset(names),
        left_text=None if left.has_fields else left.plain(),
        right_text=None if right.has_fields else right.plain(),
    )


# ----------------------------------------------------------------------------------------------- dates

_DATE_TOKEN_RE = re.compile(r"'[^']*'?|([dDMyYhHms])\1*|.", re.S)


def compile_date_picture(picture: str) -> tuple:
    r"""``\@`` picture items: ("d", n), ("M", n), ("y", n), ("h"|"H"|"m"|"s", n), ("ampm", upper), ("lit", text)."""
    items: list[tuple] = []
    i = 0
    while i < len(picture):
        if picture[i : i + 5].lower() == "am/pm":
            items.append(("ampm", picture[i : i + 2] != "am"))
            i += 5
            continue
        m = _DATE_TOKEN_RE.match(picture, i)
        token = m.group(0)
        i = m.end()
        if m.group(1):
            kind = {"D": "d", "Y": "y"}.get(token[0], token[0])
            items.append((kind, len(token)))
        elif token.startswith("'"):
            items.append(("lit", token.strip("'")))
        else:
            items.append(("lit", token))
    return tuple(items)


def format_date(value: datetime.date, picture: tuple, names: CalendarNames) -> str:
    out = []
    hour = minute = second = 0  # date fields carry no time: Word prints midnight
    for kind, arg in picture:
        if kind == "lit":
            out.append(arg)
        elif kind == "d":
            weekday = value.weekday()
            out.append(_day_or_month(value.day, arg, names.days_short[weekday], names.days[weekday]))
        elif kind == "M":
            month = value.month - 1
            out.append(_day_or_month(value.month, arg, names.months_short[month], names.months[month]))
        elif kind == "y":
            out.append(f"{value.year % 100:02d}" if arg <= 2 else f"{value.year:04d}")
        elif kind in ("h", "H", "m", "s"):
            number = {"h": (hour % 12) or 12, "H": hour, "m": minute, "s": second}[kind]
            out.append(f"{number:02d}" if arg >= 2 else str(number))
        elif kind == "ampm":
            out.append(("AM" if hour < 12 else "PM") if arg else ("am" if hour < 12 else "pm"))
    return "".join(out)


def _day_or_month(number: int, letters: int, short_name: str, name: str) -> str:
    """A d or M run of a date picture: d/M the number, dd/MM two digits, ddd/MMM the short name, dddd/MMMM the name."""
    if letters == 1:
        return str(number)
    if letters == 2:
        return f"{number:02d}"
    return short_name if letters == 3 else name


def _month_lookup() -> dict[str, tuple[int, str]]:
    table: dict[str, tuple[int, str]] = {}
    for language, names in CALENDAR_NAMES.items():
        for index, month in enumerate(names.months):
            table.setdefault(month.lower(), (index + 1, language))
    return table


_MONTHS_BY_NAME = _month_lookup()
_WRITTEN_DATE_RE = re.compile(r"\s*(\d{1,2})\.?\s+(\w+)\s+(\d{4})\s*")


def parse_letter_date(text: str) -> tuple[datetime.date, str] | None:
    """A date value as the letters write it ("12 March 2025", "12. März 2025") or ISO, with its language."""
    try:
        return datetime.date.fromisoformat(text.strip()), ""
    except ValueError:
        pass
    m = _WRITTEN_DATE_RE.fullmatch(text)
    if not m or m.group(2).lower() not in _MONTHS_BY_NAME:
        return None
    month, language = _MONTHS_BY_NAME[m.group(2).lower()]
    try:
        return datetime.date(int(m.group(3)), month, int(m.group(1))), language
    except ValueError:
        return None


def _format_date_value(name: str, text: str, values: Mapping[str, str], picture: tuple) -> str:
    return _format_date_cached(text, values.get(iso_key(name)) or "", values.get(LANGUAGE_KEY) or "", picture)


@functools.lru_cache(maxsize=1024)
def _format_date_cached(text: str, iso: str, language: str, picture: tuple) -> str:
    # Cached: a segment's letters share their dates, so each is formatted once, not once per contact.
    date = None
    if iso:
        try:
            date = datetime.date.fromisoformat(iso)
        except ValueError:
            date = None
    if date is None:
        # Letters stored before the ISO keys existed: read the written date back.
        parsed = parse_letter_date(text)
        if parsed is None:
            return text  # not a date: Word leaves such a value as it is
        date, written_language = parsed
        language = language or written_language
    return format_date(date, picture, calendar_names(language))


# ----------------------------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class _Section:
    int_items: tuple  # ("digit", "0"|"#"|"x") | ("lit", text) | ("sign", "-"|"+"), left to right
    frac_items: tuple
    has_point: bool
    grouping: bool
    has_sign: bool


@dataclass(frozen=True)
class NumberPicture:
    sections: tuple[_Section, ...]

    def format_text(self, text: str) -> str:
        value = _number(text)
        if value is None:
            return text  # not a number: the switch has no effect
        try:
            return self.format(value)
        except InvalidOperation:  # more digits than decimal arithmetic holds: printed as it is
            return text

    def format(self, value: Decimal) -> str:
        section, auto_minus = self.sections[0], value < 0
        if value < 0 and len(self.sections) > 1:
            section, auto_minus = self.sections[1], False
        elif value == 0 and len(self.sections) > 2:
            section = self.sections[2]
        if section.has_sign:
            auto_minus = False
        return ("-" if auto_minus else "") + _format_section(section, value)


def compile_number_picture(picture: str, fail) -> NumberPicture:
    sections = []
    for source in _split_sections(picture):
        int_items: list[tuple] = []
        frac_items: list[tuple] = []
        has_point = grouping = has_sign = False
        target = int_items
        i = 0
        while i < len(source):
            ch = source[i]
            if ch == "'":
                end = source.find("'", i + 1)
                end = len(source) if end < 0 else end
                target.append(("lit", source[i + 1 : end]))
                i = end + 1
                continue
            if ch in "0#x":
                target.append(("digit", ch))
            elif ch == "." and not has_point:
                has_point, target = True, frac_items
            elif ch == "," and target is int_items:
                grouping = True
            elif ch in "-+":
                has_sign = True
                target.append(("sign", ch))
            elif ch == "`":
                raise fail("numbered items (`…`) in a numeric picture are not supported")
            else:
                target.append(("lit", ch))
            i += 1
        sections.append(_Section(tuple(int_items), tuple(frac_items), has_point, grouping, has_sign))
    return NumberPicture(tuple(sections[:3]))


def _split_sections(picture: str) -> list[str]:
    out, current, quoted = [], [], False
    for ch in picture:
        if ch == "'":
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return out


def _sign(kind: str, value: Decimal) -> str:
    if kind == "-":
        return "-" if value < 0 else " "
    return "+" if value > 0 else "-" if value < 0 else " "


def _format_section(section: _Section, value: Decimal) -> str:
    frac_places = sum(1 for kind, _ in section.frac_items if kind == "digit")
    rounded = abs(value).quantize(Decimal(1).scaleb(-frac_places), rounding=ROUND_HALF_UP)
    int_text, _, frac_text = f"{rounded:f}".partition(".")
    frac_text = frac_text.ljust(frac_places, "0")
    digits = int_text.lstrip("0")
    placeholders = [i for i, (kind, _) in enumerate(section.int_items) if kind == "digit"]
    x_at = next((n for n, i in enumerate(placeholders) if section.int_items[i][1] == "x"), None)
    if x_at is not None:  # x drops the digits to its left
        keep = len(placeholders) - x_at
        digits = digits[-keep:] if keep else ""
    # Integer part, right to left: each placeholder takes one digit, the leftmost takes all that remain.
    out: list[str] = []
    position = 0  # digits written so far, for the thousands separators

    def put_digit(ch: str) -> None:
        nonlocal position
        if section.grouping and position and position % 3 == 0:
            out.append(",")
        out.append(ch)
        position += 1

    remaining = digits
    for index in range(len(section.int_items) - 1, -1, -1):
        kind, arg = section.int_items[index]
        if kind == "lit":
            out.append(arg[::-1])
        elif kind == "sign":
            out.append(_sign(arg, value))
        else:
            leftmost = index == placeholders[0]
            if remaining:
                take = remaining if leftmost else remaining[-1]
                remaining = "" if leftmost else remaining[:-1]
                for ch in reversed(take):
                    put_digit(ch)
            elif arg == "0":
                put_digit("0")
            elif arg == "#":
                out.append(" ")
    if not placeholders and digits:
        out.append(digits[::-1])
    text = "".join(out)[::-1]
    if section.has_point:
        text += "."
        frac_digits = iter(frac_text)
        trailing_zero = frac_text.rstrip("0")
        for n, (kind, arg) in enumerate(section.frac_items):
            if kind == "lit":
                text += arg
            elif kind == "sign":
                text += _sign(arg, value)
            else:
                ch = next(frac_digits)
                place = sum(1 for k, _ in section.frac_items[:n] if k == "digit")
                # "#" shows a space where the rounded result has no digit (a trailing zero).
                text += " " if arg == "#" and place >= len(trailing_zero) else ch
    return text
