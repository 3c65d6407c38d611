"""`sizing calibrate`: assumptions measured from a running deployment instead of guessed.

Readers at the edges (``prometheus``, ``usage_logs``, ``load_test``) turn what they read into the plain measurements of
``measurements``; ``rules`` (pure) turns measurements into assumption values, each with its source; ``writer`` prints
them as an assumptions file that ``--assumptions`` reads back.
"""
