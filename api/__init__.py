"""The HTTP adapter: FastAPI routes over the CardLedger service and the views.

Thin on purpose: a route parses, authorises, calls one application method and
shapes the answer. Rules live in domain/; this package only maps them to HTTP.
"""
