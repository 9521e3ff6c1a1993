"""The demo office (``flask --app app seed-demo``): one module per area and one shared module.

Imports run one way: seed -> the areas -> common (property -> tenancy among the areas). The
package may import models and services; only cli.py, tests and bench/ import it.
"""
