"""Read a page's form as a browser would submit it: inputs, checked boxes, selected options
and textareas, so a test can post back exactly what a person saw and change one thing."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_class: str):
        super().__init__(convert_charrefs=True)
        self.form_class = form_class
        self.depth = 0  # >0 while inside the wanted form
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._select_multiple = False
        self._option: dict | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if self.depth:
                self.depth += 1
            elif self.form_class in (a.get("class") or "").split():
                self.depth = 1
            return
        if not self.depth:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value") or ("y" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
            # A browser sends nothing for a multiple select with nothing chosen.
            self._select_multiple = "multiple" in a
        elif tag == "option" and self._select:
            self._option = a
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self.fields.append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth -= 1
        elif tag == "select" and self._select:
            if (
                not self._select_chosen
                and not self._select_multiple
                and self._select_first is not None
            ):
                self.fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            # As a browser does: one newline right after <textarea> is not part of the value.
            for newline in ("\r\n", "\n"):
                if text.startswith(newline):
                    text = text[len(newline) :]
                    break
            self.fields.append((self._textarea, text))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def read_form(page: str, form_class: str = "admin-form") -> dict[str, str | list[str]]:
    """The fields the first form with ``form_class`` would submit: a name's value, or the
    list of its values when it has several (a multiple select, a group of checkboxes), as
    the test client posts them."""
    reader = _FormReader(form_class)
    reader.feed(page)
    form: dict[str, str | list[str]] = {}
    for name, value in reader.fields:
        if name not in form:
            form[name] = value
        elif isinstance(form[name], list):
            form[name].append(value)
        else:
            form[name] = [form[name], value]
    return form
