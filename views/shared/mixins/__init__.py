"""The concerns SecureModelView (views/shared/base.py) is composed of, one mixin a module.

rights (who may open which endpoint), access_log (what was read and changed), listing (the
list page's queries), consent (PIPL consent on new records), masking (masked numbers and the
reveal), changes (edits, versions and the approval gate), search, scoping (which rows a user
may see), links (what the details page shows around a record), exporting, failures (errors
flashed to the user). A mixin calls another's methods only through ``self``, names them in
its docstring, and never imports another mixin's module (rights.current_role aside).
"""
