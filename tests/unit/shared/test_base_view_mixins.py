"""The secure base view's composition (views/shared/base.py over views/shared/mixins/): every
mixin stands before Flask-Admin's ModelView, so each one's super() reaches Flask-Admin, and
only the two documented chains are defined by more than one mixin."""

from __future__ import annotations

import grimp
from flask_admin.contrib.sqla import ModelView

from views.shared import mixins
from views.shared.base import SecureModelView
from views.shared.mixins.access_log import AccessLogMixin
from views.shared.mixins.consent import ConsentMixin
from views.shared.mixins.listing import ListingMixin
from views.shared.mixins.masking import MaskingMixin

MIXIN_PACKAGE = mixins.__name__


def _mixins() -> list[type]:
    mro = SecureModelView.__mro__
    return list(mro[1 : mro.index(ModelView)])


def test_every_mixin_stands_before_model_view():
    names = {cls.__module__ for cls in _mixins()}
    assert all(name.startswith(MIXIN_PACKAGE + ".") for name in names)
    mro = SecureModelView.__mro__
    for cls in mro[mro.index(ModelView) :]:
        assert not cls.__module__.startswith(MIXIN_PACKAGE)


def test_only_the_documented_chains_span_mixins():
    owners: dict[str, list[type]] = {}
    for cls in _mixins():
        for name in vars(cls):
            if not name.startswith("__"):
                owners.setdefault(name, []).append(cls)
    shared = {name: found for name, found in owners.items() if len(found) > 1}
    assert shared == {
        "get_list": [ConsentMixin, AccessLogMixin, ListingMixin],
        "get_list_value": [ConsentMixin, MaskingMixin],
    }


def test_mixins_do_not_import_each_other_but_rights():
    graph = grimp.build_graph("views")
    modules = {m for m in graph.modules if m.startswith(MIXIN_PACKAGE + ".")}
    for module in modules:
        imported = graph.find_modules_directly_imported_by(module) & modules
        assert imported <= {f"{MIXIN_PACKAGE}.rights"}, module
