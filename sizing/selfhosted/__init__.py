"""Self-hosted models (``--llm vllm:MODEL``): vLLM on the cluster's own GPU nodes, sized from the model and the GPU.

``catalog`` holds the facts (models, GPU instances), ``memory`` what fits, ``speed`` how fast, ``calibration`` the
benchmark points the speed model is held to, ``choose`` the cheapest deployment, ``break_even`` the API comparison and
``serving`` the plan section and its cost lines.
"""
