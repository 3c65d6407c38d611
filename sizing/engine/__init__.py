"""The sizing engine: pure functions from a workload, assumptions, catalog and prices to the plan's models.

No I/O of its own: the data is passed in (``calculate`` defaults to the shipped data files, which ``sizing.data``
reads and caches). ``calculator`` runs the whole plan;
``pods``, ``nodes``, ``selection``, ``spot`` and ``fleet_cost`` size and price the fleet; ``network``, ``database``
and ``cache`` the services around it; ``cost`` adds up the bill over the ``load_profile``; ``exact``, ``tiers`` and
``limits`` are what they all share.
"""
