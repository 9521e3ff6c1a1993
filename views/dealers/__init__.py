"""Dealers: data cards, visits, potential-dealer files and their deadlines."""
