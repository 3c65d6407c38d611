"""The LLM side of a chat app: which model, what its tokens cost, how long its answers stream, which quota binds.

``choice`` parses the user's ``PROVIDER:MODEL``; ``token_prices`` asks the genai-prices package what one turn costs
(the only I/O, cached); ``profiles`` holds what prices do not say (stream speed, default quotas, how tokens are
counted); ``traffic`` turns a load into the plan's LLM section and its cost item.
"""
