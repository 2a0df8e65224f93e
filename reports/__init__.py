"""Reports (installed as ``taxmargin.reports``; see pyproject package-dir).

``forms`` holds the form data types; ``build`` computes them from a TaxYear; the
renderers (``jsonout``, ``csvout``, ``pdf_*``, ``xlsx``, ``txf``, ``review``) only lay out
what the form data already holds.
"""
