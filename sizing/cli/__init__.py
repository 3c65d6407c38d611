"""The ``sizing`` command: ``command`` (flags, terminal, files, exit codes), ``report`` (rich panels) and ``formats``
(JSON, YAML, Markdown, Helm values)."""
