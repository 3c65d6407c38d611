"""The dated facts a plan rests on and how they are read: the YAML files here (instance catalog, prices, LLM
profiles), ``packaged_data`` and ``user_cache`` that read and keep them, ``catalog`` and ``pricing`` that model them,
and ``price_refresh`` / ``discount_refresh`` that fetch a region's current prices from AWS into a price file."""
