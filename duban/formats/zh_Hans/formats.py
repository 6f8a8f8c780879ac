"""Simplified Chinese formats that differ from Django's.

A form widget renders a date with the first input format. Django's zh_Hans puts ``%Y/%m/%d`` first, which
``<input type="date">`` rejects (it accepts only ISO ``2026-12-31``): the field showed empty and saving any other
change cleared the date. ISO first makes every date field keep its value; the slashed form is still accepted when
typed into a plain text field."""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # what <input type="date"> sends and shows
    "%Y/%m/%d",
    "%Y年%n月%j日",
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y年%n月%j日 %H:%M",
    "%Y年%n月%j日 %H:%M:%S",
]
